/**
 * The reloader in-process on real files (the gateway end to end is test/e2e/gateway-reload.test.ts):
 * a file caught half-written is not reported as broken, a broken one is reported once and changes
 * nothing, and an agent named with --agent that disappears from the config keeps the last good one.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ConfigReloader, type ReloadOutcome } from "../../src/runtime/config-reload.js";
import { type AgentServices, openAgentServices } from "../../src/runtime/services.js";

let dir: string;
let services: AgentServices;
let reloader: ConfigReloader | undefined;
const lines: { level: string; message: string }[] = [];
const outcomes: ReloadOutcome[] = [];
const log = {
  debug: (message: string) => void lines.push({ level: "debug", message }),
  info: (message: string) => void lines.push({ level: "info", message }),
  warn: (message: string) => void lines.push({ level: "warn", message }),
  error: (message: string) => void lines.push({ level: "error", message }),
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-reload-"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ access: { owners: ["telegram:1"] } }));
  services = await openAgentServices({ stateDir: dir, processEnv: { HOME: dir } });
  lines.length = 0;
  outcomes.length = 0;
});
afterEach(async () => {
  await reloader?.stop();
  reloader = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(agentFromFlag = false): Promise<ConfigReloader> {
  reloader = new ConfigReloader({
    services,
    log,
    agentFromFlag,
    onOutcome: (o) => outcomes.push(o),
    pollMs: 100,
  });
  await reloader.start();
  return reloader;
}

it("a file caught half-written (emptied, then filled) is not reported as broken", async () => {
  await start();
  const path = join(dir, "config.json");
  for (let round = 0; round < 5; round++) {
    await writeFile(path, "");
    await new Promise((r) => setTimeout(r, 120));
    await writeFile(path, JSON.stringify({ access: { owners: ["telegram:1", `telegram:${round + 2}`] } }));
  }
  await expect.poll(() => services.config.access.owners, { timeout: 3_000 }).toContain("telegram:6");
  expect(lines.filter((l) => l.level === "error")).toEqual([]);
});

it("a broken file changes nothing and is reported once; the next good one is applied", async () => {
  const r = await start();
  const before = services.config;
  await writeFile(join(dir, "config.json"), '{ "access": ');
  await expect.poll(() => lines.filter((l) => l.level === "error").length, { timeout: 3_000 }).toBe(1);
  expect(lines.find((l) => l.level === "error")!.message).toMatch(
    /config\.json was not reloaded, the gateway keeps its last good config: \(root\): not valid JSON/,
  );
  expect(await r.reload("SIGHUP")).toMatchObject({ kind: "rejected" });
  expect(lines.filter((l) => l.level === "error")).toHaveLength(1);
  expect(services.config).toBe(before);

  await writeFile(join(dir, "config.json"), JSON.stringify({ access: { owners: ["telegram:9"] } }));
  await expect.poll(() => services.config.access.owners, { timeout: 3_000 }).toEqual(["telegram:9"]);
  // A check that ran while the write was still landing may add an "unchanged" after it.
  expect(outcomes.filter((o) => o.kind !== "unchanged").at(-1)).toMatchObject({
    kind: "applied",
    changed: ["access.owners"],
    restartNeeded: [],
  });
});

it("a config.json deleted (or moved aside by doctor --fix) keeps the last good config, with how to run on defaults", async () => {
  const r = await start();
  await rm(join(dir, "config.json"));
  await expect.poll(() => lines.filter((l) => l.level === "error").length, { timeout: 3_000 }).toBe(1);
  expect(lines.find((l) => l.level === "error")!.message).toMatch(
    /config\.json was not reloaded.*the file is gone/,
  );
  expect(services.config.access.owners).toEqual(["telegram:1"]);
  expect(await r.reload("SIGHUP")).toMatchObject({
    kind: "rejected",
    fix: expect.stringContaining("restart the gateway"),
  });
});

it("with --agent, a config that drops that agent is refused with the fix to add it back", async () => {
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({ agents: { list: [{ id: "main" }, { id: "ops" }] } }),
  );
  services = await openAgentServices({ stateDir: dir, agent: "ops", processEnv: { HOME: dir } });
  const r = await start(true);
  await writeFile(join(dir, "config.json"), JSON.stringify({ agents: { list: [{ id: "main" }] } }));
  const outcome = await r.reload("SIGHUP");
  expect(outcome).toMatchObject({
    kind: "rejected",
    fix: expect.stringContaining('add { "id": "ops" } back to agents.list'),
  });
  expect(services.agentId).toBe("ops");
});

it("without --agent, a new agents.default is listed as needing a restart; the running agent stays", async () => {
  const r = await start();
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({ agents: { default: "ops", list: [{ id: "ops" }] } }),
  );
  expect(await r.reload("SIGHUP")).toMatchObject({ kind: "applied", restartNeeded: ["agents.default"] });
  expect(services.agentId).toBe("main");
});
