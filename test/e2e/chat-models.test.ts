import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthStore } from "../../src/auth/auth-store.js";
import {
  type AnthropicFake,
  anthropicReplies,
  credentialOf,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import { type OAuthFake, startOAuthFake } from "../fakes/anthropic-oauth-server.js";
import { lastUserText } from "../fakes/chat-fake.js";
import { type OpenAIFake, startOpenAIFake } from "../fakes/openai-chat-server.js";
import { chat } from "../support/run-chat.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "tessera.js");
const who = { actor: "test", surface: "test" };

const defaultKey = fakeSecret("sk-ant-api03-");
const workKey = fakeSecret("sk-ant-api03-");
const openrouterKey = fakeSecret("sk-or-v1-");
const claudeAccess = fakeSecret("sk-ant-oat01-", 100);
const claudeRefresh = fakeSecret("sk-ant-ort01-", 100);
const secrets = [defaultKey, workKey, openrouterKey, claudeAccess, claudeRefresh];

let anthropic: AnthropicFake;
let openrouter: OpenAIFake;
let oauth: OAuthFake;
let dir: string;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  anthropic = await startAnthropicFake();
  openrouter = await startOpenAIFake({ basePath: "/api/v1" });
  oauth = await startOAuthFake();
});
afterAll(async () => {
  await Promise.all([anthropic.close(), openrouter.close(), oauth.close()]);
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-e2e-models-"));
  home = join(dir, "home");
  await mkdir(join(home, ".claude"), { recursive: true });
  anthropic.requests.length = 0;
  anthropic.resetScript();
  anthropic.setReplyText((req) => `echo: ${lastUserText(req.body)}`);
  openrouter.requests.length = 0;
  env = {
    PATH: process.env.PATH,
    HOME: home,
    TESSERA_STATE_DIR: join(dir, "state"),
    TESSERA_PROVIDER_RETRIES: "0",
    NO_COLOR: "1",
  };
  await mkdir(join(dir, "state"), { recursive: true });
  await writeFile(
    join(dir, "state", "config.json"),
    JSON.stringify({
      models: {
        aliases: { sonnet: "anthropic/claude-sonnet-4-5", router: "openrouter/openai/gpt-5" },
        providers: {
          anthropic: { baseUrl: anthropic.url, oauthTokenUrl: oauth.tokenUrl },
          openrouter: { baseUrl: `${openrouter.url}/api/v1` },
        },
      },
    }),
  );
  const store = new AuthStore(join(dir, "state"), "main");
  await store.upsertProfile(
    "anthropic:default",
    { type: "api_key", provider: "anthropic", key: defaultKey },
    who,
  );
  await store.upsertProfile("anthropic:work", { type: "api_key", provider: "anthropic", key: workKey }, who);
  await store.upsertProfile(
    "openrouter:default",
    { type: "api_key", provider: "openrouter", key: openrouterKey },
    who,
  );
  await store.setOrder("anthropic", ["anthropic:default", "anthropic:work"], who);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function writeClaudeCode(expiresAt: number) {
  await writeFile(
    join(home, ".claude", ".credentials.json"),
    JSON.stringify({
      claudeAiOauth: {
        accessToken: claudeAccess,
        refreshToken: claudeRefresh,
        expiresAt,
        subscriptionType: "max",
      },
      other: "kept",
    }),
    { mode: 0o600 },
  );
}

describe("plain messages through tessera chat reach the model with the resolved credential", () => {
  it("answers a plain message with the first credential in order", async () => {
    const out = await chat(env, "hello model\n");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("echo: hello model");
    expect(anthropic.requests.map((r) => credentialOf(r))).toEqual([
      { kind: "x-api-key", value: defaultKey },
    ]);
    expectNoSecretIn(out.stdout + out.stderr, secrets);
  });

  it("after /model sonnet@anthropic:work the provider sees exactly the work key", async () => {
    const out = await chat(env, "/model sonnet@anthropic:work\nwho answers?\n");
    expect(out.stdout).toContain("echo: who answers?");
    expect(anthropic.requests).toHaveLength(1);
    const req = anthropic.requests[0]!;
    expect(credentialOf(req)).toEqual({ kind: "x-api-key", value: workKey });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toMatchObject({ model: "claude-sonnet-4-5" });
    expectNoSecretIn(out.stdout + out.stderr, secrets);
  });

  it("after /model @anthropic:claude-cli the provider sees the Bearer token and the oauth beta header", async () => {
    await writeClaudeCode(Date.now() + 8 * 3_600_000);
    const out = await chat(env, "/model @anthropic:claude-cli\nvia subscription\n");
    expect(out.stdout).toContain("echo: via subscription");
    const req = anthropic.requests.at(-1)!;
    expect(credentialOf(req)).toEqual({ kind: "bearer", value: claudeAccess, beta: "oauth-2025-04-20" });
    expect(req.headers["x-api-key"]).toBeUndefined();
    expectNoSecretIn(out.stdout + out.stderr, secrets);
  });

  it("fails over on a 429 without a pin and says so; with a pin it shows the error and the fix", async () => {
    anthropic.nextReplyFor(defaultKey, anthropicReplies.rateLimited(120));
    const free = await chat(env, "first try\n");
    expect(free.stdout).toContain("echo: first try");
    expect(free.stdout).toMatch(
      /answered with anthropic:work \(anthropic:default: rate limited, retry after 2m\)/,
    );
    const state = JSON.parse(
      await readFile(join(dir, "state", "agents", "main", "agent", "auth-state.json"), "utf8"),
    );
    expect(state.usage["anthropic:default"].cooldownUntil - Date.now()).toBeGreaterThan(100_000);
    anthropic.requests.length = 0;
    anthropic.nextReplyFor(workKey, anthropicReplies.rateLimited(30));
    const pinned = await chat(env, "/model @anthropic:work\nsecond try\n");
    expect(pinned.stdout).toMatch(/pinned to anthropic:work; pins never fail over/);
    expect(pinned.stdout).toMatch(/fix: /);
    expect(anthropic.requests.map((r) => credentialOf(r)?.value)).toEqual([workKey]);
    expectNoSecretIn(free.stdout + free.stderr + pinned.stdout + pinned.stderr, secrets);
  });

  it("SIGTERM cancels a model call in flight and the console exits cleanly", async () => {
    anthropic.nextReply(anthropicReplies.hang());
    const child = spawn(process.execPath, [BIN, "chat"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.write("are you there?\n");
    await anthropic.waitForRequests(1);
    child.kill("SIGTERM");
    // The provider timeout is 120 s: without the cancel this would outlive the test's own timeout.
    expect(await closed).toBe(0);
    expect(stdout).toMatch(
      /No answer from anthropic\/claude-sonnet-4-5: the request to anthropic was cancelled/,
    );
  });

  it("routes an OpenRouter model to {baseUrl}/chat/completions with its own key", async () => {
    const out = await chat(env, "/model router\nhi router\n");
    expect(out.stdout).toContain("echo: hi router");
    expect(openrouter.requests[0]!.path).toBe("/api/v1/chat/completions");
    expect(openrouter.requests[0]!.headers.authorization).toBe(`Bearer ${openrouterKey}`);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("a failed refresh marks needs-reauth, the reply says what to do, and models status --check exits 1", async () => {
    // Claude Code's refresh token is unknown to the token endpoint: the refresh fails with invalid_grant.
    await writeClaudeCode(Date.now() - 60_000);
    const out = await chat(env, "/model @anthropic:claude-cli\nplease answer\n");
    expect(out.stdout).toMatch(/invalid_grant/);
    expect(out.stdout).toMatch(/run `claude` and log in again/);
    expect(anthropic.requests).toHaveLength(0);
    const state = JSON.parse(
      await readFile(join(dir, "state", "agents", "main", "agent", "auth-state.json"), "utf8"),
    );
    expect(state.usage["anthropic:claude-cli"].needsReauth.reason).toMatch(/invalid_grant/);
    const check = await run(process.execPath, [BIN, "models", "status", "--check"], { env }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(check).toBe(1);
    expectNoSecretIn(out.stdout + out.stderr, secrets);
  });
});

describe("a credential Anthropic accepts only from Claude Code", () => {
  const apiKeyFix =
    /use an Anthropic API key for this gateway: tessera models auth paste-api-key --provider anthropic/;
  // What makes the same kind of credential again, or says nothing specific.
  const badAdvice =
    /paste-token|auth login|log in again|run `claude|shows each credential's state and the fix/;

  it("every surface — chat with and without a pin, owner notice, models status, doctor — says to use an API key", async () => {
    const store = new AuthStore(join(dir, "state"), "main");
    await store.clearOrder("anthropic", who);
    await store.removeProfile("anthropic:default", who);
    await store.removeProfile("anthropic:work", who);
    await writeClaudeCode(Date.now() + 8 * 3_600_000);
    anthropic.onCredential(claudeAccess, anthropicReplies.claudeCodeOnly());

    // Unpinned, the synced Claude Code login is the only candidate: failover runs out.
    const free = await chat(env, "hello there\nstill there?\n");
    const replies = free.stdout.split(/No answer from /).slice(1);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatch(/every anthropic credential failed: anthropic:claude-cli: /);
    for (const reply of replies) {
      const fix = /^fix: (.*)$/m.exec(reply)?.[1];
      expect(fix).toMatch(apiKeyFix);
      expect(fix).not.toMatch(badAdvice);
    }
    // The owner's credential notice (below the first answer) carries the same fix.
    expect(free.stdout).toMatch(
      /credential notice: anthropic:claude-cli: refused: .*\n\s+fix: use an Anthropic API key/,
    );
    expect(anthropic.requests).toHaveLength(1);
    const state = JSON.parse(
      await readFile(join(dir, "state", "agents", "main", "agent", "auth-state.json"), "utf8"),
    );
    expect(state.usage["anthropic:claude-cli"].needsReauth).toMatchObject({ kind: "claude_code_only" });

    // Pinned to it: the same advice.
    const pinned = await chat(env, "/model @anthropic:claude-cli\npinned now\n");
    const pinnedFix = /No answer from [^\n]*\nfix: (.*)$/m.exec(pinned.stdout)?.[1];
    expect(pinnedFix).toMatch(apiKeyFix);

    const text = await run(process.execPath, [BIN, "models", "status"], { env });
    expect(text.stdout).toMatch(
      /anthropic:claude-cli: refused: Anthropic accepts this credential only from Claude Code/,
    );
    const fixes = [...text.stdout.matchAll(/fix: (.*)$/gm)].map((m) => m[1]!);
    expect(fixes.length).toBeGreaterThan(0);
    for (const fix of fixes) {
      expect(fix).toMatch(apiKeyFix);
      expect(fix).not.toMatch(badAdvice);
    }

    const json = await run(process.execPath, [BIN, "models", "status", "--json"], { env });
    const report = JSON.parse(json.stdout) as {
      problems: { profileId?: string; what: string; fix: string }[];
    };
    const anthropicProblems = report.problems.filter((p) => /anthropic/.test(p.what));
    expect(anthropicProblems.map((p) => p.profileId)).toContain("anthropic:claude-cli");
    for (const problem of anthropicProblems) {
      expect(problem.fix).toMatch(apiKeyFix);
      expect(problem.fix).not.toMatch(badAdvice);
    }

    const doctor = await run(process.execPath, [BIN, "doctor", "--json"], { env }).catch(
      (e: { stdout: string }) => e,
    );
    const findings = (
      JSON.parse(doctor.stdout) as { findings: { check: string; what: string; fix: string }[] }
    ).findings;
    const credentialFindings = findings.filter((f) => f.check === "credentials");
    expect(credentialFindings.some((f) => /anthropic:claude-cli: refused/.test(f.what))).toBe(true);
    for (const finding of credentialFindings) {
      expect(finding.fix).toMatch(apiKeyFix);
      expect(finding.fix).not.toMatch(badAdvice);
    }
    expectNoSecretIn(
      free.stdout + free.stderr + pinned.stdout + text.stdout + json.stdout + doctor.stdout,
      secrets,
    );
  });
});

describe("refresh on use across processes", () => {
  it("4 processes × 5 concurrent messages with an expired oauth credential: exactly one token call", async () => {
    const store = new AuthStore(join(dir, "state"), "main");
    await store.clearOrder("anthropic", who);
    await store.removeProfile("anthropic:default", who);
    await store.removeProfile("anthropic:work", who);
    oauth.addRefreshToken("sk-ant-ort01-shared-e2e");
    await store.upsertProfile(
      "anthropic:me",
      {
        type: "oauth",
        provider: "anthropic",
        access: "sk-ant-oat01-expired-e2e",
        refresh: "sk-ant-ort01-shared-e2e",
        expires: Date.now() - 1000,
      },
      who,
    );
    oauth.setLatency(300);
    const before = oauth.countCalls();
    const worker = join(ROOT, "test", "fixtures", "turn-worker.mjs");
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, [worker, join(dir, "state"), "5"], { env, timeout: 50_000 }),
      ),
    );
    oauth.setLatency(0);
    const results = outputs.flatMap((o) => JSON.parse(o.stdout) as { text: string; error?: unknown }[]);
    expect(results).toHaveLength(20);
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(oauth.countCalls() - before).toBe(1);
    const issued = oauth.issued.at(-1)!;
    const stored = JSON.parse(
      await readFile(join(dir, "state", "agents", "main", "agent", "auth-profiles.json"), "utf8"),
    );
    expect(stored.profiles["anthropic:me"]).toMatchObject({
      access: issued.accessToken,
      refresh: issued.refreshToken,
    });
    expect(new Set(anthropic.requests.map((r) => credentialOf(r)?.value))).toEqual(
      new Set([issued.accessToken]),
    );
  });
});
