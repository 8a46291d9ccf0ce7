import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { sessionsPath } from "../../src/config/paths.js";
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

  it("lives at sessionsPath, written 0600 in a 0700 directory", async () => {
    await store.setPins(KEY, { model: "anthropic/claude-opus-4-5" }, who);
    expect(store.path).toBe(sessionsPath(dir, "main"));
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(store.path))).mode & 0o777).toBe(0o700);
    const onDisk = JSON.parse(await readFile(store.path, "utf8"));
    expect(onDisk).toMatchObject({
      version: 1,
      sessions: { [KEY]: { model: { ref: "anthropic/claude-opus-4-5" } } },
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
    await writeFile(store.path, "{ torn");
    await expect(store.get(KEY)).rejects.toMatchObject({ code: "FILE_CORRUPT" });
    await expect(store.setPins(KEY, { model: "openai/gpt-5-mini" }, who)).rejects.toMatchObject({
      code: "FILE_CORRUPT",
    });
    expect(await readFile(store.path, "utf8")).toBe("{ torn");
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
