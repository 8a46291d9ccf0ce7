/**
 * Doctor and the per-session layout (issue 11): each session file is checked like every other state
 * file (layout, mode), a corrupt one is moved aside alone, a file under another key's name is
 * reported, and an agent still on the old single `sessions.json` is reported and migrated by --fix.
 * Runs the doctor in-process (`runDoctor`); the CLI's own doctor tests are in test/cli/doctor.test.ts.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { legacySessionsPath } from "../../src/config/paths.js";
import { runDoctor } from "../../src/doctor/run-doctor.js";
import { SessionStore } from "../../src/sessions/session-store.js";

const who = { actor: "telegram:1", surface: "chat" };
let stateDir: string;
let store: SessionStore;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-doctor-sessions-"));
  await writeFile(join(stateDir, "config.json"), JSON.stringify({ auth: { claudeCode: { sync: false } } }), {
    mode: 0o600,
  });
  store = new SessionStore(stateDir, "main");
});
afterEach(() => rm(stateDir, { recursive: true, force: true }));

const doctor = (fix = false) => runDoctor({ stateDir, processEnv: { HOME: stateDir }, fix });
const sessionFindings = async (fix = false) => {
  const result = await doctor(fix);
  return {
    ...result,
    findings: result.findings.filter((f) =>
      [f.path, f.what].some((s) => s?.includes(`${stateDir}/agents/main/sessions`)),
    ),
  };
};

describe("doctor on session files", () => {
  it("finds nothing to say about healthy sessions", async () => {
    for (let i = 0; i < 20; i++)
      await store.setPins(`agent:main:telegram:dm:${i}`, { model: "openai/gpt-5" }, who);
    expect((await sessionFindings()).findings).toEqual([]);
  });

  it("moves a corrupt session file aside alone with --fix, and the session starts again from empty", async () => {
    const broken = "agent:main:telegram:dm:1";
    const fine = "agent:main:telegram:dm:2";
    await store.setPins(broken, { model: "openai/gpt-5" }, who);
    await store.setPins(fine, { model: "openai/gpt-5" }, who);
    await writeFile(store.pathOf(broken), '{"version":1,"key":"agent:main:tel');
    const before = await sessionFindings();
    expect(before.findings).toMatchObject([
      { check: "corrupt-files", severity: "error", path: store.pathOf(broken) },
    ]);
    expect(before.exitCode).toBe(1);
    const fixed = await sessionFindings(true);
    expect(fixed.fixed.map((f) => f.result)).toEqual([
      expect.stringMatching(new RegExp(`^moved ${store.pathOf(broken)} to .*\\.corrupt-`)),
    ]);
    expect(fixed.findings).toEqual([]);
    expect(await store.get(broken)).toBeUndefined();
    expect((await store.get(fine))?.model?.ref).toBe("openai/gpt-5");
    const aside = (await readdir(dirname(store.pathOf(broken)))).filter((n) => n.includes(".corrupt-"));
    expect(aside).toHaveLength(1);
  });

  it("reports and repairs the modes of session files and their directories", async () => {
    await store.setPins("agent:main:telegram:dm:1", { model: "openai/gpt-5" }, who);
    const file = store.pathOf("agent:main:telegram:dm:1");
    await chmod(file, 0o644);
    await chmod(dirname(file), 0o755);
    const before = await sessionFindings();
    expect(before.findings.map((f) => [f.check, f.severity, f.path])).toEqual([
      ["file-modes", "warning", dirname(file)],
      ["file-modes", "error", file],
    ]);
    await sessionFindings(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(file))).mode & 0o777).toBe(0o700);
  });

  it("reports a session file that sits under another key's name, and touches it not", async () => {
    await store.setPins("agent:main:telegram:dm:1", { model: "openai/gpt-5" }, who);
    const copy = store.pathOf("agent:main:telegram:dm:2");
    await mkdir(dirname(copy), { recursive: true, mode: 0o700 });
    const bytes = await readFile(store.pathOf("agent:main:telegram:dm:1"));
    await writeFile(copy, bytes, { mode: 0o600 });
    const { findings } = await sessionFindings(true);
    expect(findings).toMatchObject([{ check: "session-layout", severity: "warning", path: copy }]);
    expect(findings[0]!.what).toContain('holds the session "agent:main:telegram:dm:1"');
    expect(await readFile(copy)).toEqual(bytes);
  });

  it("knows the old sessions.json: checks its pins before, migrates it with --fix", async () => {
    const legacy = legacySessionsPath(stateDir, "main");
    await mkdir(dirname(legacy), { recursive: true, mode: 0o700 });
    const meta = { setBy: "telegram:1", setAt: 1, source: "user" };
    await writeFile(
      legacy,
      JSON.stringify({
        version: 1,
        sessions: {
          "agent:main:telegram:dm:1": {
            createdAt: 1,
            updatedAt: 1,
            profile: { id: "anthropic:gone", ...meta },
          },
        },
      }),
      { mode: 0o600 },
    );
    const before = await sessionFindings();
    expect(before.findings.map((f) => f.check)).toEqual(["session-layout", "session-pins"]);
    expect(await readdir(dirname(legacy))).toEqual(["sessions.json"]);
    const fixed = await sessionFindings(true);
    expect(fixed.fixed.map((f) => f.result)).toEqual([
      expect.stringMatching(/^migrated 1 session\(s\) of agent main to one file each/),
      "cleared the dangling pin anthropic:gone of session agent:main:telegram:dm:1",
    ]);
    expect(fixed.findings).toEqual([]);
    expect((await readdir(dirname(legacy))).sort()).toEqual(
      expect.arrayContaining(["sessions.json.migrated"]),
    );
    // A second run has nothing to migrate.
    expect((await sessionFindings(true)).fixed).toEqual([]);
  });

  it("reports a corrupt old sessions.json and moves it aside with --fix instead of migrating it", async () => {
    const legacy = legacySessionsPath(stateDir, "main");
    await mkdir(dirname(legacy), { recursive: true, mode: 0o700 });
    await writeFile(legacy, '{ "sessions": ', { mode: 0o600 });
    const before = await sessionFindings();
    expect(before.findings).toMatchObject([{ check: "corrupt-files", severity: "error", path: legacy }]);
    const fixed = await sessionFindings(true);
    expect(fixed.fixed.map((f) => f.result)).toEqual([expect.stringMatching(/^moved .*sessions\.json to /)]);
    expect(fixed.findings).toEqual([]);
  });
});
