/**
 * Issue 12, item 10: EROFS, ENOSPC, EPERM and EISDIR came out as bare errno text; a directory in
 * place of config.json stopped doctor itself; a byte-order mark gave no position and `doctor --fix`
 * then moved an otherwise fine store aside. Now every such error names the path, what it means and
 * the fix; doctor always runs; a BOM is accepted (and dropped on the next write).
 */
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fsFailure } from "../../src/files/fs-errors.js";
import { createSandbox, type Sandbox } from "../cli/models-harness.js";
import { fakeSecret } from "../support/secrets.js";
import { blockWrites, chattrUnavailable } from "./step-failures.js";

const errno = (code: string, syscall = "open", path = "/s/agents/main/agent/auth-profiles.json") =>
  Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path });

describe("fsFailure", () => {
  it.each([
    ["EROFS", /read-only/, /writable|--state-dir/],
    ["ENOSPC", /no space left/, /df -h/],
    ["EPERM", /not permitted/, /chattr -i|owner/],
    ["EACCES", /permission denied/, /chown|chmod/],
    ["EISDIR", /a directory where a file should be/, /mv .*\.moved/],
  ])("%s: path, meaning and fix", (code, meaning, fix) => {
    const path = "/s/agents/main/agent/auth-profiles.json";
    const err = fsFailure(errno(code), path, "write");
    expect(err.code).toBe("FILE_IO");
    expect(err.message).toContain(`cannot write ${path}`);
    expect(err.message).toMatch(meaning);
    expect(err.message).toContain(`(${code})`);
    expect(err.hint).toMatch(fix);
  });
});

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  try {
    execFileSync("chattr", ["-R", "-i", sb.stateDir], { stdio: "ignore" });
  } catch {}
  await sb.cleanup();
});

const KEY = () => `${fakeSecret("sk-ant-api03-", 100)}\n`;
const paste = () => sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], { input: KEY() });

describe("through the CLI", () => {
  it("an immutable store file: the error says what and how, not a bare EPERM", async (ctx) => {
    ctx.skip(chattrUnavailable !== undefined, chattrUnavailable);
    await sb.writeProfiles({ "anthropic:a": { type: "api_key", provider: "anthropic", key: KEY().trim() } });
    execFileSync("chattr", ["+i", sb.agentDir()]);
    const started = Date.now();
    const res = await paste();
    // Said at once: a disk that refuses writes is not a lock to wait for.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: cannot .* not permitted .*\(EPERM\)$/m);
    expect(res.stderr).toMatch(/^ {2}fix: .*chattr -i/m);
  });

  it("a store whose lock cannot be created (no chattr needed): said at once, with the path and the fix", async () => {
    await sb.writeProfiles({});
    const blocked = await blockWrites(sb.profilesPath());
    const started = Date.now();
    const res = await paste();
    await blocked.unblock();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^error: cannot create the lock .*auth-profiles\.json\.lock: part of the path is a file where a directory should be \(ENOTDIR\)$/m,
    );
    expect(res.stderr).toMatch(/^ {2}fix: check the directories leading to .*auth-profiles\.json\.lock/m);
  });

  it("a directory in place of config.json: doctor still runs every check; other commands name it", async () => {
    await mkdir(sb.configPath, { recursive: true });
    const doctor = await sb.run(["doctor", "--json"]);
    expect(doctor.code).toBe(1);
    const { findings } = JSON.parse(doctor.stdout) as { findings: { check: string; what: string }[] };
    expect(findings.some((f) => f.what.includes(`${sb.configPath} (config) is a directory`))).toBe(true);
    // The other checks ran on the defaults: the missing anthropic credential is reported.
    expect(findings.some((f) => f.check === "credentials")).toBe(true);
    expect(findings.some((f) => f.what.includes("could not run"))).toBe(false);
    const status = await sb.run(["models", "status"]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`${sb.configPath} is a directory, not a regular file`);
    expect(status.stderr).toMatch(/^ {2}fix: move it out of the way/m);
  });

  it("a BOM in the store and the config is accepted, and doctor --fix moves nothing aside", async () => {
    const key = KEY().trim();
    await mkdir(sb.agentDir(), { recursive: true, mode: 0o700 });
    await writeFile(
      sb.profilesPath(),
      `\uFEFF${JSON.stringify({ version: 1, profiles: { "anthropic:a": { type: "api_key", provider: "anthropic", key } } })}`,
      { mode: 0o600 },
    );
    await writeFile(
      sb.configPath,
      `\uFEFF${JSON.stringify({ models: { default: "anthropic/claude-opus-4-5" } })}`,
      {
        mode: 0o600,
      },
    );
    const status = await sb.run(["models", "status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).defaultModel).toBe("anthropic/claude-opus-4-5");
    const fixed = await sb.run(["doctor", "--fix"]);
    expect(fixed.stdout).not.toContain("corrupt");
    expect((await readdir(dirname(sb.profilesPath()))).filter((n) => n.includes(".corrupt-"))).toEqual([]);
    expect((await readdir(sb.stateDir)).filter((n) => n.includes(".corrupt-"))).toEqual([]);
    // The next write of the store leaves the BOM out and keeps the credential.
    expect((await paste()).code).toBe(0);
    const text = await readFile(sb.profilesPath(), "utf8");
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(JSON.parse(text).profiles["anthropic:a"].key).toBe(key);
  });
});
