import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLAUDE_CODE_OAUTH_CLIENT_ID,
  type OAuthFake,
  oauthReplies,
  startOAuthFake,
} from "../fakes/anthropic-oauth-server.js";
import { expectNoSecretIn } from "../support/secrets.js";
import { createSandbox, type Sandbox, startCli } from "./models-harness.js";

let sb: Sandbox;
let fake: OAuthFake;

beforeEach(async () => {
  sb = await createSandbox();
  fake = await startOAuthFake();
  await sb.writeConfig({ models: { providers: { anthropic: { oauthTokenUrl: fake.tokenUrl } } } });
});

afterEach(async () => {
  await fake.close();
  await sb.cleanup();
});

const REDIRECT = "https://console.anthropic.com/oauth/code/callback";

/** Starts `models auth login`, reads the authorize URL it prints, and returns its parameters. */
async function beginLogin(extraArgs: string[] = []) {
  const cli = startCli(["models", "auth", "login", "--provider", "anthropic", ...extraArgs], sb.env);
  const [urlText] = await cli.waitForStdout(/https:\/\/claude\.ai\/oauth\/authorize\?\S+/);
  return { cli, url: new URL(urlText) };
}

interface Stored {
  profiles: Record<
    string,
    { type: string; access: string; refresh: string; expires: number; email?: string; origin?: string }
  >;
}

describe("models auth login (PKCE manual code)", () => {
  it("prints the authorize URL, exchanges the pasted code#state and stores anthropic:<email>", async () => {
    const { cli, url } = await beginLogin();
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      code: "true",
      client_id: CLAUDE_CODE_OAUTH_CLIENT_ID,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "org:create_api_key user:profile user:inference",
      code_challenge_method: "S256",
    });
    const state = url.searchParams.get("state")!;
    const challenge = url.searchParams.get("code_challenge")!;
    expect(state.length).toBeGreaterThanOrEqual(32);
    fake.registerAuthCode({
      code: "code-abc-123456",
      codeChallenge: challenge,
      state,
      redirectUri: REDIRECT,
      email: "me@example.com",
    });
    cli.end(`code-abc-123456#${state}\n`);
    const res = await cli.result;
    expect(res.stderr).not.toContain("error");
    expect(res.code).toBe(0);
    expect(fake.countCalls("authorization_code")).toBe(1);
    expect(fake.requests[0]!.body).toMatchObject({
      grant_type: "authorization_code",
      code: "code-abc-123456",
      state,
      redirect_uri: REDIRECT,
      client_id: CLAUDE_CODE_OAUTH_CLIENT_ID,
    });

    const issued = fake.issued[0]!;
    expect(res.stdout).toContain("Added anthropic:me@example.com");
    expect(res.stdout).toMatch(/type +oauth \(me@example\.com\)/);
    expectNoSecretIn(res.stdout + res.stderr, [issued.accessToken, issued.refreshToken]);

    const stored = await sb.readJson<Stored>(sb.profilesPath());
    expect(stored.profiles["anthropic:me@example.com"]).toMatchObject({
      type: "oauth",
      provider: "anthropic",
      access: issued.accessToken,
      refresh: issued.refreshToken,
      email: "me@example.com",
      origin: "login",
    });
    expect(Math.abs(stored.profiles["anthropic:me@example.com"]!.expires - issued.expiresAt)).toBeLessThan(
      5_000,
    );
    const config = await sb.readJson<{ auth: { profiles: Record<string, unknown> } }>(sb.configPath);
    expect(config.auth.profiles["anthropic:me@example.com"]).toEqual({
      provider: "anthropic",
      mode: "oauth",
      email: "me@example.com",
    });

    const check = await sb.run(["models", "status", "--check", "--json"]);
    expect(check.code).toBe(0);
    expectNoSecretIn(check.stdout, [issued.accessToken, issued.refreshToken]);
    const audit = await readFile(sb.auditPath, "utf8");
    expect(audit).toContain('"target":"anthropic:me@example.com"');
    expectNoSecretIn(audit, [issued.accessToken, issued.refreshToken]);
  });

  it("without an email in the answer the profile is anthropic:default; the full callback URL is accepted too", async () => {
    const { cli, url } = await beginLogin();
    const state = url.searchParams.get("state")!;
    fake.registerAuthCode({
      code: "code-no-mail-1",
      codeChallenge: url.searchParams.get("code_challenge")!,
      state,
    });
    cli.end(`${REDIRECT}?code=code-no-mail-1&state=${state}\n`);
    const res = await cli.result;
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Added anthropic:default");
    expect(Object.keys((await sb.readJson<Stored>(sb.profilesPath())).profiles)).toEqual([
      "anthropic:default",
    ]);
  });

  it("refuses a code whose state does not match, before calling the token endpoint", async () => {
    const { cli, url } = await beginLogin();
    fake.registerAuthCode({
      code: "code-xyz-123456",
      codeChallenge: url.searchParams.get("code_challenge")!,
    });
    cli.end("code-xyz-123456#someone-elses-state-value\n");
    const res = await cli.result;
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: the pasted code belongs to a different login attempt/m);
    expect(res.stderr).toMatch(/^ {2}fix: tessera models auth login --provider anthropic/m);
    expect(fake.countCalls()).toBe(0);
    await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
  });

  it("a paste without #state is refused", async () => {
    const { cli } = await beginLogin();
    cli.end("just-a-code-without-state\n");
    const res = await cli.result;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("has no `#state` part");
    expect(fake.countCalls()).toBe(0);
  });

  it("the endpoint's refusal is reported in its own words, with nothing stored", async () => {
    const { cli, url } = await beginLogin();
    // Not registered: the fake answers invalid_grant.
    cli.end(`unknwn-Zq9w-12345#${url.searchParams.get("state")}\n`);
    const res = await cli.result;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      "error: the token endpoint refused the code (HTTP 400): invalid_grant: Invalid 'code' in request",
    );
    expect(res.stderr).not.toContain("unknwn-Zq9w-12345");
    await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
  });

  it("a server error is an error, not a hang or a crash", async () => {
    const { cli, url } = await beginLogin();
    fake.nextReply(oauthReplies.serverError());
    cli.end(`some-code-123456#${url.searchParams.get("state")}\n`);
    const res = await cli.result;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("HTTP 500): server_error: Internal server error");
  });

  it("--profile-id names the profile; --agent picks the store", async () => {
    await sb.writeConfig({
      agents: { list: [{ id: "main" }, { id: "ops" }] },
      models: { providers: { anthropic: { oauthTokenUrl: fake.tokenUrl } } },
    });
    const { cli, url } = await beginLogin(["--profile-id", "anthropic:team", "--agent", "ops"]);
    const state = url.searchParams.get("state")!;
    fake.registerAuthCode({
      code: "code-team-12345",
      codeChallenge: url.searchParams.get("code_challenge")!,
      state,
      email: "t@example.com",
    });
    cli.end(`code-team-12345#${state}\n`);
    const res = await cli.result;
    expect(res.code).toBe(0);
    expect(Object.keys((await sb.readJson<Stored>(sb.profilesPath("ops"))).profiles)).toEqual([
      "anthropic:team",
    ]);
  });

  it("refuses other providers", async () => {
    const res = await sb.run(["models", "auth", "login", "--provider", "openai"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("login supports only --provider anthropic");
  });
});
