import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { User } from "grammy/types";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/models-harness.js";
import { type AnthropicFake, credentialOf, startAnthropicFake } from "../fakes/anthropic-messages-server.js";
import { startTelegramBotApiFake, type TelegramBotApiFake } from "../fakes/telegram-bot-api-server.js";
import { type GatewayState, gatewayState, stopGateway } from "../support/gateway-state.js";
import { type GatewayProcess, startGateway } from "../support/run-gateway.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const OWNER: User = { id: 4242, is_bot: false, first_name: "Olga" };
const NEWCOMER: User = { id: 7373, is_bot: false, first_name: "Nina" };

let anthropic: AnthropicFake;
let telegram: TelegramBotApiFake;
let state: GatewayState;
let gateway: GatewayProcess | undefined;

/** The config the tests start from; each test changes it on disk while the gateway runs. */
function configWith(allowFrom: string[]): Record<string, unknown> {
  return {
    access: { owners: [`telegram:${OWNER.id}`] },
    channels: { telegram: { enabled: true, apiRoot: telegram.url, allowFrom } },
  };
}

beforeAll(async () => {
  anthropic = await startAnthropicFake();
});
afterAll(() => anthropic.close());

beforeEach(async () => {
  telegram = await startTelegramBotApiFake({ token: `7000000002:${fakeSecret("AA", 35)}` });
  state = await gatewayState("reload", anthropic, configWith([]), { TELEGRAM_BOT_TOKEN: telegram.token });
});

afterEach(async () => {
  await stopGateway(gateway);
  if (gateway)
    expectNoSecretIn(gateway.stdout + gateway.stderr, [state.keys.default, state.keys.work, telegram.token]);
  gateway = undefined;
  await telegram.close();
  await rm(state.dir, { recursive: true, force: true });
});

async function startUp(): Promise<GatewayProcess> {
  gateway = startGateway(state.env);
  await gateway.waitForLog(/^ready$/);
  await telegram.waitForPoll();
  return gateway;
}

/** Replaces config.json the way editors and `tessera` itself do: write a temp file, rename it over. */
async function renameConfig(config: Record<string, unknown>): Promise<void> {
  const path = join(state.stateDir, "config.json");
  await writeFile(
    `${path}.tmp`,
    JSON.stringify({ models: { providers: { anthropic: { baseUrl: anthropic.url } } }, ...config }),
  );
  await rename(`${path}.tmp`, path);
}

async function answerTo(from: User, text: string, match: RegExp, timeoutMs = 5_000): Promise<string> {
  telegram.sendText({ from, text });
  const call = await telegram.waitFor(
    "sendMessage",
    (body) => body.chat_id === from.id && match.test(String(body.text)),
    timeoutMs,
  );
  return String(call.body.text);
}

function tessera(args: string[], input = "") {
  const env = Object.fromEntries(
    Object.entries(state.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return runCli(args, { env, input });
}

describe("tessera gateway: config reload without restart", () => {
  it("a sender added to allowFrom on disk is served within seconds, by the same process", async () => {
    const gw = await startUp();
    await answerTo(NEWCOMER, "/whoami", /This bot is private/);

    await renameConfig(configWith([String(NEWCOMER.id)]));
    await gw.waitForLog(
      /^config reloaded \(changed on disk\): channels\.telegram\.allowFrom changed$/,
      3_000,
    );
    const answer = await answerTo(NEWCOMER, "hello after reload", /echo: hello after reload/);
    expect(answer).toBe("echo: hello after reload");
    expect(gw.child.exitCode).toBeNull();
  });

  it("an in-place write is seen too, and SIGHUP reloads at once and keeps running", async () => {
    const gw = await startUp();
    const path = join(state.stateDir, "config.json");
    const current = JSON.parse(await readFile(path, "utf8"));
    current.models.aliases = { quick: "anthropic/claude-haiku-4-5" };
    await writeFile(path, JSON.stringify(current));
    await gw.waitForLog(/config reloaded .*models\.aliases/, 3_000);
    expect(await answerTo(OWNER, "/model quick", /claude-haiku-4-5/)).toContain("claude-haiku-4-5");

    // SIGHUP re-reads at once, answering in the log even when nothing changed …
    gw.child.kill("SIGHUP");
    await gw.waitForLog(/^config re-read \(SIGHUP\): nothing changed$/, 3_000);
    // … and a change is taken by whichever comes first, the watch or the signal.
    current.models.default = "anthropic/claude-opus-4-5";
    await writeFile(path, JSON.stringify(current));
    gw.child.kill("SIGHUP");
    await gw.waitForLog(/config reloaded \((SIGHUP|changed on disk)\): models\.default changed/, 3_000);
    expect(gw.child.exitCode).toBeNull();
    await answerTo(OWNER, "/model reset", /.+/);
    await answerTo(OWNER, "hi", /echo: hi/);
    expect(anthropic.requests.at(-1)!.body?.model).toBe("claude-opus-4-5");
  });

  it("a broken config.json keeps the last good config, logs the file and position once, then recovers", async () => {
    const gw = await startUp();
    const path = join(state.stateDir, "config.json");
    await writeFile(path, '{ "channels": { "telegram": { "enabled": true, ');
    await gw.waitForLog(
      /config\.json was not reloaded, the gateway keeps its last good config: .*not valid JSON/,
      3_000,
    );
    const error = gw.logs().find((l) => /was not reloaded/.test(l.msg))!;
    expect(error.fix).toMatch(/config\.json/);
    // Still answering the owner on the last good config.
    await answerTo(OWNER, "still there?", /echo: still there\?/);
    // The status file follows within a second.
    await expect
      .poll(
        async () => JSON.parse((await tessera(["gateway", "status", "--json"])).stdout).status.configError,
        {
          timeout: 3_000,
        },
      )
      .toMatch(/config\.json.*not valid JSON/);

    // Invalid (valid JSON, wrong shape) is refused the same way, and logged once however often it is saved.
    await writeFile(path, JSON.stringify({ channels: { telegram: { enabled: "yes" } } }));
    await gw.waitForLog(/was not reloaded.*channels\.telegram\.enabled/, 3_000);
    await writeFile(path, JSON.stringify({ channels: { telegram: { enabled: "yes" } } }));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(gw.logs().filter((l) => /was not reloaded.*channels\.telegram\.enabled/.test(l.msg))).toHaveLength(
      1,
    );

    await renameConfig(configWith([String(NEWCOMER.id)]));
    await gw.waitForLog(/config reloaded/, 3_000);
    await answerTo(NEWCOMER, "back", /echo: back/);
    await expect
      .poll(
        async () => JSON.parse((await tessera(["gateway", "status", "--json"])).stdout).status.configError,
        {
          timeout: 3_000,
        },
      )
      .toBeUndefined();
  });

  it("a credential variable added to <state>/.env is picked up by name, its value never logged", async () => {
    const gw = await startUp();
    const key = fakeSecret("sk-or-v1-");
    await writeFile(join(state.stateDir, ".env"), `OPENROUTER_API_KEY=${key}\n`);
    await gw.waitForLog(/^config reloaded \(changed on disk\): OPENROUTER_API_KEY changed$/, 3_000);
    await answerTo(OWNER, "/model openrouter/anthropic/claude-sonnet-4.5", /openrouter/);
    const status = await answerTo(OWNER, "/model status", /Model status/);
    expect(status).toMatch(/OPENROUTER_API_KEY/);
    expectNoSecretIn(gw.stderr + status, [key]);
  });

  it("a bot token changed on disk is reported as needing a restart, not applied", async () => {
    const gw = await startUp();
    await writeFile(join(state.stateDir, ".env"), `TELEGRAM_BOT_TOKEN=7000000003:${fakeSecret("BB", 35)}\n`);
    // The process env wins over .env (PRODUCT §3): this change does nothing; a config token does.
    await renameConfig({
      ...configWith([]),
      channels: {
        telegram: { enabled: true, apiRoot: telegram.url, botToken: `7000000004:${fakeSecret("CC", 35)}` },
      },
    });
    await gw.waitForLog(/take effect only after a restart: channels\.telegram\.botToken$/, 3_000);
    await expect
      .poll(
        async () => JSON.parse((await tessera(["gateway", "status", "--json"])).stdout).status.restartNeeded,
        {
          timeout: 3_000,
        },
      )
      .toEqual(["channels.telegram.botToken"]);
    // Still polling with the old token.
    await answerTo(OWNER, "ping", /echo: ping/);
  });

  it("a profile added with `models auth paste-api-key` while it runs is used when pinned; removed, it is refused", async () => {
    const gw = await startUp();
    const key = fakeSecret("sk-ant-api03-");
    const pasted = await tessera(
      ["models", "auth", "paste-api-key", "--provider", "anthropic", "--profile-id", "anthropic:fresh"],
      `${key}\n`,
    );
    expect(pasted.code, pasted.stderr).toBe(0);
    await answerTo(OWNER, "/model sonnet@anthropic:fresh", /anthropic:fresh/);
    await answerTo(OWNER, "with the new key", /echo: with the new key/);
    expect(credentialOf(anthropic.requests.at(-1)!)).toEqual({ kind: "x-api-key", value: key });

    const removed = await tessera(["models", "auth", "remove", "anthropic:fresh"]);
    expect(removed.code, removed.stderr).toBe(0);
    // The pin now names a profile that is gone: the owner is told, and the removed key is never sent.
    await answerTo(OWNER, "and now?", /anthropic:fresh/);
    for (const request of anthropic.requests.slice(-1)) {
      expect(credentialOf(request)).not.toEqual({ kind: "x-api-key", value: key });
    }
    expect(gw.child.exitCode).toBeNull();
    expectNoSecretIn(gw.stderr, [key]);
  });
});

describe("tessera gateway status", () => {
  it("names the pid and each adapter while running; after SIGTERM exits 1 and says not running", async () => {
    const gw = await startUp();
    telegram.sendText({ from: OWNER, text: "/whoami" });
    await telegram.waitFor("sendMessage", (b) => b.chat_id === OWNER.id);
    await expect
      .poll(
        async () =>
          JSON.parse((await tessera(["gateway", "status", "--json"])).stdout).status?.adapters?.[0]
            ?.messagesHandled,
        { timeout: 3_000 },
      )
      .toBe(1);
    const json = await tessera(["gateway", "status", "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ running: true, state: "running" });
    expect(report.status.pid).toBe(gw.child.pid);
    expect(report.status.adapters).toEqual([
      expect.objectContaining({
        channel: "telegram",
        state: "ready",
        identity: expect.stringContaining(telegram.bot.username!),
      }),
    ]);
    const text = await tessera(["gateway", "status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^gateway: running \\(pid ${gw.child.pid}, version \\d`));
    expect(text.stdout).toMatch(/telegram +ready .*1 message/);
    expectNoSecretIn(json.stdout + text.stdout, [telegram.token, state.keys.default]);
    // doctor prints the same line.
    const doctor = JSON.parse((await tessera(["doctor", "--json"])).stdout);
    const line = doctor.findings.find((f: { check: string }) => f.check === "gateway");
    expect(line).toMatchObject({
      severity: "info",
      what: expect.stringMatching(new RegExp(`^gateway: running \\(pid ${gw.child.pid}, version `)),
    });

    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    const after = await tessera(["gateway", "status"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/^gateway: not running/);
    expect(after.stdout).not.toMatch(/stale/);
    expect(JSON.parse((await tessera(["gateway", "status", "--json"])).stdout)).toMatchObject({
      running: false,
      state: "stopped",
    });
  });

  it("reports a status file left by a SIGKILLed gateway as stale", async () => {
    const gw = await startUp();
    await expect.poll(async () => (await tessera(["gateway", "status"])).code, { timeout: 3_000 }).toBe(0);
    gw.child.kill("SIGKILL");
    await gw.exited;
    const res = await tessera(["gateway", "status"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/not running — .*gateway\.status\.json is stale: pid \d+ is gone/);
    expect(JSON.parse((await tessera(["gateway", "status", "--json"])).stdout)).toMatchObject({
      running: false,
      state: "stale",
    });
    // The next gateway takes over and replaces it.
    await startUp();
    expect((await tessera(["gateway", "status"])).code).toBe(0);
  });

  it("says not running when no gateway ever ran here", async () => {
    const res = await tessera(["gateway", "status"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^gateway: not running \(start it with `tessera gateway`/);
  });
});
