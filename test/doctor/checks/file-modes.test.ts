/**
 * The file-modes check `stat`ed through links (a link at `.env` to a world-readable file elsewhere
 * was reported as `.env` having that file's mode, and `--fix` aimed a chmod at it), reported a
 * directory at a file's place a second time, and offered to chmod files Tessera must not touch (a
 * file with another name elsewhere, one owned by another user). It now looks with `lstat`, leaves
 * links and other kinds of file to the file-types check, and offers a chmod only where `mayChmod`
 * allows one. Runs the doctor in-process.
 */
import { chmod, chown, link, mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runDoctor } from "../../../src/doctor/run-doctor.js";

let root: string;
let stateDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-modes-"));
  stateDir = join(root, "state");
  await mkdir(join(stateDir, "agents", "main", "agent"), { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  await writeFile(join(stateDir, "config.json"), "{}\n", { mode: 0o600 });
});
afterEach(() => rm(root, { recursive: true, force: true }));

const doctor = (fix = false) => runDoctor({ stateDir, processEnv: { HOME: root }, fix });
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

it("a link at .env: no mode finding for it, and --fix never changes the file it points to", async () => {
  const target = join(root, "shared.env");
  await writeFile(target, "A=1\n", { mode: 0o644 });
  await chmod(target, 0o644);
  const env = join(stateDir, ".env");
  await symlink(target, env);
  const before = await doctor();
  expect(before.findings.filter((f) => f.check === "file-modes" && f.path === env)).toEqual([]);
  expect(before.findings.filter((f) => f.check === "file-types" && f.path === env)).toHaveLength(1);
  await doctor(true);
  expect(await modeOf(target)).toBe(0o644);
});

it("a directory where the audit log belongs is reported once, by file-types", async () => {
  const audit = join(stateDir, "audit.jsonl");
  await mkdir(audit, { mode: 0o755 });
  const { findings } = await doctor();
  expect(findings.filter((f) => f.path === audit).map((f) => f.check)).toEqual(["file-types"]);
});

it("a state file with another name elsewhere (a hard link) is reported, but --fix does not chmod it", async () => {
  const config = join(stateDir, "config.json");
  await chmod(config, 0o644);
  await link(config, join(root, "config-copy.json"));
  const before = await doctor();
  const finding = before.findings.find((f) => f.check === "file-modes" && f.path === config);
  expect(finding?.what).toContain("has mode 0644");
  expect(finding?.repair).toBeUndefined();
  expect(finding?.what).toContain("the file has 1 other name(s) (hard links) elsewhere");
  expect(finding?.fix).toMatch(/^chmod 0600 .* by hand/);
  await doctor(true);
  expect(await modeOf(config)).toBe(0o644);
});

it.skipIf(process.getuid?.() !== 0)(
  "a state file owned by another user is reported, but --fix does not chmod it (needs root to chown)",
  async () => {
    const config = join(stateDir, "config.json");
    await chmod(config, 0o644);
    await chown(config, 4321, 4321);
    const before = await doctor();
    const modes = before.findings.filter((f) => f.check === "file-modes" && f.path === config);
    expect(modes.map((f) => f.key.split(":")[0]).sort()).toEqual(["mode", "owner"]);
    expect(modes.every((f) => f.repair === undefined)).toBe(true);
    await doctor(true);
    expect(await modeOf(config)).toBe(0o644);
  },
);

it("still chmods a plain state file of ours", async () => {
  const config = join(stateDir, "config.json");
  await chmod(config, 0o644);
  const result = await doctor(true);
  expect(result.fixed.map((f) => f.result)).toContain(`chmod 0600 ${config} (was 0644)`);
  expect(await modeOf(config)).toBe(0o600);
});
