import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { flushDeferredSuccesses } from "../../src/auth/deferred-successes.js";
import { AgentTurnRunner, type BookkeepingFailure } from "../../src/runtime/agent-turn.js";
import { composeRouter } from "../../src/runtime/compose.js";
import { type AgentServices, openAgentServices } from "../../src/runtime/services.js";
import { SessionStore, settleSessionWrites } from "../../src/sessions/session-store.js";
import {
  type AnthropicFake,
  anthropicReplies,
  credentialOf,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import { type OAuthFake, startOAuthFake } from "../fakes/anthropic-oauth-server.js";
import { lastUserText } from "../fakes/chat-fake.js";
import { makeReadOnly } from "../support/read-only-dirs.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const who = { actor: "test", surface: "test" };
const model = { provider: "anthropic", model: "claude-sonnet-4-5" };
const keyA = fakeSecret("sk-ant-api03-");
const keyB = fakeSecret("sk-ant-api03-");
const setupToken = fakeSecret("sk-ant-oat01-", 100);

let anthropic: AnthropicFake;
let oauth: OAuthFake;
let dir: string;
let services: AgentServices;
let sessions: SessionStore;

beforeAll(async () => {
  process.env.TESSERA_PROVIDER_RETRIES = "0";
  anthropic = await startAnthropicFake();
  oauth = await startOAuthFake();
});
afterAll(async () => {
  await anthropic.close();
  await oauth.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-turn-"));
  anthropic.requests.length = 0;
  anthropic.resetScript();
  anthropic.setReplyText((req) => `echo: ${lastUserText(req.body)}`);
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({
      models: { providers: { anthropic: { baseUrl: anthropic.url, oauthTokenUrl: oauth.tokenUrl } } },
      auth: { claudeCode: { sync: false } },
    }),
  );
  services = await openAgentServices({ stateDir: dir, processEnv: { HOME: dir } });
  sessions = new SessionStore(dir, "main");
  await services.store.upsertProfile(
    "anthropic:a",
    { type: "api_key", provider: "anthropic", key: keyA },
    who,
  );
  await services.store.upsertProfile(
    "anthropic:b",
    { type: "api_key", provider: "anthropic", key: keyB },
    who,
  );
  await services.store.setOrder("anthropic", ["anthropic:a", "anthropic:b"], who);
});
afterEach(async () => {
  // The turn hands its answer back before the session's history write lands, and usage is written
  // in batches: both must be done before the directory goes, or they race its removal.
  await settleSessionWrites();
  await flushDeferredSuccesses();
  await rm(dir, { recursive: true, force: true });
});

const runner = () => new AgentTurnRunner({ services, memory: sessions });
const allSecrets = [keyA, keyB, setupToken];

describe("AgentTurnRunner", () => {
  it("answers with the first candidate, sends the history, and records lastGood in auth-state only", async () => {
    const first = await runner().run({ sessionKey: "s1", text: "first", model });
    expect(first).toMatchObject({ text: "echo: first", answeredBy: "anthropic:a" });
    const second = await runner().run({ sessionKey: "s1", text: "second", model });
    expect(second.text).toBe("echo: second");
    expect(anthropic.requests[1]!.body?.messages).toEqual([
      { role: "user", content: "first" },
      { role: "assistant", content: "echo: first" },
      { role: "user", content: "second" },
    ]);
    const { state } = await services.store.load();
    expect(state.lastGood.anthropic).toBe("anthropic:a");
    expect(state.usage["anthropic:a"]?.lastUsed).toBeTypeOf("number");
  });

  it("fails over on 429 without a pin: second credential answers, first cools down honouring retry-after, reply notes it", async () => {
    anthropic.nextReplyFor(keyA, anthropicReplies.rateLimited(600));
    const result = await runner().run({ sessionKey: "s1", text: "hi", model });
    expect(result.answeredBy).toBe("anthropic:b");
    expect(result.note).toMatch(/answered with anthropic:b/);
    expect(result.note).toMatch(/anthropic:a: rate limited, retry after 10m/);
    expect(anthropic.requests.map((r) => credentialOf(r)?.value)).toEqual([keyA, keyB]);
    const usage = (await services.store.load()).state.usage["anthropic:a"]!;
    expect(usage.cooldownUntil! - Date.now()).toBeGreaterThan(9 * 60_000);
    // The next message skips the cooled-down credential entirely.
    anthropic.requests.length = 0;
    await runner().run({ sessionKey: "s1", text: "again", model });
    expect(anthropic.requests.map((r) => credentialOf(r)?.value)).toEqual([keyB]);
    expectNoSecretIn(JSON.stringify(result), allSecrets);
  });

  it("with a user pin, shows the error and its fix instead of failing over", async () => {
    anthropic.nextReplyFor(keyA, anthropicReplies.rateLimited(30));
    const result = await runner().run({ sessionKey: "s1", text: "hi", model, pin: "anthropic:a" });
    expect(result.error?.message).toMatch(/pinned to anthropic:a; pins never fail over/);
    expect(result.error?.fix).toBeTruthy();
    expect(anthropic.requests).toHaveLength(1);
    expectNoSecretIn(JSON.stringify(result), allSecrets);
  });

  it("marks a refused api key needs-reauth and fails over", async () => {
    anthropic.onCredential(keyA, anthropicReplies.invalidApiKey());
    const result = await runner().run({ sessionKey: "s1", text: "hi", model });
    expect(result.answeredBy).toBe("anthropic:b");
    const usage = (await services.store.load()).state.usage["anthropic:a"]!;
    expect(usage.needsReauth?.reason).toMatch(/401/);
  });

  it("does not fail over on a bad request or an outage", async () => {
    anthropic.nextReply(anthropicReplies.error(400, "invalid_request_error", "messages: too long"));
    const bad = await runner().run({ sessionKey: "s1", text: "hi", model });
    expect(bad.error?.message).toMatch(/too long/);
    expect(anthropic.requests).toHaveLength(1);
    anthropic.nextReply(anthropicReplies.overloaded());
    const busy = await runner().run({ sessionKey: "s1", text: "hi", model });
    expect(busy.error?.message).toMatch(/529/);
    expect((await services.store.load()).state.usage["anthropic:a"]?.cooldownUntil).toBeUndefined();
  });

  it("turns the Claude-Code-only refusal into plain advice", async () => {
    await services.store.upsertProfile(
      "anthropic:sub",
      { type: "token", provider: "anthropic", token: setupToken },
      who,
    );
    anthropic.onCredential(setupToken, anthropicReplies.claudeCodeOnly());
    const result = await runner().run({ sessionKey: "s1", text: "hi", model, pin: "anthropic:sub" });
    expect(result.error?.message).toMatch(/Use an Anthropic API key for this gateway/);
    expect(anthropic.requests[0]!.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
    expectNoSecretIn(JSON.stringify(result), allSecrets);
  });

  it("without a pin and no other credential, the Claude-Code-only refusal still ends in the API-key fix", async () => {
    await services.store.clearOrder("anthropic", who);
    await services.store.removeProfile("anthropic:a", who);
    await services.store.removeProfile("anthropic:b", who);
    await services.store.upsertProfile(
      "anthropic:sub",
      { type: "token", provider: "anthropic", token: setupToken },
      who,
    );
    anthropic.onCredential(setupToken, anthropicReplies.claudeCodeOnly());
    const apiKeyFix =
      /use an Anthropic API key for this gateway: tessera models auth paste-api-key --provider anthropic/;
    const badAdvice =
      /paste-token|auth login|log in again|models status shows each credential's state and the fix/;

    const first = await runner().run({ sessionKey: "s1", text: "hi", model });
    expect(first.error?.message).toMatch(/every anthropic credential failed: anthropic:sub: /);
    expect(first.error?.fix).toMatch(apiKeyFix);
    expect(first.error?.fix).not.toMatch(badAdvice);
    const mark = (await services.store.load()).state.usage["anthropic:sub"]?.needsReauth;
    expect(mark).toMatchObject({ kind: "claude_code_only" });

    // The next message finds nothing usable: the fix stays the API key (not `claude setup-token`) …
    const second = await runner().run({ sessionKey: "s1", text: "again", model });
    expect(second.error?.fix).toMatch(apiKeyFix);
    expect(second.error?.fix).not.toMatch(badAdvice);
    // … and so does a session pinned to the refused credential.
    const pinned = await runner().run({ sessionKey: "s1", text: "pinned", model, pin: "anthropic:sub" });
    expect(pinned.error?.fix).toMatch(apiKeyFix);
    expect(anthropic.requests).toHaveLength(1);
    expectNoSecretIn(JSON.stringify([first, second, pinned]), allSecrets);
  });

  it("on a 401 with oauth: one forced refresh and one retry with the new token", async () => {
    oauth.addRefreshToken("sk-ant-ort01-turn");
    await services.store.upsertProfile(
      "anthropic:oauth",
      {
        type: "oauth",
        provider: "anthropic",
        access: "sk-ant-oat01-revoked",
        refresh: "sk-ant-ort01-turn",
        expires: Date.now() + 3_600_000,
      },
      who,
    );
    anthropic.nextReplyFor("sk-ant-oat01-revoked", anthropicReplies.oauthTokenExpired());
    const before = oauth.countCalls();
    const result = await runner().run({ sessionKey: "s1", text: "hi", model, pin: "anthropic:oauth" });
    expect(result.text).toBe("echo: hi");
    expect(oauth.countCalls() - before).toBe(1);
    const used = anthropic.requests.map((r) => credentialOf(r));
    expect(used[0]).toMatchObject({ kind: "bearer", value: "sk-ant-oat01-revoked" });
    expect(used[1]).toMatchObject({
      kind: "bearer",
      value: oauth.issued.at(-1)!.accessToken,
      beta: "oauth-2025-04-20",
    });
  });

  it("reports no usable credential with the command that adds one", async () => {
    await services.store.removeProfile("anthropic:a", who);
    await services.store.removeProfile("anthropic:b", who);
    const result = await runner().run({ sessionKey: "s1", text: "hi", model });
    expect(result.error?.message).toMatch(/no credential for anthropic/);
    expect(result.error?.fix).toMatch(/tessera models auth paste-api-key --provider anthropic/);
  });
});

/**
 * Issue 12, item 5: a paid answer is delivered even when the bookkeeping after it cannot be written.
 * Both sessions share one read-only window, so the test waits for the failing writes once.
 */
describe("AgentTurnRunner: bookkeeping after the answer (issue 12.5)", () => {
  const readOnlyDirs = () => {
    const agentRoot = join(dir, "agents", "main");
    return [dir, join(dir, "agents"), agentRoot, join(agentRoot, "agent"), join(agentRoot, "sessions")];
  };

  it("delivers paid answers when the state dir is read-only, and reports what was not recorded", {
    timeout: 120_000,
  }, async (ctx) => {
    // Two sessions that already exist (their shard directories are made read-only too): one driven
    // through the runner with a reporter, one through the chat router with the default reporter.
    const chatKey = "agent:main:console:local";
    await sessions.appendHistory("s1", [{ role: "user", content: "earlier" }]);
    await sessions.appendHistory(chatKey, [{ role: "user", content: "earlier" }]);
    const shards = [dirname(sessions.pathOf("s1")), dirname(sessions.pathOf(chatKey))];
    const readOnly = await makeReadOnly([...readOnlyDirs(), ...new Set(shards)]);
    // Root without a usable chattr: nothing here can make a directory read-only; say so, do not pass.
    ctx.skip(!readOnly, "running as root without a usable chattr +i: no way to make a directory read-only");
    const reports: BookkeepingFailure[] = [];
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const turns = new AgentTurnRunner({
        services,
        memory: sessions,
        onBookkeepingFailure: (f) => reports.push(f),
      });
      const first = await turns.run({ sessionKey: "s1", text: "paid question", model });
      expect(first).toMatchObject({ text: "echo: paid question", answeredBy: "anthropic:a" });
      expect(first.error).toBeUndefined();
      const replies = await composeRouter({ services }).handle({
        channel: "console",
        chatType: "dm",
        chatId: "local",
        senderId: "local",
        text: "a paid question",
        addressed: true,
      });
      expect(replies.map((r) => r.text).join("\n")).toBe("echo: a paid question");

      // The history writes and the batched usage write all fail (waited for together).
      await Promise.all([settleSessionWrites(), expect(services.store.flushUsage()).rejects.toThrow()]);
      expect(reports).toHaveLength(1);
      expect(reports[0]!.message).toMatch(
        /^answered, but could not record this exchange in the chat's history in .*\.json: /,
      );
      expect(reports[0]!.message).toContain(sessions.pathOf("s1"));
      expect(reports[0]!.fix).toBeTruthy();
      // Without a reporter, the default one writes to stderr (the gateway's log, the console).
      expect(stderr.join("")).toContain(
        `warning: answered, but could not record this exchange in the chat's history in ${sessions.pathOf(chatKey)}: `,
      );
      // What did not land is not pretended: the history is as it was.
      expect(await sessions.history("s1")).toEqual([{ role: "user", content: "earlier" }]);

      // The next answer is delivered too, and reports the usage write that failed meanwhile.
      const second = await turns.run({ sessionKey: "s1", text: "again", model });
      expect(second.text).toBe("echo: again");
      expect(reports[1]?.message).toMatch(
        /^answered, but could not record the credential's last use in .*auth-state\.json: /,
      );
    } finally {
      process.stderr.write = write;
      await readOnly!.restore();
    }
    // Writable again: the writes still waiting for the disk land (the second exchange, the usage).
    await settleSessionWrites();
    await services.store.flushUsage();
    expect(await sessions.history("s1")).toEqual([
      { role: "user", content: "earlier" },
      { role: "user", content: "again" },
      { role: "assistant", content: "echo: again" },
    ]);
    expect((await services.store.stateFile.read()).lastGood.anthropic).toBe("anthropic:a");
    expect(reports).toHaveLength(2);
    expectNoSecretIn(JSON.stringify([reports, stderr]), allSecrets);
  });
});
