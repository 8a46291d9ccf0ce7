/**
 * Issue 12, item 1: symlinks were followed out of the state dir. With `<state>/audit.jsonl` linked to
 * a file elsewhere, any audited command appended a line to that file and chmodded it 0600, and
 * `doctor --fix` chmodded the target of any linked state file. State files are now opened without
 * following links, modes are set only on what Tessera created, and doctor reports a link as an error
 * it never "fixes" by touching the target. Claude Code's credentials file is the one link followed on
 * purpose.
 */
import { chmod, lstat, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSandbox, modeOf, type Sandbox } from "../cli/models-harness.js";
import { fakeSecret } from "../support/secrets.js";

let sb: Sandbox;
let victim: string;
const VICTIM_TEXT = "root:x:0:0:root:/root:/bin/bash\n";

beforeEach(async () => {
  sb = await createSandbox();
  victim = join(sb.root, "elsewhere", "victim");
  await mkdir(join(sb.root, "elsewhere"), { recursive: true });
  await writeFile(victim, VICTIM_TEXT);
  await chmod(victim, 0o644);
  await mkdir(sb.agentDir(), { recursive: true, mode: 0o700 });
});
afterEach(() => sb.cleanup());

const paste = () =>
  sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], {
    input: `${fakeSecret("sk-ant-api03-", 100)}\n`,
  });

async function expectVictimUntouched(): Promise<void> {
  expect(await readFile(victim, "utf8")).toBe(VICTIM_TEXT);
  expect(await modeOf(victim)).toBe(0o644);
}

describe("a state file linked elsewhere is never followed", () => {
  it("audit.jsonl: an audited command neither appends to nor chmods the target", async () => {
    await symlink(victim, sb.auditPath);
    const res = await paste();
    expect(res.stderr).toContain(`${sb.auditPath} is a symbolic link`);
    await expectVictimUntouched();
    expect((await lstat(sb.auditPath)).isSymbolicLink()).toBe(true);
  });

  it("auth-profiles.json: commands refuse it with the link named, and read nothing through it", async () => {
    await symlink(victim, sb.profilesPath());
    for (const args of [
      ["models", "status"],
      ["models", "auth", "list"],
    ]) {
      const res = await sb.run(args);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/is a symbolic link \(to .*victim\)/);
      expect(res.stderr).toMatch(/^ {2}fix: replace the link/m);
    }
    expect((await paste()).code).toBe(1);
    await expectVictimUntouched();
  });

  it("config.json and .env in the state dir are not followed either", async () => {
    await symlink(victim, sb.configPath);
    const res = await sb.run(["models", "status"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("is a symbolic link");
    await expectVictimUntouched();
  });

  it("a linked agent directory is refused, and its target keeps its mode", async () => {
    const elsewhere = join(sb.root, "elsewhere", "dir");
    await mkdir(elsewhere, { mode: 0o755 });
    await chmod(elsewhere, 0o755);
    // agent/ was made in beforeEach: replace it with the link.
    await rm(sb.agentDir(), { recursive: true, force: true });
    await symlink(elsewhere, sb.agentDir(), "dir");
    const res = await paste();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("is a symbolic link");
    expect(await modeOf(elsewhere)).toBe(0o755);
  });
});

describe("doctor", () => {
  it("reports a linked state file as an error and --fix leaves the link and its target alone", async () => {
    await symlink(victim, sb.auditPath);
    await symlink(victim, sb.authStatePath());
    const check = await sb.run(["doctor", "--json"]);
    expect(check.code).toBe(1);
    const found = JSON.parse(check.stdout) as {
      findings: { check: string; severity: string; path?: string; autoFix: string | null }[];
    };
    for (const path of [sb.auditPath, sb.authStatePath()]) {
      const link = found.findings.find((f) => f.check === "file-types" && f.path === path);
      expect(link?.severity).toBe("error");
      // No repair anywhere aims at a linked path.
      for (const f of found.findings.filter((x) => x.path === path)) expect(f.autoFix).toBeNull();
    }
    const fixed = await sb.run(["doctor", "--fix"]);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain("is a symbolic link");
    await expectVictimUntouched();
    expect((await lstat(sb.auditPath)).isSymbolicLink()).toBe(true);
    expect((await lstat(sb.authStatePath())).isSymbolicLink()).toBe(true);
  });
});

describe("links followed on purpose", () => {
  it("Claude Code's credentials file may be a link (dotfile managers make one)", async () => {
    const real = join(sb.root, "dotfiles", "claude-credentials.json");
    await mkdir(join(sb.root, "dotfiles"), { recursive: true });
    await writeFile(
      real,
      JSON.stringify({
        claudeAiOauth: {
          accessToken: fakeSecret("sk-ant-oat01-", 100),
          refreshToken: fakeSecret("sk-ant-ort01-", 100),
          expiresAt: Date.now() + 3_600_000,
        },
      }),
      { mode: 0o600 },
    );
    await mkdir(join(sb.home, ".claude"), { recursive: true });
    await symlink(real, join(sb.home, ".claude", ".credentials.json"));
    const res = await sb.run(["models", "auth", "list", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).profiles.map((p: { id: string }) => p.id)).toContain(
      "anthropic:claude-cli",
    );
  });

  it("the state dir itself may be a link; it is resolved once", async () => {
    const real = join(sb.root, "real-state");
    await mkdir(real, { mode: 0o700 });
    const linked = join(sb.root, "linked-state");
    await symlink(real, linked, "dir");
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], {
      input: `${fakeSecret("sk-ant-api03-", 100)}\n`,
      env: { TESSERA_STATE_DIR: linked },
    });
    expect(res.code, res.stderr).toBe(0);
    expect(await modeOf(join(real, "agents", "main", "agent", "auth-profiles.json"))).toBe(0o600);
  });
});
