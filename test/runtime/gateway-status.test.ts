import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeLiveness } from "../../src/runtime/describe-gateway-status.js";
import {
  type GatewayStatus,
  gatewayStatusPath,
  readGatewayLiveness,
} from "../../src/runtime/gateway-status.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-liveness-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const status = (more: Partial<GatewayStatus> = {}): GatewayStatus => ({
  pid: process.pid,
  version: "0.1.0",
  agent: "main",
  startedAt: 1,
  configPath: "/c.json",
  configLoadedAt: 1,
  restartNeeded: [],
  adapters: [],
  updatedAt: 2,
  ...more,
});

async function put(value: unknown, lockAgeMs?: number): Promise<void> {
  await writeFile(gatewayStatusPath(dir), JSON.stringify(value));
  if (lockAgeMs !== undefined) {
    await mkdir(join(dir, "gateway.lock"));
    const at = new Date(Date.now() - lockAgeMs);
    await utimes(join(dir, "gateway.lock"), at, at);
  }
}

/** A pid that surely is not running: a child that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

describe("readGatewayLiveness", () => {
  it("absent without a file", async () => {
    expect(await readGatewayLiveness(dir)).toEqual({ state: "absent" });
  });

  it("running: a live pid and a lock kept fresh", async () => {
    await put(status(), 1_000);
    expect((await readGatewayLiveness(dir)).state).toBe("running");
  });

  it("stale: the pid is gone without having stopped", async () => {
    await put(status({ pid: deadPid() }), 1_000);
    expect((await readGatewayLiveness(dir)).state).toBe("stale");
  });

  it("stale: a live pid whose lock nobody refreshes (the pid was reused after a reboot)", async () => {
    await put(status(), 60_000);
    expect((await readGatewayLiveness(dir)).state).toBe("stale");
    await rm(join(dir, "gateway.lock"), { recursive: true });
    expect((await readGatewayLiveness(dir)).state).toBe("stale");
  });

  it("stopped: the gateway said so on its way out; a failure that stopped it is shown", async () => {
    const adapters = [
      {
        channel: "telegram",
        state: "stopped" as const,
        since: 3,
        messagesHandled: 2,
        lastError: "Telegram stopped accepting the bot token",
        lastErrorAt: 3,
      },
    ];
    await put(status({ pid: deadPid(), stoppedAt: 3, adapters }));
    const liveness = await readGatewayLiveness(dir);
    expect(liveness.state).toBe("stopped");
    const lines = describeLiveness(liveness, { path: gatewayStatusPath(dir), now: 63_003 });
    expect(lines).toEqual([
      expect.stringMatching(/^gateway: not running \(pid \d+ stopped 1m ago\)$/),
      "  telegram last error 1m ago: Telegram stopped accepting the bot token",
    ]);
  });

  it("unreadable: not JSON, the wrong shape, or not a regular file, with a fix", async () => {
    await writeFile(gatewayStatusPath(dir), "{ torn");
    expect(await readGatewayLiveness(dir)).toMatchObject({
      state: "unreadable",
      fix: expect.stringMatching(/remove/),
    });
    await put({ pid: "twelve" });
    expect((await readGatewayLiveness(dir)).state).toBe("unreadable");
    await rm(gatewayStatusPath(dir));
    await mkdir(gatewayStatusPath(dir));
    expect((await readGatewayLiveness(dir)).state).toBe("unreadable");
  });
});
