import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLAUDE_CODE_OAUTH_CLIENT_ID,
  type OAuthFake,
  oauthReplies,
  pkceChallenge,
  startOAuthFake,
} from "./anthropic-oauth-server.js";
import { readJson } from "./read-response.js";

interface TokenBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  error?: string;
}

let fake: OAuthFake;

beforeEach(async () => {
  fake = await startOAuthFake({ refreshTokens: ["seed-refresh"] });
});

afterEach(async () => {
  await fake.close();
});

function postToken(body: Record<string, unknown>): Promise<Response> {
  return fetch(fake.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: CLAUDE_CODE_OAUTH_CLIENT_ID, ...body }),
  });
}

const refresh = (token: string) => postToken({ grant_type: "refresh_token", refresh_token: token });

describe("anthropic oauth fake", () => {
  it("rotates refresh tokens and refuses a reused one", async () => {
    const first = await refresh("seed-refresh");
    expect(first.status).toBe(200);
    const tokens = await readJson<TokenBody>(first);
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 28_800, scope: expect.any(String) });
    expect(tokens.refresh_token).not.toBe("seed-refresh");
    expect(fake.isValidAccessToken(tokens.access_token)).toBe(true);
    expect(fake.isValidRefreshToken("seed-refresh")).toBe(false);

    const reused = await refresh("seed-refresh");
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({
      error: "invalid_grant",
      error_description: "Refresh token not found or invalid",
    });

    const second = await refresh(tokens.refresh_token);
    expect(second.status).toBe(200);
    expect(fake.countCalls("refresh_token")).toBe(3);
    expect(fake.issued.map((t) => t.grantType)).toEqual(["refresh_token", "refresh_token"]);
  });

  it("lets only one of two overlapping refreshes of the same token win", async () => {
    fake.setLatency(100);
    const results = await Promise.all([refresh("seed-refresh"), refresh("seed-refresh")]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(fake.countCalls("refresh_token")).toBe(2);
  });

  it("rejects other client ids", async () => {
    const response = await postToken({
      grant_type: "refresh_token",
      refresh_token: "seed-refresh",
      client_id: "x",
    });
    expect(response.status).toBe(400);
    expect((await readJson<TokenBody>(response)).error).toBe("invalid_client");
    expect(fake.isValidRefreshToken("seed-refresh")).toBe(true);
  });

  it("redeems an authorization code once, checking PKCE, state and redirect uri", async () => {
    const verifier = "a-verifier-of-enough-length-0123456789-abcdefghijklmnop";
    const redeem = (code: string, codeVerifier: string) =>
      postToken({
        grant_type: "authorization_code",
        code,
        state: "st",
        code_verifier: codeVerifier,
        redirect_uri: "https://console.anthropic.com/oauth/code/callback",
      });
    const registration = {
      codeChallenge: pkceChallenge(verifier),
      state: "st",
      redirectUri: "https://console.anthropic.com/oauth/code/callback",
      email: "me@example.com",
    };
    fake.registerAuthCode({ code: "code-1", ...registration });
    fake.registerAuthCode({ code: "code-2", ...registration });

    const wrong = await redeem("code-1", "not-the-verifier");
    expect(wrong.status).toBe(400);
    expect((await readJson<TokenBody>(wrong)).error).toBe("invalid_grant");
    expect((await redeem("code-1", verifier)).status).toBe(400);

    const ok = await redeem("code-2", verifier);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ account: { email_address: "me@example.com" } });
    expect((await redeem("code-2", verifier)).status).toBe(400);
    expect(fake.countCalls("authorization_code")).toBe(4);
  });

  it("serves scripted failures without spending the token", async () => {
    fake.nextReply(oauthReplies.serverError());
    expect((await refresh("seed-refresh")).status).toBe(500);
    expect(fake.isValidRefreshToken("seed-refresh")).toBe(true);
    fake.setExpiresIn(60);
    expect((await readJson<TokenBody>(await refresh("seed-refresh"))).expires_in).toBe(60);
  });
});
