import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayStatusSchema, gatewayStatusPath } from "../../src/runtime/gateway-status.js";
import { GatewayStatusWriter, STATUS_WRITE_INTERVAL_MS } from "../../src/runtime/status-writer.js";

let dir: string;
const warnings: string[] = [];
const log = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-status-"));
  warnings.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function writer(path = gatewayStatusPath(dir), scrub = (t: string) => t) {
  return new GatewayStatusWriter(
    path,
    {
      pid: process.pid,
      version: "0.1.0",
      agent: "main",
      startedAt: 1,
      configPath: "/c.json",
      configLoadedAt: 1,
    },
    log,
    scrub,
  );
}

async function onDisk() {
  return GatewayStatusSchema.parse(JSON.parse(await readFile(gatewayStatusPath(dir), "utf8")));
}

describe("GatewayStatusWriter", () => {
  it("writes the first change at once, 0600, and a burst of changes at most once a second", async () => {
    const status = writer();
    status.connecting("telegram");
    await expect.poll(async () => (await onDisk()).adapters[0]?.state).toBe("connecting");
    expect((await stat(gatewayStatusPath(dir))).mode & 0o777).toBe(0o600);
    const firstWrite = (await onDisk()).updatedAt;

    status.ready({ channel: "telegram", name: "@bot", id: "7" });
    for (let i = 0; i < 500; i++) status.handled("telegram");
    // Within the interval nothing more is written …
    expect((await onDisk()).updatedAt).toBe(firstWrite);
    // … then one write carries all of it.
    await expect
      .poll(async () => (await onDisk()).adapters[0], { timeout: 3 * STATUS_WRITE_INTERVAL_MS })
      .toMatchObject({ state: "ready", identity: "@bot (id 7)", messagesHandled: 500 });
    expect((await onDisk()).updatedAt - firstWrite).toBeGreaterThanOrEqual(STATUS_WRITE_INTERVAL_MS - 5);
  });

  it("records connection losses with their error, scrubbed, and marks everything stopped at the end", async () => {
    const status = writer(undefined, (t) => t.replaceAll("s3cr3t", "[secret]"));
    status.ready({ channel: "discord", name: "Tessera#0001" });
    status.connection("discord", "reconnecting", "connection lost (token s3cr3t)");
    await status.flush();
    expect((await onDisk()).adapters[0]).toMatchObject({
      state: "reconnecting",
      lastError: "connection lost (token [secret])",
    });
    status.config({ error: "config.json: bad s3cr3t", restartNeeded: ["channels.discord.token"] });
    await status.stopped();
    const final = await onDisk();
    expect(final.adapters[0]!.state).toBe("stopped");
    expect(final.stoppedAt).toBeTypeOf("number");
    expect(final.configError).toBe("config.json: bad [secret]");
    expect(final.restartNeeded).toEqual(["channels.discord.token"]);
    expect(JSON.stringify(final)).not.toContain("s3cr3t");
  });

  it("an idle gateway that stops is marked stopped (the state change writes at once, already saying so)", async () => {
    const status = writer();
    status.ready({ channel: "telegram", name: "@bot" });
    await status.flush();
    // Idle past the interval: the next change is written at once, not batched.
    await new Promise((r) => setTimeout(r, STATUS_WRITE_INTERVAL_MS + 50));
    await status.stopped();
    const final = await onDisk();
    expect(final.stoppedAt).toBeTypeOf("number");
    expect(final.adapters[0]!.state).toBe("stopped");
  });

  it("a write that fails is logged once and never thrown: the status file is only a view", async () => {
    const status = writer(join(dir, "missing-dir", "nested", "\0bad"));
    status.connecting("telegram");
    status.handled("telegram");
    await status.flush();
    await status.stopped();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not write the gateway status file/);
  });
});
