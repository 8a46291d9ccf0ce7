import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthStore } from "../../src/auth/auth-store.js";
import { CLAUDE_CLI_PROFILE_ID, claudeCodeLocation } from "../../src/auth/claude-code.js";
import { OAuthRefresher } from "../../src/auth/oauth-refresh.js";
import { type OAuthFake, oauthReplies, startOAuthFake } from "../fakes/anthropic-oauth-server.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const run = promisify(execFile);
const who = { actor: "test", surface: "test" };
let oauth: OAuthFake;
let dir: string;
let store: AuthStore;

beforeAll(async () => {
  oauth = await startOAuthFake();
});
afterAll(() => oauth.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-refresh-"));
  store = new AuthStore(dir, "main");
  oauth.resetScript();
  oauth.setLatency(0);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function seedOAuth(id: string, refresh: string, expires: number) {
  oauth.addRefreshToken(refresh);
  await store.upsertProfile(
    id,
    { type: "oauth", provider: "anthropic", access: `sk-ant-oat01-old-${refresh}`, refresh, expires },
    who,
  );
}

async function seedClaudeCode(
  name: string,
  claudeAiOauth: Record<string, unknown>,
  extra = {},
  mode = 0o600,
) {
  const claudeDir = join(dir, name);
  await mkdir(claudeDir, { recursive: true });
  const path = join(claudeDir, ".credentials.json");
  await writeFile(path, JSON.stringify({ claudeAiOauth, ...extra }), { mode });
  return { path, loc: claudeCodeLocation({ CLAUDE_CONFIG_DIR: claudeDir }, "linux") };
}

describe("OAuthRefresher", () => {
  it("leaves a token with more than five minutes left alone", async () => {
    const before = oauth.countCalls();
    await seedOAuth("anthropic:me", "rt-fresh", Date.now() + 3_600_000);
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl });
    const credential = await refresher.fresh("anthropic:me");
    expect(credential.access).toBe("sk-ant-oat01-old-rt-fresh");
    expect(oauth.countCalls()).toBe(before);
  });

  it("refreshes a token under five minutes, once for many concurrent callers, and stores the rotated pair", async () => {
    const before = oauth.countCalls();
    await seedOAuth("anthropic:me", "rt-soon", Date.now() + 60_000);
    oauth.setLatency(100);
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl });
    const results = await Promise.all(Array.from({ length: 10 }, () => refresher.fresh("anthropic:me")));
    expect(oauth.countCalls() - before).toBe(1);
    const issued = oauth.issued.at(-1)!;
    expect(new Set(results.map((r) => r.access))).toEqual(new Set([issued.accessToken]));
    const stored = (await store.load()).profiles.profiles["anthropic:me"];
    expect(stored).toMatchObject({ type: "oauth", access: issued.accessToken, refresh: issued.refreshToken });
    expect(oauth.isValidRefreshToken("rt-soon")).toBe(false);
  });

  it("forces one refresh after a 401, unless the stored token already changed", async () => {
    const before = oauth.countCalls();
    await seedOAuth("anthropic:me", "rt-401", Date.now() + 3_600_000);
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl });
    const rejected = "sk-ant-oat01-old-rt-401";
    const refreshed = await refresher.fresh("anthropic:me", { force: true, rejectedAccess: rejected });
    expect(refreshed.access).not.toBe(rejected);
    const again = await refresher.fresh("anthropic:me", { force: true, rejectedAccess: rejected });
    expect(again.access).toBe(refreshed.access);
    expect(oauth.countCalls() - before).toBe(1);
  });

  it("marks needs-reauth with the provider's words, secrets removed, when the refresh token is refused", async () => {
    const access = fakeSecret("sk-ant-oat01-");
    const refresh = fakeSecret("sk-ant-ort01-");
    await store.upsertProfile(
      "anthropic:me",
      { type: "oauth", provider: "anthropic", access, refresh, expires: Date.now() - 1000 },
      who,
    );
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl });
    const err = (await refresher.fresh("anthropic:me").catch((e) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/invalid_grant/);
    expect(err.hint).toMatch(/models auth login --provider anthropic/);
    const usage = (await store.load()).state.usage["anthropic:me"];
    expect(usage?.needsReauth?.reason).toMatch(/invalid_grant/);
    expectNoSecretIn(`${err.message} ${JSON.stringify(usage)}`, [access, refresh]);
  });

  it("writes rotated tokens back to Claude Code, keeping its other fields and its mode", async () => {
    oauth.addRefreshToken("sk-ant-ort01-cc");
    const { path, loc } = await seedClaudeCode(
      "claude",
      {
        accessToken: "sk-ant-oat01-cc-old",
        refreshToken: "sk-ant-ort01-cc",
        expiresAt: Date.now() + 60_000,
        scopes: ["user:inference"],
        subscriptionType: "max",
      },
      { mcpOAuth: { server: { token: "keep-me" } } },
      0o640,
    );
    await store.upsertProfile(
      CLAUDE_CLI_PROFILE_ID,
      {
        type: "oauth",
        provider: "anthropic",
        access: "sk-ant-oat01-cc-old",
        refresh: "sk-ant-ort01-cc",
        expires: Date.now() + 60_000,
        origin: "claude-code",
      },
      who,
    );
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl, claudeCode: loc });
    const refreshed = await refresher.fresh(CLAUDE_CLI_PROFILE_ID);
    expect(refreshed.access).not.toBe("sk-ant-oat01-cc-old");
    const written = JSON.parse(await readFile(path, "utf8"));
    expect(written.claudeAiOauth).toEqual({
      accessToken: refreshed.access,
      refreshToken: refreshed.refresh,
      expiresAt: refreshed.expires,
      scopes: ["user:inference"],
      subscriptionType: "max",
    });
    expect(written.mcpOAuth).toEqual({ server: { token: "keep-me" } });
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it("uses Claude Code's own newer token instead of spending the refresh token", async () => {
    await store.upsertProfile(
      CLAUDE_CLI_PROFILE_ID,
      {
        type: "oauth",
        provider: "anthropic",
        access: "sk-ant-oat01-stale",
        refresh: "sk-ant-ort01-stale",
        expires: Date.now() - 1,
        origin: "claude-code",
      },
      who,
    );
    const { loc } = await seedClaudeCode("claude2", {
      accessToken: "sk-ant-oat01-by-claude",
      refreshToken: "sk-ant-ort01-by-claude",
      expiresAt: Date.now() + 8 * 3_600_000,
    });
    const before = oauth.countCalls();
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl, claudeCode: loc });
    const credential = await refresher.fresh(CLAUDE_CLI_PROFILE_ID);
    expect(credential.access).toBe("sk-ant-oat01-by-claude");
    expect(oauth.countCalls()).toBe(before);
  });

  it("refreshes exactly once across 4 processes × 5 concurrent callers", async () => {
    await seedOAuth("anthropic:shared", "rt-race", Date.now() - 1000);
    oauth.setLatency(300);
    const before = oauth.countCalls();
    const worker = join(process.cwd(), "test/fixtures/refresh-worker.mjs");
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, [worker, dir, "main", "anthropic:shared", oauth.tokenUrl, "5"], {
          timeout: 45_000,
        }),
      ),
    );
    const results = outputs.flatMap((o) => JSON.parse(o.stdout) as { ok: boolean; access?: string }[]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(oauth.countCalls() - before).toBe(1);
    const issued = oauth.issued.at(-1)!;
    expect(new Set(results.map((r) => r.access))).toEqual(new Set([issued.accessToken]));
    const stored = (await store.load()).profiles.profiles["anthropic:shared"];
    expect(stored).toMatchObject({ access: issued.accessToken, refresh: issued.refreshToken });
  });

  it("reports a token-endpoint outage as an error that says so", async () => {
    await seedOAuth("anthropic:me", "rt-outage", Date.now() - 1000);
    oauth.nextReply(oauthReplies.serverError());
    const refresher = new OAuthRefresher({ store, tokenUrl: oauth.tokenUrl });
    const err = (await refresher.fresh("anthropic:me").catch((e) => e)) as Error;
    expect(err.message).toMatch(/HTTP 5\d\d/);
  });
});
