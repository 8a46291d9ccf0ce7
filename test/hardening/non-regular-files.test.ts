/**
 * Issue 12, item 11: a FIFO (or any non-regular file) in place of a state file hung every command,
 * doctor included, waiting for a writer that never came. Such a file is now refused with a clear
 * error at once, and doctor reports it and keeps running.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, createSandbox, type Sandbox } from "../cli/models-harness.js";
import { fakeSecret } from "../support/secrets.js";

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
  await mkdir(sb.agentDir(), { recursive: true, mode: 0o700 });
});
afterEach(() => sb.cleanup());

/** Runs the CLI and kills it after `ms`: a hang shows as `timedOut`. */
function runWithin(args: string[], input = "", ms = 8_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }>(
    (resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: sb.env });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, ms);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut });
      });
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    },
  );
}

const mkfifo = (path: string) => execFileSync("mkfifo", ["-m", "600", path]);
const paste = ["models", "auth", "paste-api-key", "--provider", "anthropic"];
const KEY = `${fakeSecret("sk-ant-api03-", 100)}\n`;

describe("a FIFO in place of a state file", () => {
  const cases: [string, (sb: Sandbox) => string, string[]][] = [
    ["auth-profiles.json", (s) => s.profilesPath(), ["models", "status"]],
    ["auth-state.json", (s) => s.authStatePath(), ["models", "status"]],
    ["config.json", (s) => s.configPath, ["models", "status"]],
    [".env", (s) => join(s.stateDir, ".env"), ["models", "status"]],
    ["audit.jsonl", (s) => s.auditPath, ["audit"]],
    ["audit.jsonl (append)", (s) => s.auditPath, paste],
  ];
  it.each(cases)("%s: the command fails at once with what it is", async (_name, pathOf, args) => {
    const path = pathOf(sb);
    mkfifo(path);
    const res = await runWithin(args, KEY);
    expect(res.timedOut).toBe(false);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${path} is a named pipe (FIFO), not a regular file`);
    expect(res.stderr).toMatch(/^ {2}fix: move it out of the way/m);
    expect((await stat(path)).isFIFO()).toBe(true);
  });

  it("doctor reports every one of them, never hangs, and --fix leaves them in place", async () => {
    const fifos = [
      sb.profilesPath(),
      sb.authStatePath(),
      sb.auditPath,
      join(sb.stateDir, ".env"),
      sb.configPath,
    ];
    for (const path of fifos) mkfifo(path);
    const res = await runWithin(["doctor", "--json"]);
    expect(res.timedOut).toBe(false);
    expect(res.code).toBe(1);
    const { findings } = JSON.parse(res.stdout) as {
      findings: { check: string; what: string; path?: string; autoFix: string | null }[];
    };
    for (const path of fifos) {
      const found = findings.filter((f) => f.path === path);
      expect(
        found.some((f) => /named pipe \(FIFO\)/.test(f.what)),
        path,
      ).toBe(true);
      for (const f of found) expect(f.autoFix, `${f.check}: ${f.what}`).toBeNull();
    }
    const fixed = await runWithin(["doctor", "--fix"]);
    expect(fixed.timedOut).toBe(false);
    for (const path of fifos) expect((await stat(path)).isFIFO()).toBe(true);
  });

  it("a directory in place of the audit log is refused too", async () => {
    await mkdir(sb.auditPath);
    const res = await runWithin(paste, KEY);
    expect(res.stderr).toContain(`${sb.auditPath} is a directory, not a regular file`);
  });
});
