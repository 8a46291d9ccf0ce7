/**
 * doctor prints the line `tessera gateway status` prints, with a severity: not running is
 * information, a stale status file (the gateway was killed) and a running gateway that could not load
 * the latest config are warnings. Runs the doctor in-process on real files; the running case is
 * covered end to end in test/e2e/gateway-reload.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runDoctor } from "../../../src/doctor/run-doctor.js";
import { gatewayStatusPath } from "../../../src/runtime/gateway-status.js";

let root: string;
let stateDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-doctor-gateway-"));
  stateDir = join(root, "state");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function gatewayFindings() {
  const { findings } = await runDoctor({ stateDir, processEnv: { HOME: root }, fix: false });
  return findings.filter((f) => f.check === "gateway");
}

function statusFile(more: Record<string, unknown>) {
  return writeFile(
    gatewayStatusPath(stateDir),
    JSON.stringify({
      pid: process.pid,
      version: "0.1.0",
      agent: "main",
      startedAt: Date.now() - 60_000,
      configPath: join(stateDir, "config.json"),
      configLoadedAt: Date.now() - 60_000,
      adapters: [],
      updatedAt: Date.now() - 30_000,
      ...more,
    }),
    { mode: 0o600 },
  );
}

it("no gateway ever ran: information, with how to start one", async () => {
  expect(await gatewayFindings()).toEqual([
    expect.objectContaining({
      severity: "info",
      what: expect.stringMatching(/^gateway: not running/),
      fix: expect.stringContaining("tessera gateway"),
    }),
  ]);
});

it("a gateway that was killed: a warning naming the stale file", async () => {
  await statusFile({ pid: spawnSync(process.execPath, ["-e", "0"]).pid });
  const [finding] = await gatewayFindings();
  expect(finding).toMatchObject({
    severity: "warning",
    what: expect.stringMatching(/gateway\.status\.json is stale/),
  });
});

it("a running gateway that could not load the latest config change: a warning with the problem", async () => {
  await mkdir(join(stateDir, "gateway.lock"));
  await statusFile({ configError: "~/.tessera/config.json: (root): not valid JSON at line 1 column 9" });
  const [finding] = await gatewayFindings();
  expect(finding).toMatchObject({
    severity: "warning",
    what: expect.stringMatching(/^gateway: running \(pid \d+/),
    fix: expect.stringContaining("not valid JSON at line 1 column 9"),
  });
});
