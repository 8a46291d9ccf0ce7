/**
 * Issue 12, item 4: `--state-dir ""` and `TESSERA_STATE_DIR=""` silently used the current directory:
 * credentials were written there and the directory was chmodded 0700. An empty value (of the config
 * path too) is now an error, and nothing is read or written.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { CLI } from "../cli/models-harness.js";
import { fakeSecret } from "../support/secrets.js";

let cwd: string;
let home: string;
beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), "tessera-empty-"));
  cwd = join(root, "cwd");
  home = join(root, "home");
  await mkdir(cwd);
  await chmod(cwd, 0o755);
  await mkdir(home);
});
afterEach(() => rm(join(cwd, ".."), { recursive: true, force: true }));

/** Runs the CLI in `cwd` (a temp dir: on the code before the fix, that is where it wrote). */
function run(args: string[], env: Record<string, string>, input = "") {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

const KEY = `${fakeSecret("sk-ant-api03-", 100)}\n`;
const COMMANDS: [string[], string][] = [
  [["models", "auth", "paste-api-key", "--provider", "anthropic"], KEY],
  [["models", "status"], ""],
  [["audit"], ""],
  [["doctor", "--fix"], ""],
  [
    ["onboard", "--non-interactive", "--provider", "anthropic", "--secrets-stdin"],
    `ANTHROPIC_API_KEY=${KEY}`,
  ],
];

it.each(COMMANDS)('%j with --state-dir "" is refused and touches nothing', async (args, input) => {
  const res = await run(["--state-dir", "", ...args], {}, input);
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/^error: --state-dir is set but empty/m);
  expect(res.stderr).toMatch(/^ {2}fix: /m);
  expect(await readdir(cwd)).toEqual([]);
  expect((await stat(cwd)).mode & 0o777).toBe(0o755);
});

it.each(COMMANDS)('%j with TESSERA_STATE_DIR="" is refused and touches nothing', async (args, input) => {
  const res = await run(args, { TESSERA_STATE_DIR: "" }, input);
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/^error: TESSERA_STATE_DIR is set but empty/m);
  expect(await readdir(cwd)).toEqual([]);
  expect((await stat(cwd)).mode & 0o777).toBe(0o755);
});

it("an empty --config or TESSERA_CONFIG is refused too", async () => {
  const state = join(home, "state");
  const a = await run(["--config", " ", "models", "status"], { TESSERA_STATE_DIR: state });
  expect(a.stderr).toMatch(/^error: --config is set but empty/m);
  const b = await run(["models", "status"], { TESSERA_STATE_DIR: state, TESSERA_CONFIG: "" });
  expect(b.stderr).toMatch(/^error: TESSERA_CONFIG is set but empty/m);
  expect(await readdir(cwd)).toEqual([]);
});
