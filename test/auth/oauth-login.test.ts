import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ANTHROPIC_OAUTH,
  exchangeAuthCode,
  parseAuthCodePaste,
  pkceChallengeOf,
  startPkceLogin,
} from "../../src/auth/oauth-login.js";
import { isTesseraError } from "../../src/errors.js";
import {
  type OAuthFake,
  oauthReplies,
  pkceChallenge,
  startOAuthFake,
} from "../fakes/anthropic-oauth-server.js";
import { expectNoSecretIn } from "../support/secrets.js";

describe("startPkceLogin", () => {
  it("builds Anthropic's authorize URL with an S256 challenge of a fresh verifier and state", () => {
    const login = startPkceLogin();
    const url = new URL(login.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://claude.ai/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      code: "true",
      client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
      response_type: "code",
      redirect_uri: "https://console.anthropic.com/oauth/code/callback",
      scope: "org:create_api_key user:profile user:inference",
      code_challenge: login.challenge,
      code_challenge_method: "S256",
      state: login.state,
    });
    // RFC 7636: 43..128 characters of the unreserved set; the challenge is the fake's own S256.
    expect(login.verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(login.challenge).toBe(pkceChallenge(login.verifier));
    expect(url.toString()).not.toContain(login.verifier);
    const other = startPkceLogin();
    expect(other.state).not.toBe(login.state);
    expect(other.verifier).not.toBe(login.verifier);
  });

  it("computes the RFC 7636 appendix B example challenge", () => {
    expect(pkceChallengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });
});

describe("parseAuthCodePaste", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return isTesseraError(err) ? err.code : "not a TesseraError";
    }
    return "no error";
  };

  it("accepts code#state, wrapped over lines, and the callback URL", () => {
    expect(parseAuthCodePaste("abc123#st4te\n", "st4te")).toEqual({ code: "abc123" });
    expect(parseAuthCodePaste("  abc\r\n123#st\n4te  ", "st4te")).toEqual({ code: "abc123" });
    expect(parseAuthCodePaste(`${ANTHROPIC_OAUTH.redirectUri}?code=abc123&state=st4te`, "st4te")).toEqual({
      code: "abc123",
    });
  });

  it("refuses a state from another attempt, a missing state and an empty paste", () => {
    expect(code(() => parseAuthCodePaste("abc123#other", "st4te"))).toBe("OAUTH_STATE_MISMATCH");
    expect(code(() => parseAuthCodePaste("abc123", "st4te"))).toBe("OAUTH_FAILED");
    expect(code(() => parseAuthCodePaste("   ", "st4te"))).toBe("OAUTH_FAILED");
    expect(code(() => parseAuthCodePaste("#st4te", "st4te"))).toBe("OAUTH_FAILED");
  });
});

describe("exchangeAuthCode against the fake token endpoint", () => {
  let fake: OAuthFake;

  beforeEach(async () => {
    fake = await startOAuthFake();
  });

  afterEach(async () => {
    await fake.close();
  });

  it("redeems the code with the verifier and returns an oauth credential", async () => {
    const login = startPkceLogin();
    fake.registerAuthCode({
      code: "the-code",
      codeChallenge: login.challenge,
      state: login.state,
      redirectUri: ANTHROPIC_OAUTH.redirectUri,
      email: "a@example.com",
    });
    const now = Date.now();
    const credential = await exchangeAuthCode({
      tokenUrl: fake.tokenUrl,
      code: "the-code",
      state: login.state,
      verifier: login.verifier,
      now,
    });
    const issued = fake.issued[0]!;
    expect(credential).toEqual({
      type: "oauth",
      provider: "anthropic",
      access: issued.accessToken,
      refresh: issued.refreshToken,
      expires: now + 28_800_000,
      email: "a@example.com",
      origin: "login",
    });
    expect(fake.requests[0]!.headers["content-type"]).toBe("application/json");
  });

  it("a wrong verifier is refused by the endpoint and reported without the code or verifier", async () => {
    const login = startPkceLogin();
    fake.registerAuthCode({ code: "Zq9w-one-12345", codeChallenge: login.challenge });
    const other = startPkceLogin();
    const err = await exchangeAuthCode({
      tokenUrl: fake.tokenUrl,
      code: "Zq9w-one-12345",
      state: login.state,
      verifier: other.verifier,
    }).catch((e: unknown) => e);
    expect(isTesseraError(err) && err.code).toBe("OAUTH_FAILED");
    expect((err as Error).message).toBe(
      "the token endpoint refused the code (HTTP 400): invalid_grant: Invalid code_verifier",
    );
    expectNoSecretIn((err as Error).message, [other.verifier, "Zq9w-one-12345"]);
  });

  it("an answer without tokens, an HTML error page and an unreachable endpoint are clear errors", async () => {
    const login = startPkceLogin();
    const input = {
      tokenUrl: fake.tokenUrl,
      code: "c0de-12345678",
      state: login.state,
      verifier: login.verifier,
    };
    fake.nextReply({ kind: "json", status: 200, body: { token_type: "Bearer" } });
    await expect(exchangeAuthCode(input)).rejects.toThrow(
      /without access_token, refresh_token and expires_in/,
    );
    fake.nextReply(oauthReplies.badGateway());
    await expect(exchangeAuthCode(input)).rejects.toThrow(/HTTP 502/);
    // A multi-line page becomes one line of the error.
    fake.nextReply({ kind: "raw", status: 503, body: "<html>\n<body>\n  Busy\n</body>\n</html>\n" });
    await expect(exchangeAuthCode(input)).rejects.toThrow(
      /^the token endpoint refused the code \(HTTP 503\): <html> <body> Busy <\/body> <\/html>$/,
    );
    const closedUrl = fake.tokenUrl;
    await fake.close();
    await expect(exchangeAuthCode({ ...input, tokenUrl: closedUrl })).rejects.toThrow(
      /could not reach the token endpoint/,
    );
    fake = await startOAuthFake();
  });

  it("a hanging endpoint times out", async () => {
    const login = startPkceLogin();
    fake.nextReply(oauthReplies.hang());
    await expect(
      exchangeAuthCode({
        tokenUrl: fake.tokenUrl,
        code: "c",
        state: login.state,
        verifier: login.verifier,
        timeoutMs: 300,
      }),
    ).rejects.toThrow(/could not reach the token endpoint/);
  });
});
