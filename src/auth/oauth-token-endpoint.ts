import { z } from "zod";
import { redactSecrets } from "./mask.js";

/** Claude Code's public OAuth client id; Anthropic's token endpoint expects it for login and refresh. */
export const ANTHROPIC_OAUTH_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/** A successful grant's answer; other fields are ignored. A refresh may omit the refresh token. */
export const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().positive(),
  account: z.looseObject({ email_address: z.string().optional() }).optional(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/**
 * Why a grant failed: `network` (no answer), `refused` (an error status, with the endpoint's words),
 * `malformed` (a success status without the tokens). The message never holds a token or a code.
 */
export class TokenEndpointError extends Error {
  constructor(
    readonly kind: "network" | "refused" | "malformed",
    message: string,
    readonly status?: number,
    /** The endpoint's own words (`refused` only), secrets masked. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * One grant at an OAuth token endpoint, JSON body (as Anthropic's takes it), used by login (code
 * exchange) and refresh alike. `secrets` (the code, verifier or tokens sent) are masked out of any
 * error text, along with anything token-shaped the endpoint echoes.
 */
export async function postTokenGrant(
  tokenUrl: string,
  body: Record<string, string>,
  opts: { timeoutMs: number; secrets: readonly string[] },
): Promise<TokenResponse> {
  const { request } = await import("undici");
  let status: number;
  let text: string;
  try {
    const res = await request(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    const why = redactSecrets((err as Error).message, opts.secrets);
    throw new TokenEndpointError("network", `could not reach the token endpoint ${tokenUrl}: ${why}`);
  }
  if (status < 200 || status >= 300) {
    const why = redactSecrets(describeOAuthError(text), opts.secrets);
    throw new TokenEndpointError("refused", `HTTP ${status} from the token endpoint: ${why}`, status, why);
  }
  const parsed = TokenResponseSchema.safeParse(safeParse(text));
  if (!parsed.success) {
    throw new TokenEndpointError(
      "malformed",
      `the token endpoint ${tokenUrl} answered HTTP ${status} without access_token and expires_in`,
      status,
    );
  }
  return parsed.data;
}

/**
 * `invalid_grant: Refresh token not found or invalid`, from an OAuth error body; any other body (an
 * HTML error page from a proxy) as one line of at most 200 characters.
 */
export function describeOAuthError(text: string): string {
  const body = safeParse(text) as { error?: unknown; error_description?: unknown } | undefined;
  if (body && typeof body.error === "string") {
    return typeof body.error_description === "string"
      ? `${body.error}: ${body.error_description}`
      : body.error;
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 200) || "(empty answer)";
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
