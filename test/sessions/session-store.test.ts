import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { sessionFilePath, sessionsDir } from "../../src/config/paths.js";
import {
  capHistory,
  HISTORY_MAX_CHARS,
  HISTORY_MAX_MESSAGE_CHARS,
  HISTORY_MAX_MESSAGES,
  SessionStore,
} from "../../src/sessions/session-store.js";

const who = { actor: "telegram:42", surface: "chat" };
const KEY = "agent:main:telegram:dm:42";

describe("SessionStore", () => {
  let dir: string;
  let store: SessionStore;
  let audit: AuditLog;
  let clock = 1_000;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tessera-sessions-"));
    audit = new AuditLog(join(dir, "audit.jsonl"));
    store = new SessionStore(dir, "main", audit, () => clock);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps each session in its own file, written 0600 in 0700 directories", async () => {
    await store.setPins(KEY, { model: "anthropic/claude-opus-4-5" }, who);
    expect(store.path).toBe(sessionsDir(dir, "main"));
    const file = store.pathOf(KEY);
    expect(file).toBe(sessionFilePath(dir, "main", KEY));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(file))).mode & 0o777).toBe(0o700);
    expect((await stat(store.path)).mode & 0o777).toBe(0o700);
    // Re-applied on every write, as for every state directory.
    await chmod(store.path, 0o755);
    await chmod(dirname(file), 0o755);
    await store.appendHistory(KEY, [{ role: "user", content: "hi" }]);
    expect((await stat(store.path)).mode & 0o777).toBe(0o700);
    expect((await stat(dirname(file))).mode & 0o777).toBe(0o700);
    const onDisk = JSON.parse(await readFile(file, "utf8"));
    expect(onDisk).toMatchObject({
      version: 1,
      key: KEY,
      revision: 2,
      session: { model: { ref: "anthropic/claude-opus-4-5" } },
    });
  });

  it("records who pinned what, when, from which source", async () => {
    clock = 5_000;
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    await store.setPins(KEY, { profile: "openai:work" }, { actor: "telegram:1", surface: "chat" });
    const entry = await store.get(KEY);
    expect(entry?.model).toEqual({ ref: "openai/gpt-5", setBy: "telegram:42", setAt: 5_000, source: "user" });
    expect(entry?.profile).toEqual({ id: "openai:work", setBy: "telegram:1", setAt: 5_000, source: "user" });
    expect(await store.get("agent:main:telegram:dm:other")).toBeUndefined();
  });

  it("changes model and profile in one write, and audits only what changed", async () => {
    const first = await store.setPins(
      KEY,
      { model: "anthropic/claude-opus-4-5", profile: "anthropic:work" },
      who,
    );
    expect(first).toEqual({
      before: {},
      after: { model: "anthropic/claude-opus-4-5", profile: "anthropic:work" },
    });
    await store.setPins(KEY, { model: "anthropic/claude-opus-4-5" }, who);
    await store.setPins(KEY, { profile: null }, who);
    const { entries } = await audit.read();
    expect(entries.map((e) => [e.action, e.detail, e.target])).toEqual([
      ["pin.model", "anthropic/claude-opus-4-5", KEY],
      ["pin.profile", "anthropic:work", KEY],
      ["pin.clear", "profile anthropic:work", KEY],
    ]);
  });

  it("does not create an entry or write when clearing pins that do not exist", async () => {
    const result = await store.reset(KEY, who);
    expect(result.before).toEqual({});
    await expect(stat(store.pathOf(KEY))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(stat(store.path)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await audit.read()).entries).toEqual([]);
  });

  it("clears a pin only if it still holds the expected value", async () => {
    await store.setPins(KEY, { profile: "anthropic:work" }, who);
    expect(await store.clearPinIf(KEY, "profile", "anthropic:other", "gone", who)).toBe(false);
    expect((await store.get(KEY))?.profile?.id).toBe("anthropic:work");
    expect(await store.clearPinIf(KEY, "profile", "anthropic:work", "gone", who)).toBe(true);
    expect(await store.clearPinIf(KEY, "profile", "anthropic:work", "gone", who)).toBe(false);
    expect((await audit.read()).entries.at(-1)).toMatchObject({
      action: "pin.clear",
      detail: "profile anthropic:work: gone",
    });
  });

  it("keeps history in order and starts a new conversation without touching pins", async () => {
    await store.setPins(KEY, { model: "anthropic/claude-haiku-4-5" }, who);
    await store.appendHistory(KEY, [
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
    ]);
    await store.appendHistory(KEY, [{ role: "user", content: "again" }]);
    expect(await store.history(KEY)).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "again" },
    ]);
    clock = 9_000;
    const result = await store.newConversation(KEY, who);
    expect(result).toEqual({ dropped: 3, pins: { model: "anthropic/claude-haiku-4-5", profile: undefined } });
    expect(await store.history(KEY)).toEqual([]);
    expect(await store.get(KEY)).toMatchObject({
      conversationStartedAt: 9_000,
      model: { ref: "anthropic/claude-haiku-4-5" },
    });
    expect((await audit.read()).entries.at(-1)).toMatchObject({ action: "session.new", target: KEY });
  });

  it("refuses to read or overwrite a corrupt file", async () => {
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    await writeFile(store.pathOf(KEY), "{ torn");
    await expect(store.get(KEY)).rejects.toMatchObject({ code: "FILE_CORRUPT" });
    await expect(store.setPins(KEY, { model: "openai/gpt-5-mini" }, who)).rejects.toMatchObject({
      code: "FILE_CORRUPT",
    });
    expect(await readFile(store.pathOf(KEY), "utf8")).toBe("{ torn");
  });

  it("keeps every update when two stores on the same file write at once", async () => {
    const other = new SessionStore(dir, "main");
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? store : other).setPins(`agent:main:telegram:dm:${i}`, { model: "openai/gpt-5" }, who),
      ),
    );
    expect(Object.keys(await store.all())).toHaveLength(40);
  });
});

describe("capHistory", () => {
  const msg = (role: "user" | "assistant", content: string) => ({ role, content });

  it("keeps at most the last HISTORY_MAX_MESSAGES messages, starting with a user message", () => {
    const many = Array.from({ length: 101 }, (_, i) => msg(i % 2 ? "assistant" : "user", `m${i}`));
    const kept = capHistory(many);
    expect(kept.length).toBeLessThanOrEqual(HISTORY_MAX_MESSAGES);
    expect(kept[0]?.role).toBe("user");
    expect(kept.at(-1)?.content).toBe("m100");
  });

  it("keeps the character budget by dropping the oldest", () => {
    const big = "x".repeat(10_000);
    const kept = capHistory([
      msg("user", big),
      msg("assistant", big),
      msg("user", big),
      msg("assistant", big),
    ]);
    expect(kept.reduce((n, m) => n + m.content.length, 0)).toBeLessThanOrEqual(HISTORY_MAX_CHARS);
    expect(kept[0]?.role).toBe("user");
    expect(kept).toHaveLength(2);
  });

  it("cuts one over-long message instead of losing everything", () => {
    const kept = capHistory([msg("user", "y".repeat(100_000))]);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.content.length).toBeLessThanOrEqual(HISTORY_MAX_MESSAGE_CHARS);
    expect(kept[0]!.content).toMatch(/cut: message too long/);
  });

  it("never leaves half a surrogate pair at the cut", () => {
    const emoji = "😀".repeat(HISTORY_MAX_MESSAGE_CHARS);
    const content = capHistory([msg("user", emoji)])[0]!.content;
    const body = content.slice(0, content.indexOf("\n[…"));
    expect(body.length % 2).toBe(0);
    expect([...body].every((c) => c === "😀")).toBe(true);
  });
});

describe("SessionStore: one file per session", () => {
  let dir: string;
  let store: SessionStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tessera-sessions-"));
    store = new SessionStore(dir, "main");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes nothing and takes no lock for a change that changes nothing", async () => {
    await store.setPins(KEY, { model: "openai/gpt-5", profile: "openai:work" }, who);
    const file = store.pathOf(KEY);
    const before = await stat(file);
    // Another process holds this session's lock: any locked write would now wait for it.
    await mkdir(`${file}.lock`);
    const started = Date.now();
    expect(await store.setPins(KEY, { model: "openai/gpt-5" }, who)).toEqual({
      before: { model: "openai/gpt-5", profile: "openai:work" },
      after: { model: "openai/gpt-5", profile: "openai:work" },
    });
    await store.setPins(KEY, { model: "openai/gpt-5", profile: "openai:work" }, who);
    expect(await store.clearPinIf(KEY, "profile", "openai:other", "gone", who)).toBe(false);
    expect(await store.reset("agent:main:telegram:dm:never", who)).toMatchObject({ before: {}, after: {} });
    expect(Date.now() - started).toBeLessThan(1_000);
    const after = await stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(JSON.parse(await readFile(file, "utf8")).revision).toBe(1);
  });

  it("counts each write that changed the session in revision", async () => {
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    await store.appendHistory(KEY, [{ role: "user", content: "a" }]);
    await store.appendHistory(KEY, [{ role: "user", content: "b" }]);
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    await store.newConversation(KEY, who);
    expect(JSON.parse(await readFile(store.pathOf(KEY), "utf8")).revision).toBe(4);
  });

  it("confines a corrupt file to its own session and names it", async () => {
    const other = "agent:main:telegram:dm:7";
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    await store.setPins(other, { model: "anthropic/claude-opus-4-5" }, who);
    await writeFile(store.pathOf(KEY), '{"version":1,"key":');
    await expect(store.get(KEY)).rejects.toThrow(store.pathOf(KEY));
    await expect(store.appendHistory(KEY, [{ role: "user", content: "x" }])).rejects.toMatchObject({
      code: "FILE_CORRUPT",
      hint: expect.stringContaining("doctor --fix"),
    });
    // Every other session works as before.
    await store.appendHistory(other, [{ role: "user", content: "still here" }]);
    expect(await store.history(other)).toEqual([{ role: "user", content: "still here" }]);
    expect(await readFile(store.pathOf(KEY), "utf8")).toBe('{"version":1,"key":');
    // The listing names the file instead of treating it as empty; scan() lists around it.
    await expect(store.all()).rejects.toThrow(store.pathOf(KEY));
    const scan = await store.scan();
    expect(Object.keys(scan.sessions)).toEqual([other]);
    expect(scan.problems).toMatchObject([{ path: store.pathOf(KEY), kind: "unreadable" }]);
  });

  it("refuses a session file copied under another session's name", async () => {
    const other = "agent:main:telegram:dm:7";
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    await mkdir(dirname(store.pathOf(other)), { recursive: true });
    await writeFile(store.pathOf(other), await readFile(store.pathOf(KEY)));
    await expect(store.get(other)).rejects.toMatchObject({ code: "FILE_INVALID" });
    await expect(store.setPins(other, { model: "openai/gpt-5-mini" }, who)).rejects.toThrow(
      /holds the session "agent:main:telegram:dm:42"/,
    );
    expect((await store.scan()).problems).toMatchObject([{ path: store.pathOf(other), kind: "misplaced" }]);
  });

  it("lets a read see a history write that was started but not awaited", async () => {
    await store.setPins(KEY, { model: "openai/gpt-5" }, who);
    // The write has to wait for another process's lock on this session…
    await mkdir(`${store.pathOf(KEY)}.lock`);
    const writing = store.appendHistory(KEY, [
      { role: "user", content: "question" },
      { role: "assistant", content: "answer" },
    ]);
    // …and the session's next message reads meanwhile (the agent turn does not await the write).
    let read: unknown;
    const reading = new SessionStore(dir, "main").history(KEY).then((h) => {
      read = h;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(read).toBeUndefined();
    await rm(`${store.pathOf(KEY)}.lock`, { recursive: true });
    await reading;
    expect(read).toEqual([
      { role: "user", content: "question" },
      { role: "assistant", content: "answer" },
    ]);
    await writing;
  });

  it("lists sessions from their files, skipping locks, temp files and files moved aside", async () => {
    for (let i = 0; i < 30; i++)
      await store.setPins(`agent:main:telegram:dm:${i}`, { model: "openai/gpt-5" }, who);
    const shard = dirname(store.pathOf("agent:main:telegram:dm:3"));
    await mkdir(join(shard, "0123456789abcdef0123456789abcdef.json.lock"));
    await writeFile(join(shard, ".0123456789abcdef0123456789abcdef.json.99.abcd.tmp"), "{ half");
    await writeFile(`${store.pathOf("agent:main:telegram:dm:3")}.corrupt-2026-01-01T00-00-00Z`, "{");
    const all = await store.all();
    expect(Object.keys(all)).toHaveLength(30);
    expect(Object.keys(all)).toEqual([...Object.keys(all)].sort());
  });

  it("reports a file in place of the sessions directory with its path and the fix", async () => {
    await mkdir(dirname(store.path), { recursive: true });
    await writeFile(store.path, "not a directory");
    const failure = store.get(KEY);
    await expect(failure).rejects.toThrow(`${store.path} is not a directory`);
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining(`move ${store.path} aside`),
    });
  });
});
