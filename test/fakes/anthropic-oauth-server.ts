/**
 * A local stand-in for Anthropic's OAuth token endpoint (`POST /v1/oauth/token`, JSON body), for
 * tests of refresh-on-use, single-flight refresh across processes, Claude Code write-back and login.
 *
 * It behaves like the real one where that matters for correctness: refresh tokens rotate (a reused
 * refresh token gets `invalid_grant`, so two processes refreshing the same credential at once make
 * one of them fail, exactly the race the product must avoid), authorization codes are single-use
 * and checked against their PKCE challenge, and only Claude Code's client id is accepted. Every
 * call is recorded so a test can assert "exactly one refresh".
 */
import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import {
  commonReplies,
  type FakeReply,
  type FakeServer,
  type HandlerContext,
  type JsonObject,
  type RecordedRequest,
  sendJson,
  sendReply,
  startHttpFake,
} from "./http-fake.js";
import { createReplyScript, type ScriptControls } from "./reply-script.js";

/** The client id of Claude Code, the only one Anthropic's endpoint accepts for these tokens. */
export const CLAUDE_CODE_OAUTH_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/** The PKCE S256 challenge for a verifier: base64url(sha256(verifier)), unpadded. */
export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** Options for `startOAuthFake`. */
export interface OAuthFakeOptions {
  /** The accepted `client_id`; others get 400 `invalid_client`. Default Claude Code's. */
  clientId?: string;
  /** `expires_in` of issued access tokens, in seconds. Default 28800 (8 hours). */
  expiresIn?: number;
  /** Delay before every answer, so concurrent refreshes overlap. Default 0. */
  latencyMs?: number;
  /** `scope` of issued tokens. Default `user:inference user:profile`. */
  scope?: string;
  /** Refresh tokens that are valid from the start. */
  refreshTokens?: string[];
  /** Path of the token endpoint. Default `/v1/oauth/token`. */
  path?: string;
}

/** An authorization code a test expects the client to redeem. */
export interface AuthCodeRegistration {
  code: string;
  /** The `code_challenge` the client sent to the authorize URL (see `pkceChallenge`). */
  codeChallenge: string;
  /** When set, the redeeming request must carry this `state`. */
  state?: string;
  /** When set, the redeeming request must carry this `redirect_uri`. */
  redirectUri?: string;
  /** Answered as `account.email_address` (and kept on tokens refreshed from this login). */
  email?: string;
}

/** One successful grant, in the order issued. */
export interface IssuedTokens {
  grantType: "refresh_token" | "authorization_code";
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token stops being valid for `isValidAccessToken`. */
  expiresAt: number;
}

/** A running fake: server, recorded calls, scripting (e.g. `nextReply(oauthReplies.serverError())`). */
export interface OAuthFake extends FakeServer, ScriptControls {
  /** The full token endpoint URL to configure (`models.providers.anthropic.oauthTokenUrl`). */
  readonly tokenUrl: string;
  /** Every successful grant, oldest first. */
  readonly issued: IssuedTokens[];
  /** Makes `token` a valid refresh token (e.g. the one in a seeded `auth-profiles.json`). */
  addRefreshToken(token: string, account?: { email?: string }): void;
  /** Makes `token` a valid access token until `expiresAt` (epoch ms; default: never expires). */
  addAccessToken(token: string, expiresAt?: number): void;
  /** Registers a code for the `authorization_code` grant; each code redeems once. */
  registerAuthCode(registration: AuthCodeRegistration): void;
  /** False once a refresh token has been used (rotated away) or if it was never issued. */
  isValidRefreshToken(token: string): boolean;
  /** True for issued or added access tokens that have not expired; to wire into the Messages fake. */
  isValidAccessToken(token: string): boolean;
  /** Token-endpoint calls so far, of one grant type or all; failed calls count too. */
  countCalls(grantType?: "refresh_token" | "authorization_code"): number;
  /** Changes `expires_in` for later grants. */
  setExpiresIn(seconds: number): void;
  /** Changes the delay before every later answer. */
  setLatency(ms: number): void;
}

/** Starts the fake on 127.0.0.1:0. Close it in `afterEach`/`afterAll`. */
export async function startOAuthFake(options: OAuthFakeOptions = {}): Promise<OAuthFake> {
  const path = options.path ?? "/v1/oauth/token";
  const clientId = options.clientId ?? CLAUDE_CODE_OAUTH_CLIENT_ID;
  const scope = options.scope ?? "user:inference user:profile";
  let expiresIn = options.expiresIn ?? 28_800;
  let latencyMs = options.latencyMs ?? 0;

  // refresh token -> the account email of its login (rotated tokens keep it).
  const refreshTokens = new Map<string, string | undefined>();
  const accessTokens = new Map<string, number>();
  const authCodes = new Map<string, AuthCodeRegistration>();
  const issued: IssuedTokens[] = [];
  const tag = randomBytes(4).toString("hex");
  let serial = 0;
  for (const token of options.refreshTokens ?? []) refreshTokens.set(token, undefined);

  const script = createReplyScript(
    (req) => stringField(req.body, "refresh_token") ?? stringField(req.body, "code"),
  );

  function issue(grantType: IssuedTokens["grantType"], email: string | undefined): JsonObject {
    serial += 1;
    const tokens: IssuedTokens = {
      grantType,
      accessToken: `sk-ant-oat01-fake-${tag}-${serial}`,
      refreshToken: `sk-ant-ort01-fake-${tag}-${serial}`,
      expiresAt: Date.now() + expiresIn * 1000,
    };
    issued.push(tokens);
    accessTokens.set(tokens.accessToken, tokens.expiresAt);
    refreshTokens.set(tokens.refreshToken, email);
    return {
      token_type: "Bearer",
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      expires_in: expiresIn,
      scope,
      ...(email === undefined ? {} : { account: { uuid: `fake-account-${tag}`, email_address: email } }),
    };
  }

  function refresh(body: JsonObject): [number, JsonObject] {
    const token = stringField(body, "refresh_token");
    if (!token) return oauthErrorBody("invalid_request", "refresh_token is required");
    if (!refreshTokens.has(token))
      return oauthErrorBody("invalid_grant", "Refresh token not found or invalid");
    const email = refreshTokens.get(token);
    refreshTokens.delete(token);
    return [200, issue("refresh_token", email)];
  }

  function redeemCode(body: JsonObject): [number, JsonObject] {
    const code = stringField(body, "code");
    const verifier = stringField(body, "code_verifier");
    if (!code || !verifier) return oauthErrorBody("invalid_request", "code and code_verifier are required");
    const registration = authCodes.get(code);
    // A code is spent by any redemption attempt, as RFC 6749 §4.1.2 requires.
    authCodes.delete(code);
    if (!registration) return oauthErrorBody("invalid_grant", "Invalid 'code' in request");
    if (pkceChallenge(verifier) !== registration.codeChallenge) {
      return oauthErrorBody("invalid_grant", "Invalid code_verifier");
    }
    if (registration.state !== undefined && stringField(body, "state") !== registration.state) {
      return oauthErrorBody("invalid_grant", "Invalid state");
    }
    if (
      registration.redirectUri !== undefined &&
      stringField(body, "redirect_uri") !== registration.redirectUri
    ) {
      return oauthErrorBody("invalid_grant", "Redirect URI mismatch");
    }
    return [200, issue("authorization_code", registration.email)];
  }

  function grant(body: JsonObject | undefined): [number, JsonObject] {
    if (!body) return oauthErrorBody("invalid_request", "Request body must be a JSON object");
    if (body.client_id !== clientId) return oauthErrorBody("invalid_client", "Invalid client_id");
    if (body.grant_type === "refresh_token") return refresh(body);
    if (body.grant_type === "authorization_code") return redeemCode(body);
    return oauthErrorBody("unsupported_grant_type", `Unsupported grant_type: ${String(body.grant_type)}`);
  }

  const handle = async (req: RecordedRequest, res: ServerResponse, { signal }: HandlerContext) => {
    if (req.method !== "POST" || req.path !== path) {
      sendJson(res, 404, { error: "not_found", error_description: `${req.method} ${req.path} not found` });
      return;
    }
    if (latencyMs > 0) await delay(latencyMs, undefined, { signal });
    const reply = script.take(req) ?? { kind: "success" };
    await sendReply(res, reply, signal, async () => {
      const [status, body] = grant(req.body);
      sendJson(res, status, body, { "cache-control": "no-store" });
    });
  };

  const server = await startHttpFake(handle);
  return {
    ...server,
    ...script.controls,
    tokenUrl: `${server.url}${path}`,
    issued,
    addRefreshToken(token, account) {
      refreshTokens.set(token, account?.email);
    },
    addAccessToken(token, expiresAt = Number.POSITIVE_INFINITY) {
      accessTokens.set(token, expiresAt);
    },
    registerAuthCode(registration) {
      authCodes.set(registration.code, registration);
    },
    isValidRefreshToken: (token) => refreshTokens.has(token),
    isValidAccessToken: (token) => (accessTokens.get(token) ?? 0) > Date.now(),
    countCalls: (grantType) =>
      server.requests.filter(
        (req) => req.path === path && (grantType === undefined || req.body?.grant_type === grantType),
      ).length,
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
  };
}

function stringField(body: JsonObject | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function oauthErrorBody(error: string, description: string): [number, JsonObject] {
  return [400, { error, error_description: description }];
}

/** An OAuth-shaped error reply: `{error, error_description}`. */
function oauthError(
  status: number,
  error: string,
  description: string,
  headers?: Record<string, string>,
): FakeReply {
  return { kind: "json", status, body: { error, error_description: description }, headers };
}

/**
 * Ready-made failures for `nextReply` / `nextReplyFor(refreshToken, …)` / `onCredential`. A
 * scripted reply does not touch the token state: a refresh token stays valid after a scripted 500.
 */
export const oauthReplies = {
  /** Any OAuth-shaped error. */
  error: oauthError,
  /** 400 invalid_grant, as for a revoked or already-used refresh token. */
  invalidGrant: (description = "Refresh token not found or invalid"): FakeReply =>
    oauthError(400, "invalid_grant", description),
  /** 429 with `retry-after` seconds. */
  rateLimited: (retryAfter = 30): FakeReply =>
    oauthError(429, "rate_limit_exceeded", "Too many requests", { "retry-after": String(retryAfter) }),
  /** 500 server_error. */
  serverError: (): FakeReply => oauthError(500, "server_error", "Internal server error"),
  /** The normal answer after `delayMs`. */
  slow: commonReplies.slow,
  /** Never answers. */
  hang: commonReplies.hang,
  /** Destroys the socket without a response. */
  drop: commonReplies.drop,
  /** An HTML 502 from a proxy. */
  badGateway: commonReplies.badGateway,
};
