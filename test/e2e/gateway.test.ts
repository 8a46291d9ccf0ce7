import { existsSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AnthropicFake,
  anthropicReplies,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import { type GatewayState, gatewayState } from "../support/gateway-state.js";
import { startGateway } from "../support/run-gateway.js";
import { expectNoSecretIn } from "../support/secrets.js";

let anthropic: AnthropicFake;
let state: GatewayState;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  anthropic = await startAnthropicFake();
});
afterAll(() => anthropic.close());

beforeEach(async () => {
  state = await gatewayState("gateway", anthropic, {});
  ({ dir, env } = state);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("tessera gateway (console adapter in test mode)", () => {
  it("starts, answers, logs JSON lines without secrets, and exits 0 on SIGTERM", async () => {
    const gw = startGateway(env, ["--console"]);
    await gw.waitForLog(/^ready$/);
    gw.child.stdin.write("/model status\n");
    await gw.waitForStdout(/Model status/);
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    const messages = gw.logs().map((l) => l.msg);
    expect(messages).toContain("starting");
    expect(messages).toContain("console: console:local");
    expect(messages.some((m) => /^stopping \(SIGTERM\)/.test(m))).toBe(true);
    expect(messages.at(-1)).toBe("stopped");
    expectNoSecretIn(gw.stdout + gw.stderr, [state.keys.default, state.keys.work]);
  });

  it("on SIGTERM delivers the answer in flight, then exits 0", async () => {
    anthropic.nextReply(anthropicReplies.slow(1_500));
    const gw = startGateway(env, ["--console"]);
    await gw.waitForLog(/^ready$/);
    gw.child.stdin.write("are you there?\n");
    await anthropic.waitForRequests(1);
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    expect(gw.stdout).toMatch(/are you there\?/);
    expect(gw.logs().some((l) => /^stopping \(SIGTERM\); 1 answer\(s\) in flight/.test(l.msg))).toBe(true);
  });

  it("with only the console, the end of its input stops the gateway cleanly", async () => {
    const gw = startGateway(env, ["--console"]);
    await gw.waitForLog(/^ready$/);
    const lockMode = (await stat(join(dir, "state", "gateway.lock"))).mode & 0o777;
    expect(lockMode).toBe(0o700);
    expect(existsSync(join(dir, "state", "gateway.pid"))).toBe(true);
    gw.child.stdin.end("/help\n");
    expect(await gw.exited).toBe(0);
    expect(gw.stdout).toContain("Commands you can use here");
    const messages = gw.logs().map((l) => l.msg);
    expect(messages).toContain("stopping (end of input); 0 answer(s) in flight");
    expect(messages.at(-1)).toBe("stopped");
    expect(existsSync(join(dir, "state", "gateway.pid"))).toBe(false);
    expect(existsSync(join(dir, "state", "gateway.lock"))).toBe(false);
  });

  it("a second signal during shutdown exits at once", async () => {
    anthropic.nextReply(anthropicReplies.hang());
    const gw = startGateway(env, ["--console"]);
    await gw.waitForLog(/^ready$/);
    gw.child.stdin.write("never answered\n");
    await anthropic.waitForRequests(1);
    gw.child.kill("SIGTERM");
    await gw.waitForLog(/^stopping/);
    gw.child.kill("SIGTERM");
    // Well inside the 10 s grace period the first signal would have waited.
    expect(await gw.exited).toBe(143);
    expect(gw.logs().some((l) => /^second SIGTERM: exiting now/.test(l.msg))).toBe(true);
  });

  it("a second gateway on the same state dir exits 1 naming the first one's pid", async () => {
    const first = startGateway(env, ["--console"]);
    await first.waitForLog(/^ready$/);
    const second = startGateway(env, ["--console"]);
    expect(await second.exited).toBe(1);
    expect(second.stderr).toContain(`another tessera gateway (pid ${first.child.pid}) is already running`);
    expect(second.stderr).toContain(`kill ${first.child.pid}`);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    // Its lock is released: a new gateway starts.
    const third = startGateway(env, ["--console"]);
    await third.waitForLog(/^ready$/);
    third.child.kill("SIGINT");
    expect(await third.exited).toBe(0);
  });

  it("with nothing enabled exits 1 and says how to enable a channel, and that tessera chat needs no token", async () => {
    const gw = startGateway(env);
    expect(await gw.exited).toBe(1);
    expect(gw.stderr).toContain("error: no chat channel is enabled");
    expect(gw.stderr).toMatch(/fix: .*channels\.telegram\.enabled.*channels\.discord\.enabled.*tessera chat/);
  });
});
