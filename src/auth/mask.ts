import { createHash } from "node:crypto";

/**
 * The only way a secret is ever shown in the CLI: its last 4 characters plus a short fingerprint (a
 * SHA-256 prefix), e.g. `…x7Qa #3f9c2e`. The fingerprint lets a person tell two keys apart or match
 * one to the provider's console without revealing more. Secrets shorter than 16 characters show no
 * characters at all, since 4 of them would be a real fraction of the secret. Chat never shows this
 * form, only the fingerprint.
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
 * The shortest piece of a known secret that is removed from free text. Providers echo keys in part
 * (the first 20 characters, the last 8, `sk-proj-****…ebbx`), so matching whole secrets is not
 * enough; 4 is the masking rule's own limit, below which a piece says nothing about the secret.
 */
const MIN_FRAGMENT = 4;

/**
 * Prefixes every key of a kind starts with: public, so they are never treated as a fragment of a
 * secret on their own (an error may say "a setup-token starts sk-ant-oat01-").
 */
const PUBLIC_PREFIX =
  /^(?:sk-ant-[a-z]{2,6}\d\d-|sk-or-v1-|sk-proj-|sk-svcacct-|sk-admin-|sk_live_|sk_test_|sk-|\d{5,12}:)/;

/**
 * Shapes of credentials nobody told us about, each replaced whole: provider keys (`sk-…`, including
 * echoes masked with `*` or `…`), bearer tokens, `key=value` pairs whose key names a secret, JWTs,
 * Google and GitHub keys, Telegram and Discord bot tokens.
 */
const SHAPES: { pattern: RegExp; replace: (match: string, ...groups: string[]) => string }[] = [
  {
    // `sk-ant-api03-…`, `sk-proj-****…ebbx`, `sk_live_…`; a bare public prefix stays.
    pattern: /\bsk[-_][A-Za-z0-9_*.…-]*[A-Za-z0-9_*…]/g,
    replace: (m) =>
      `${m}-`.replace(PUBLIC_PREFIX, "").replace(/[-_.…]+$/, "").length >= MIN_FRAGMENT
        ? "[redacted key]"
        : m,
  },
  {
    pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/=*…-]{8,}/gi,
    replace: (_m, p) => `${p}[redacted]`,
  },
  {
    pattern:
      /\b((?:x-)?api[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|secret|password|token|authorization)(["']?\s*[:=]\s*["']?)(?!Bearer\b)([^\s"',;&]{8,})/gi,
    replace: (_m, name, sep) => `${name}${sep}[redacted]`,
  },
  {
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?/g,
    replace: () => "[redacted token]",
  },
  { pattern: /\bAIza[0-9A-Za-z_-]{30,}/g, replace: () => "[redacted key]" },
  { pattern: /\b(?:gh[pousr]|github_pat)_[A-Za-z0-9_]{20,}/g, replace: () => "[redacted token]" },
  { pattern: /\b\d{6,12}:[A-Za-z0-9_-]{30,}/g, replace: () => "[redacted token]" },
  {
    pattern: /\b[MNO][A-Za-z0-9_-]{23,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}/g,
    replace: () => "[redacted token]",
  },
];

/**
 * Removes known secrets — and every piece of 4 or more characters of them, from either end or the
 * middle — plus anything shaped like a credential from free text such as a provider's error body,
 * before it is stored, logged or shown. A run of text made of a secret's pieces becomes `[secret
 * #3f9c2e]` (the fingerprint of the whole secret, so a person can still tell which credential was
 * echoed); nothing of the secret itself is left, which is what chat requires. Known secrets are
 * matched trimmed (a pasted value may carry a newline) and whatever their length; a secret's public
 * prefix (`sk-ant-api03-`, a Telegram bot's id) alone is not a piece of it, nor is a piece made
 * only of digits (it cannot be told from the times, ports and counts around it; the whole secret is
 * still removed wherever it appears).
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = redactKnown(text, known);
  for (const shape of SHAPES) out = out.replace(shape.pattern, shape.replace as never);
  return out;
}

function redactKnown(text: string, known: readonly string[]): string {
  // Longest first: a run covered by a secret and one it contains is named after the longer one.
  const secrets = [...new Set(known.map((s) => s.trim()).filter(Boolean))].sort(
    (a, b) => b.length - a.length,
  );
  if (secrets.length === 0 || text === "") return text;
  // owner[i]: index of the secret a piece of which covers text[i], or -1.
  const owner = new Int32Array(text.length).fill(-1);
  secrets.forEach((secret, index) => {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1))
      for (let i = at; i < at + secret.length; i++) if (owner[i] === -1) owner[i] = index;
    for (const [at, length] of piecesIn(text, secret))
      for (let i = at; i < at + length; i++) if (owner[i] === -1) owner[i] = index;
  });
  let out = "";
  for (let i = 0; i < text.length; ) {
    const index = owner[i]!;
    if (index === -1) {
      out += text[i];
      i++;
      continue;
    }
    out += `[secret #${fingerprint(secrets[index]!)}]`;
    while (i < text.length && owner[i] !== -1) i++;
  }
  return out;
}

const ALL_DIGITS = /^\d+$/;

/**
 * Where pieces of `secret` (every window of MIN_FRAGMENT characters not inside its public prefix and
 * not all digits)
 * occur in `text`, as [start, length]. Overlapping windows chain, so a longer piece is covered whole.
 */
function piecesIn(text: string, secret: string): [number, number][] {
  const publicLength = PUBLIC_PREFIX.exec(secret)?.[0].length ?? 0;
  const windows = new Set<string>();
  for (let i = Math.max(0, publicLength - MIN_FRAGMENT + 1); i + MIN_FRAGMENT <= secret.length; i++) {
    const window = secret.slice(i, i + MIN_FRAGMENT);
    if (!ALL_DIGITS.test(window)) windows.add(window);
  }
  if (windows.size === 0) return [];
  const found: [number, number][] = [];
  for (let i = 0; i + MIN_FRAGMENT <= text.length; i++) {
    if (windows.has(text.slice(i, i + MIN_FRAGMENT))) found.push([i, MIN_FRAGMENT]);
  }
  return found;
}
