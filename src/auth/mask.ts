import { createHash } from "node:crypto";

/**
 * The only way a secret is ever shown: its last 4 characters plus a short fingerprint (a SHA-256
 * prefix), e.g. `…x7Qa #3f9c2e`. The fingerprint lets a person tell two keys apart or match one to
 * the provider's console without revealing more. Secrets shorter than 16 characters show no
 * characters at all, since 4 of them would be a real fraction of the secret.
 */
export function maskSecret(secret: string): string {
  const trimmed = secret.trim();
  if (trimmed === "") return "(empty)";
  const fp = fingerprint(trimmed);
  return trimmed.length < 16 ? `#${fp}` : `…${trimmed.slice(-4)} #${fp}`;
}

/** Six hex characters of SHA-256: enough to tell keys apart, far too few to recover anything. */
export function fingerprint(secret: string): string {
  return createHash("sha256").update(secret.trim()).digest("hex").slice(0, 6);
}

/**
 * Removes known secrets (and anything shaped like a bearer token or API key) from free text such as
 * a provider's error body before it is stored, logged or shown. Known secrets are matched trimmed (a
 * pasted value may carry a newline) and whatever their length; longer ones first, so a secret that
 * contains another is replaced whole.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  const secrets = [...new Set(known.map((s) => s.trim()).filter(Boolean))].sort(
    (a, b) => b.length - a.length,
  );
  for (const secret of secrets) out = out.split(secret).join(maskSecret(secret));
  return out
    .replace(/\b(sk-[A-Za-z0-9_-]{12,}|sk_[A-Za-z0-9_-]{12,})/g, (m) => maskSecret(m))
    .replace(/(Bearer\s+)([A-Za-z0-9._~+/=-]{12,})/gi, (_m, p: string, t: string) => `${p}${maskSecret(t)}`);
}
