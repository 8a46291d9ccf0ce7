/**
 * The move from one `sessions.json` per agent to one file per session (issue 11): read once, every
 * session written out identically, the old file kept as a backup, a second run a no-op; a corrupt
 * old file stops it with its path and nothing written.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { legacySessionsPath, sessionFilePath, sessionsDir } from "../../src/config/paths.js";
import { listSessionFiles } from "../../src/sessions/session-files.js";
import { migrateLegacySessions } from "../../src/sessions/session-migration.js";
import { LegacySessionsFileSchema } from "../../src/sessions/session-schema.js";
import { SessionStore } from "../../src/sessions/session-store.js";

const who = { actor: "telegram:1", surface: "chat" };
let stateDir: string;
let legacy: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-migrate-"));
  legacy = legacySessionsPath(stateDir, "main");
  await mkdir(sessionsDir(stateDir, "main"), { recursive: true, mode: 0o700 });
});
afterEach(() => rm(stateDir, { recursive: true, force: true }));

/** A `sessions.json` as the single-file layout wrote it: pins of every kind, histories, odd keys. */
function legacySessions(count: number) {
  const meta = (i: number) => ({ setBy: `telegram:${i}`, setAt: 1_700_000_000_000 + i, source: "user" });
  const sessions: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key =
      i % 3 === 0
        ? `agent:main:telegram:dm:${i}`
        : i % 3 === 1
          ? `agent:main:telegram:group:-100${i}:topic:${i % 7}`
          : `agent:main:discord:channel:${i}:thread:${i * 31}`;
    sessions[key] = {
      createdAt: 1_600_000_000_000 + i,
      updatedAt: 1_650_000_000_000 + i,
      ...(i % 2 ? { model: { ref: "anthropic/claude-opus-4-5", ...meta(i) } } : {}),
      ...(i % 5 === 0 ? { profile: { id: `anthropic:p${i % 11}`, ...meta(i) } } : {}),
      history: Array.from({ length: i % 9 }, (_, n) => ({
        role: n % 2 ? "assistant" : "user",
        content: `message ${n} of ${i} — ünïcode 😀`,
        at: 1_700_000_000_000 + n,
      })),
      ...(i % 4 === 0 ? { conversationStartedAt: 1_690_000_000_000, futureField: { kept: true } } : {}),
    };
  }
  sessions["agent:main:console:local"] = { createdAt: 1, updatedAt: 2, history: [] };
  return { version: 1, sessions };
}

describe("migrateLegacySessions", () => {
  it("moves 1,000 sessions into files of their own, identical, and keeps the old file as a backup", async () => {
    const text = `${JSON.stringify(legacySessions(1_000), null, 2)}\n`;
    await writeFile(legacy, text, { mode: 0o600 });
    const expected = LegacySessionsFileSchema.parse(JSON.parse(text)).sessions;

    const store = new SessionStore(stateDir, "main");
    // Before: the listing already shows the old file's sessions, and migrates nothing.
    expect(await store.all()).toEqual(expected);
    expect(await readFile(legacy, "utf8")).toBe(text);

    const done = await migrateLegacySessions(stateDir, "main");
    expect(done).toEqual({ sessions: 1_001, written: 1_001, backup: `${legacy}.migrated` });
    await expect(lstat(legacy)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readFile(`${legacy}.migrated`, "utf8")).toBe(text);
    expect((await stat(`${legacy}.migrated`)).mode & 0o777).toBe(0o600);

    const files = await listSessionFiles(sessionsDir(stateDir, "main"));
    expect(files).toHaveLength(1_001);
    expect(await store.all()).toEqual(expected);
    for (const [key, entry] of Object.entries(expected)) expect(await store.get(key), key).toEqual(entry);
    for (const path of files.slice(0, 50)) expect((await stat(path)).mode & 0o777).toBe(0o600);

    // A second run finds nothing to do and touches nothing.
    const mtimes = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
    expect(await migrateLegacySessions(stateDir, "main")).toBeUndefined();
    expect(await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs))).toEqual(mtimes);
    expect(await store.all()).toEqual(expected);
  });

  it("happens on a store's first use, once, however many stores start at once", async () => {
    await writeFile(legacy, JSON.stringify(legacySessions(30)), { mode: 0o600 });
    const stores = Array.from({ length: 5 }, () => new SessionStore(stateDir, "main"));
    const seen = await Promise.all(stores.map((s) => s.get("agent:main:telegram:dm:3")));
    for (const entry of seen) expect(entry?.model?.ref).toBe("anthropic/claude-opus-4-5");
    expect(
      (await readdir(sessionsDir(stateDir, "main"))).filter((n) => n.startsWith("sessions.json")),
    ).toEqual(["sessions.json.migrated"]);
    await stores[0]!.setPins("agent:main:telegram:dm:3", { model: "openai/gpt-5" }, who);
    expect((await stores[4]!.get("agent:main:telegram:dm:3"))?.model?.ref).toBe("openai/gpt-5");
  });

  it("resumes a run interrupted after some files were written, never overwriting one", async () => {
    await writeFile(legacy, JSON.stringify(legacySessions(20)), { mode: 0o600 });
    // As if a crash came after this session's file was written (and it changed since).
    const key = "agent:main:telegram:dm:3";
    const path = sessionFilePath(stateDir, "main", key);
    await mkdir(join(path, ".."), { recursive: true });
    const newer = { createdAt: 5, updatedAt: 6, history: [{ role: "user", content: "newer" }] };
    await writeFile(path, JSON.stringify({ version: 1, key, revision: 3, session: newer }));
    const done = await migrateLegacySessions(stateDir, "main");
    expect(done).toMatchObject({ sessions: 21, written: 20 });
    expect(await new SessionStore(stateDir, "main").get(key)).toEqual(newer);
  });

  it("stops at a corrupt old file with its path, writing nothing and leaving it as it was", async () => {
    await writeFile(legacy, '{ "version": 1, "sessions": { "agent:main:x": ', { mode: 0o600 });
    const store = new SessionStore(stateDir, "main");
    const failure = store.get("agent:main:x");
    await expect(failure).rejects.toMatchObject({ code: "FILE_CORRUPT" });
    await expect(failure).rejects.toThrow(legacy);
    await expect(store.setPins("agent:main:x", { model: "openai/gpt-5" }, who)).rejects.toMatchObject({
      code: "FILE_CORRUPT",
    });
    expect(await readdir(sessionsDir(stateDir, "main"))).toEqual(["sessions.json"]);
    // Once the file is repaired, the next use migrates it.
    await writeFile(legacy, JSON.stringify({ version: 1, sessions: {} }));
    await store.setPins("agent:main:x", { model: "openai/gpt-5" }, who);
    expect((await store.get("agent:main:x"))?.model?.ref).toBe("openai/gpt-5");
    expect((await readdir(sessionsDir(stateDir, "main"))).sort()).toContain("sessions.json.migrated");
  });

  it("never replaces an earlier backup", async () => {
    await writeFile(`${legacy}.migrated`, "earlier backup");
    await writeFile(legacy, JSON.stringify(legacySessions(3)));
    expect((await migrateLegacySessions(stateDir, "main"))?.backup).toBe(`${legacy}.migrated-2`);
    expect(await readFile(`${legacy}.migrated`, "utf8")).toBe("earlier backup");
  });
});
