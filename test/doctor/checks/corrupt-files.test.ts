/**
 * The corrupt-files check read every state file and failed as a whole ("the corrupt-files check
 * could not run") when one of them was a FIFO, a directory or a link — hiding a real corrupt file
 * next to it. Such paths are the file-types check's findings; this check now passes over them.
 * Runs the doctor in-process.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runDoctor } from "../../../src/doctor/run-doctor.js";

let root: string;
let stateDir: string;
let agentDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-corrupt-"));
  stateDir = join(root, "state");
  agentDir = join(stateDir, "agents", "main", "agent");
  await mkdir(agentDir, { recursive: true, mode: 0o700 });
  await writeFile(join(stateDir, "config.json"), "{}\n", { mode: 0o600 });
});
afterEach(() => rm(root, { recursive: true, force: true }));

it("reports a corrupt file while a FIFO, a directory and a link stand in place of others", async () => {
  execFileSync("mkfifo", ["-m", "600", join(stateDir, "audit.jsonl")]);
  await mkdir(join(stateDir, ".env"));
  await writeFile(join(root, "elsewhere.json"), "{}", { mode: 0o600 });
  await symlink(join(root, "elsewhere.json"), join(agentDir, "auth-state.json"));
  await writeFile(join(agentDir, "auth-profiles.json"), '{"version": 1, "profiles": ', { mode: 0o600 });

  const { findings } = await runDoctor({ stateDir, processEnv: { HOME: root }, fix: false });
  const corrupt = findings.filter((f) => f.check === "corrupt-files");
  expect(corrupt.map((f) => f.what).join("\n")).not.toContain("could not run");
  expect(corrupt).toEqual([
    expect.objectContaining({ path: join(agentDir, "auth-profiles.json"), severity: "error" }),
  ]);
  expect(corrupt[0]!.what).toContain("is not valid JSON");
  // The stand-ins are reported, once each, by the file-types check.
  for (const path of [
    join(stateDir, "audit.jsonl"),
    join(stateDir, ".env"),
    join(agentDir, "auth-state.json"),
  ])
    expect(findings.filter((f) => f.path === path && f.check === "file-types")).toHaveLength(1);
});
