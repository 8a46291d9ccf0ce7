import { redactSecrets } from "../auth/mask.js";
import { TesseraError } from "../errors.js";

/**
 * What went wrong with a provider call, classified by what it means for the credential:
 * - `auth`, `rate_limit`, `billing`, `claude_code_only` count against the credential (the resolver
 *   marks it and, without a user pin, tries the next one);
 * - `overloaded`, `server`, `timeout`, `network` are the provider's problem (retried with backoff,
 *   never a credential failure);
 * - `bad_request` is ours or the user's (never a credential failure, never failed over);
 * - `aborted` means we cancelled (shutdown).
 */
export type ProviderErrorKind =
  | "auth"
  | "rate_limit"
  | "billing"
  | "claude_code_only"
  | "overloaded"
  | "server"
  | "timeout"
  | "network"
  | "bad_request"
  | "aborted";

export class ProviderError extends TesseraError {
  constructor(
    readonly kind: ProviderErrorKind,
    readonly provider: string,
    message: string,
    hint: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super("PROVIDER_ERROR", message, hint);
  }

  /** Whether this failure says something about the credential (so the next candidate may work). */
  get countsAgainstCredential(): boolean {
    return (
      this.kind === "auth" ||
      this.kind === "rate_limit" ||
      this.kind === "billing" ||
      this.kind === "claude_code_only"
    );
  }
}

const CLAUDE_CODE_ONLY = /only authorized for use with claude code/i;
const BILLING =
  /credit balance|insufficient[_ ]credits|insufficient_quota|exceeded your current quota|payment required|billing/i;
const OVERLOADED = /overloaded/i;

/**
 * The fix for a credential Anthropic accepts only from Claude Code, on every surface (chat reply,
 * `models status`, `doctor`, owner notices): an API key. A new Claude Code login or `claude
 * setup-token` would make the same kind of credential, so those are never the advice here.
 */
export const CLAUDE_CODE_ONLY_FIX =
  "use an Anthropic API key for this gateway: tessera models auth paste-api-key --provider anthropic " +
  "(a new Claude Code login or setup-token would be refused the same way)";

/** The plain-language advice for Anthropic's refusal of Claude Code subscription credentials. */
export const CLAUDE_CODE_ONLY_ADVICE =
  "This credential is a Claude Code subscription credential, and Anthropic only accepts it from Claude Code itself. " +
  "Use an Anthropic API key for this gateway: tessera models auth paste-api-key --provider anthropic";

/**
 * Classifies an HTTP error answer. `body` is the raw response text; its message is kept (secrets
 * removed, truncated) because the provider's words are usually the most precise explanation.
 */
export function classifyHttpError(
  provider: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  secrets: readonly string[] = [],
): ProviderError {
  const detail = redactSecrets(extractMessage(body), secrets).slice(0, 300);
  const said = detail ? `: ${detail}` : "";
  const where = `${provider} answered HTTP ${status}${said}`;
  if (CLAUDE_CODE_ONLY.test(body)) {
    return new ProviderError(
      "claude_code_only",
      provider,
      `${provider} refused the credential${said}`,
      CLAUDE_CODE_ONLY_ADVICE,
      status,
    );
  }
  if (status === 401 || status === 403) {
    return new ProviderError(
      "auth",
      provider,
      where,
      `the credential was refused; replace it (tessera models status shows which one)`,
      status,
    );
  }
  if (status === 402 || (BILLING.test(body) && (status === 400 || status === 429))) {
    return new ProviderError(
      "billing",
      provider,
      where,
      `check the ${provider} account's billing or credits`,
      status,
    );
  }
  if (status === 429) {
    return new ProviderError(
      "rate_limit",
      provider,
      where,
      "wait for the rate limit to pass, or add another credential for failover",
      status,
      parseRetryAfter(headers["retry-after"]),
    );
  }
  if (status === 529 || status === 503 || OVERLOADED.test(body)) {
    return new ProviderError(
      "overloaded",
      provider,
      where,
      `${provider} is overloaded; try again in a moment`,
      status,
    );
  }
  if (status >= 500) {
    return new ProviderError(
      "server",
      provider,
      where,
      `${provider} had an internal error; try again in a moment`,
      status,
    );
  }
  return new ProviderError(
    "bad_request",
    provider,
    where,
    "the request was refused as invalid; try /new to start a fresh conversation",
    status,
  );
}

/** Classifies a transport failure (no HTTP answer). */
export function classifyTransportError(provider: string, err: unknown, timeoutMs: number): ProviderError {
  const e = err as { code?: string; name?: string; message?: string };
  if (e.name === "AbortError" || e.code === "UND_ERR_ABORTED") {
    return new ProviderError(
      "aborted",
      provider,
      `the request to ${provider} was cancelled`,
      "send the message again",
    );
  }
  if (e.name === "TimeoutError" || (e.code && /TIMEOUT/.test(e.code))) {
    return new ProviderError(
      "timeout",
      provider,
      `${provider} did not answer within ${Math.round(timeoutMs / 1000)}s`,
      `try again, or raise models.providers.${provider}.timeoutMs`,
    );
  }
  return new ProviderError(
    "network",
    provider,
    `cannot reach ${provider}: ${e.code ?? e.message ?? String(err)}`,
    `check the network and models.providers.${provider}.baseUrl`,
  );
}

/** `retry-after` as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function extractMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: string } | string;
      error_description?: string;
      message?: string;
    };
    if (typeof parsed.error === "object" && parsed.error?.message) return parsed.error.message;
    if (parsed.error_description) return parsed.error_description;
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.message) return parsed.message;
  } catch {
    // not JSON: fall through to the raw text (an HTML error page, say)
  }
  return body
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}
