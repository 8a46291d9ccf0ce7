import { createHash, randomBytes } from "node:crypto";
import { hasControlChars } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import type { OAuthCredential } from "./credentials.js";
import {
  ANTHROPIC_OAUTH_CLIENT_ID,
  postTokenGrant,
  TokenEndpointError,
  type TokenResponse,
} from "./oauth-token-endpoint.js";

/**
 * Anthropic's OAuth login with PKCE (S256) in its "manual code" form: the browser ends on a page that
 * shows `code#state` for the user to paste back, so it works on a headless host over SSH where no
 * local redirect can be caught. These are Claude Code's public client settings; Tessera identifies
 * itself as nothing else.
 */
export const ANTHROPIC_OAUTH = {
  authorizeUrl: "https://claude.ai/oauth/authorize",
  clientId: ANTHROPIC_OAUTH_CLIENT_ID,
  redirectUri: "https://console.anthropic.com/oauth/code/callback",
  scopes: "org:create_api_key user:profile user:inference",
} as const;

/** One login attempt: the URL to open and the values that must come back with the code. */
export interface PkceLogin {
  url: string;
  /** Kept in this process only; proves to the token endpoint that we started the login. */
  verifier: string;
  challenge: string;
  /** Random per attempt; the pasted `code#state` must carry it back unchanged. */
  state: string;
}

/** base64url(sha256(verifier)), unpadded — the S256 challenge of RFC 7636. */
export function pkceChallengeOf(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** Starts a login: fresh verifier and state, and the authorize URL carrying the challenge. */
export function startPkceLogin(random: (bytes: number) => Buffer = randomBytes): PkceLogin {
  const verifier = random(32).toString("base64url");
  const state = random(32).toString("base64url");
  const challenge = pkceChallengeOf(verifier);
  const url = new URL(ANTHROPIC_OAUTH.authorizeUrl);
  url.searchParams.set("code", "true");
  url.searchParams.set("client_id", ANTHROPIC_OAUTH.clientId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", ANTHROPIC_OAUTH.redirectUri);
  url.searchParams.set("scope", ANTHROPIC_OAUTH.scopes);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  return { url: url.toString(), verifier, challenge, state };
}

/**
 * Reads what the user pasted after logging in: `code#state` as the callback page shows it, or the
 * whole callback URL (`…/oauth/code/callback?code=…&state=…`) for people who copy the address bar.
 * Line breaks from a wrapped terminal are removed. The state must be the one this attempt sent: a
 * mismatch means the code belongs to another login (or someone else's), and it is refused before
 * anything is sent.
 */
export function parseAuthCodePaste(pasted: string, expectedState: string): { code: string } {
  const text = pasted.replace(/\s+/g, "");
  let code: string | undefined;
  let state: string | undefined;
  if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      code = url.searchParams.get("code") ?? undefined;
      state = url.searchParams.get("state") ?? (url.hash ? url.hash.slice(1) : undefined);
    } catch {
      code = undefined;
    }
  } else {
    const hash = text.indexOf("#");
    code = hash >= 0 ? text.slice(0, hash) : text;
    state = hash >= 0 ? text.slice(hash + 1) : undefined;
  }
  const again = "tessera models auth login --provider anthropic";
  if (!code) {
    throw new TesseraError(
      "OAUTH_FAILED",
      text === ""
        ? "no authorization code was pasted"
        : "that is not an authorization code: expected `code#state` from the page shown after you log in",
      `${again}, open the URL, and paste the whole code shown at the end (it contains one #)`,
    );
  }
  if (!state) {
    throw new TesseraError(
      "OAUTH_FAILED",
      "the pasted code has no `#state` part; copy the whole code shown after you log in",
      again,
    );
  }
  if (state !== expectedState) {
    throw new TesseraError(
      "OAUTH_STATE_MISMATCH",
      "the pasted code belongs to a different login attempt (its state does not match this one); nothing was sent",
      `${again}, and paste the code from the URL that run prints`,
    );
  }
  return { code };
}

export interface ExchangeInput {
  tokenUrl: string;
  code: string;
  state: string;
  verifier: string;
  now?: number;
  timeoutMs?: number;
}

/**
 * Redeems the authorization code at the token endpoint (`models.providers.anthropic.oauthTokenUrl`)
 * and returns the oauth credential to store. Errors keep the endpoint's own words (`error`,
 * `error_description`) with anything token-shaped removed; they never contain the code or a token.
 */
export async function exchangeAuthCode(input: ExchangeInput): Promise<OAuthCredential> {
  const body = {
    grant_type: "authorization_code",
    code: input.code,
    state: input.state,
    code_verifier: input.verifier,
    redirect_uri: ANTHROPIC_OAUTH.redirectUri,
    client_id: ANTHROPIC_OAUTH.clientId,
  };
  let parsed: TokenResponse;
  try {
    parsed = await postTokenGrant(input.tokenUrl, body, {
      timeoutMs: input.timeoutMs ?? 30_000,
      secrets: [input.code, input.verifier],
    });
    if (!parsed.refresh_token) throw new TokenEndpointError("malformed", "no refresh_token");
  } catch (err) {
    if (!(err instanceof TokenEndpointError)) throw err;
    throw new TesseraError("OAUTH_FAILED", loginFailure(err, input.tokenUrl), LOGIN_FIX[err.kind]);
  }
  const now = input.now ?? Date.now();
  // The email names the profile (`anthropic:<email>`); one that could act on a terminal is not used.
  const reported = parsed.account?.email_address;
  const email = reported && !hasControlChars(reported) ? reported : undefined;
  return {
    type: "oauth",
    provider: "anthropic",
    access: parsed.access_token,
    refresh: parsed.refresh_token,
    expires: now + parsed.expires_in * 1000,
    ...(email ? { email } : {}),
    origin: "login",
  };
}

const LOGIN_FIX: Record<TokenEndpointError["kind"], string> = {
  network:
    "check the network (or models.providers.anthropic.oauthTokenUrl), then tessera models auth login --provider anthropic",
  refused: "codes are single-use and expire within minutes: tessera models auth login --provider anthropic",
  malformed: "check models.providers.anthropic.oauthTokenUrl points at Anthropic's token endpoint",
};

function loginFailure(err: TokenEndpointError, tokenUrl: string): string {
  if (err.kind === "refused")
    return `the token endpoint refused the code (HTTP ${err.status}): ${err.reason}`;
  if (err.kind === "malformed") {
    return `the token endpoint ${tokenUrl} answered without access_token, refresh_token and expires_in`;
  }
  return err.message;
}
