import { parseDuration } from "../config/duration.js";
import { TesseraError } from "../errors.js";

/** What a pasted secret is meant to be: a bearer token (`paste-token`) or an API key (`paste-api-key`). */
export type SecretKind = "token" | "api_key";

/** An Anthropic setup-token (and OAuth access token) prefix; PRODUCT §6.4. */
const SETUP_TOKEN_PREFIX = "sk-ant-oat01-";
/** Shorter than this is a setup-token cut off by the terminal or the clipboard. */
const SETUP_TOKEN_MIN_LENGTH = 80;

/**
 * Undoes what terminals and clipboards do to a long secret: line wraps (a token copied from a narrow
 * terminal arrives as several lines), indentation, CR from Windows clipboards, and surrounding
 * whitespace. Secrets never contain whitespace, so every whitespace character goes. Two secrets on
 * two lines are refused rather than glued into one that works nowhere: a line after the first that
 * starts with the first line's key prefix (`sk-`, `ghp_`, …) is a second key, not a wrapped piece.
 */
export function joinPastedSecret(text: string): string {
  const lines = text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter(Boolean);
  const prefix = /^[A-Za-z]{2,}[-_]/.exec(lines[0] ?? "")?.[0];
  const starts = prefix ? lines.filter((line) => line.startsWith(prefix)).length : 0;
  if (starts > 1) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `the input has ${starts} lines that each start like a key (${prefix}…): two lines — paste one key`,
      "paste only the one secret to store (a single key may come as several wrapped lines); nothing was stored",
    );
  }
  return text.replace(/\s+/g, "");
}

/**
 * The longest secret accepted per provider: several times the longest real one (Anthropic keys and
 * setup-tokens are about 110 characters, OpenAI project keys about 170, OpenRouter keys 73), far
 * below what a whole file or log pasted by mistake is. Custom providers may use long tokens (JWTs).
 */
const MAX_SECRET_LENGTH: Record<string, number> = { anthropic: 512, openai: 1024, openrouter: 512 };
const MAX_CUSTOM_SECRET_LENGTH = 8192;

const PASTE_TOKEN = (provider: string) => `tessera models auth paste-token --provider ${provider}`;
const PASTE_KEY = (provider: string) => `tessera models auth paste-api-key --provider ${provider}`;

/**
 * Checks a pasted secret before it is stored, and refuses the mistakes people actually make with a
 * message naming the right command: the `code#state` of a browser login pasted as a token, an API key
 * pasted as a token and the other way round, a refresh token, a truncated setup-token, a key of
 * another provider. Messages describe the secret by its kind and length only — never its text.
 */
export function validatePastedSecret(provider: string, kind: SecretKind, secret: string): void {
  const what = kind === "token" ? "token" : "API key";
  const again = kind === "token" ? PASTE_TOKEN(provider) : PASTE_KEY(provider);
  if (secret === "") {
    throw new TesseraError("TOKEN_INVALID", `no ${what} was given (the input was empty)`, again);
  }
  const max = Object.hasOwn(MAX_SECRET_LENGTH, provider)
    ? MAX_SECRET_LENGTH[provider]!
    : MAX_CUSTOM_SECRET_LENGTH;
  if (secret.length > max) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `the input is ${chars(secret.length)} long, more than ${article(what)} for ${provider} ever is (at most ${max}); it is not one ${what} (a file or several secrets pasted?), so nothing was stored`,
      `copy just the ${what}, then: ${again}`,
    );
  }
  if (/^[A-Za-z0-9_-]{8,}#[A-Za-z0-9_-]{8,}$/.test(secret)) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `this looks like an OAuth authorization code (code#state) from a browser login, not ${article(what)}; it cannot be stored`,
      provider === "anthropic"
        ? "to log in with it, run: tessera models auth login --provider anthropic   (for a token instead: run `claude setup-token` and paste the sk-ant-oat01-… token it prints)"
        : `paste the ${what} itself: ${again}`,
    );
  }
  if (/^(sk-ant-ort\d\d-)/.test(secret)) {
    throw new TesseraError(
      "TOKEN_INVALID",
      "this is an Anthropic OAuth refresh token, which cannot be used on its own",
      "tessera models auth login --provider anthropic   (stores access and refresh token together)",
    );
  }
  const anthropicKey = /^sk-ant-api\d\d-/.test(secret);
  const anthropicToken = secret.startsWith("sk-ant-oat");
  if (provider !== "anthropic" && (anthropicKey || anthropicToken)) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `this is an Anthropic ${anthropicKey ? "API key" : "token"}, not ${article(what)} for ${provider}`,
      anthropicKey ? PASTE_KEY("anthropic") : PASTE_TOKEN("anthropic"),
    );
  }
  if (provider !== "openrouter" && secret.startsWith("sk-or-")) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `this is an OpenRouter key, not ${article(what)} for ${provider}`,
      PASTE_KEY("openrouter"),
    );
  }
  if (/^[A-Z][A-Z0-9_]*=/.test(secret)) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `this looks like a NAME=value line; paste only the ${what} after the =`,
      again,
    );
  }
  if (/[^\x21-\x7e]|["'`]/.test(secret)) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `the ${what} contains characters a ${what} never has (quotes, non-ASCII or control characters)`,
      `copy the ${what} again without surrounding text, then: ${again}`,
    );
  }
  if (provider === "anthropic") validateAnthropic(kind, secret);
  else if (secret.length < 16) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `the ${what} is only ${chars(secret.length)} long; it looks cut off`,
      `copy the whole ${what}, then: ${again}`,
    );
  }
}

const article = (what: string) => (/^[AEIOU]/i.test(what) ? `an ${what}` : `a ${what}`);
const chars = (n: number) => `${n} character${n === 1 ? "" : "s"}`;

function validateAnthropic(kind: SecretKind, secret: string): void {
  if (kind === "token") {
    if (/^sk-ant-api\d\d-/.test(secret)) {
      throw new TesseraError(
        "TOKEN_INVALID",
        "this is an Anthropic API key (sk-ant-api…), not a token",
        PASTE_KEY("anthropic"),
      );
    }
    if (!secret.startsWith(SETUP_TOKEN_PREFIX)) {
      throw new TesseraError(
        "TOKEN_INVALID",
        `an Anthropic token starts with ${SETUP_TOKEN_PREFIX}; this one does not`,
        `run \`claude setup-token\` and paste the token it prints: ${PASTE_TOKEN("anthropic")}`,
      );
    }
    if (secret.length < SETUP_TOKEN_MIN_LENGTH) {
      throw new TesseraError(
        "TOKEN_INVALID",
        `the token is only ${chars(secret.length)} long (a setup-token has at least ${SETUP_TOKEN_MIN_LENGTH}); it looks cut off`,
        `copy the whole token (it may span several lines), then: ${PASTE_TOKEN("anthropic")}`,
      );
    }
    return;
  }
  if (secret.startsWith("sk-ant-oat")) {
    throw new TesseraError(
      "TOKEN_INVALID",
      "this is an Anthropic setup-token or OAuth token (sk-ant-oat…), not an API key",
      PASTE_TOKEN("anthropic"),
    );
  }
  if (!secret.startsWith("sk-ant-")) {
    throw new TesseraError(
      "TOKEN_INVALID",
      "an Anthropic API key starts with sk-ant-api; this one does not",
      `create a key at https://console.anthropic.com/settings/keys, then: ${PASTE_KEY("anthropic")}`,
    );
  }
  if (secret.length < 40) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `the API key is only ${chars(secret.length)} long; it looks cut off`,
      `copy the whole key, then: ${PASTE_KEY("anthropic")}`,
    );
  }
}

/**
 * `--expires-in` as milliseconds from now, or undefined when not given. Zero or less would store a
 * token that is expired on arrival, which is never what was meant.
 */
export function parseExpiresIn(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text, "--expires-in");
  if (ms <= 0) {
    throw new TesseraError(
      "DURATION_INVALID",
      `--expires-in ${text} would store a token that has already expired`,
      "give the time left until the token stops working, e.g. --expires-in 365d",
    );
  }
  return ms;
}
