/**
 * A FIFO or a link in place of an agent's store file made every check that loads the store (the
 * Claude Code sync, credentials, profiles, pins) fail as a whole, burying the one finding that
 * matters under four "could not run" errors. The file-types check reports such a file; the checks
 * that need the store now skip that agent, as they do for a store that does not parse.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runDoctor } from "../../src/doctor/run-doctor.js";

let root: string;
let stateDir: string;
let agentDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-agent-auth-"));
  stateDir = join(root, "state");
  agentDir = join(stateDir, "agents", "main", "agent");
  await mkdir(agentDir, { recursive: true, mode: 0o700 });
  await writeFile(join(stateDir, "config.json"), "{}\n", { mode: 0o600 });
});
afterEach(() => rm(root, { recursive: true, force: true }));

it.each([
  ["a FIFO at auth-profiles.json", () => execFileSync("mkfifo", [join(agentDir, "auth-profiles.json")])],
  [
    "a link at auth-state.json",
    async () => {
      await writeFile(join(root, "other.json"), "{}");
      await symlink(join(root, "other.json"), join(agentDir, "auth-state.json"));
    },
  ],
])("%s: reported once by file-types, and every other check still runs", async (_name, plant) => {
  await plant();
  const { findings } = await runDoctor({ stateDir, processEnv: { HOME: root }, fix: false });
  expect(findings.filter((f) => f.what.includes("could not run")).map((f) => f.what)).toEqual([]);
  expect(findings.filter((f) => f.check === "file-types")).toHaveLength(1);
});
