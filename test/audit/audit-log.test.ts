import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";

let root: string;
let stateDir: string;
let log: AuditLog;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-audit-"));
  stateDir = join(root, "state");
  log = new AuditLog(join(stateDir, "audit.jsonl"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const who = { actor: "cli:alice", surface: "cli" };

describe("AuditLog", () => {
  it("appends one JSON line per entry with time, actor, surface and the fields given", async () => {
    const before = Date.now();
    await log.append(who, "profile.add", {
      agent: "main",
      target: "anthropic:work",
      detail: "api_key #abc123",
    });
    await log.append({ actor: "telegram:42", surface: "chat" }, "order.clear", { target: "anthropic" });
    const lines = (await readFile(log.path, "utf8")).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({
      actor: "cli:alice",
      surface: "cli",
      action: "profile.add",
      agent: "main",
      target: "anthropic:work",
      detail: "api_key #abc123",
    });
    expect(Date.parse(first.ts)).toBeGreaterThanOrEqual(before - 1000);
    const { entries, badLines } = await log.read();
    expect(badLines).toEqual([]);
    expect(entries.map((e) => e.action)).toEqual(["profile.add", "order.clear"]);
    expect(entries[1]).not.toHaveProperty("agent");
  });

  it("keeps the log 0600 in a 0700 directory, even after they were loosened", async () => {
    await mkdir(stateDir, { recursive: true, mode: 0o755 });
    await chmod(stateDir, 0o755);
    await appendFile(log.path, "", { mode: 0o644 });
    await chmod(log.path, 0o644);
    await log.append(who, "profile.add");
    expect((await stat(log.path)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });

  it("never rewrites earlier lines", async () => {
    await log.append(who, "a");
    const first = await readFile(log.path, "utf8");
    const { ino } = await stat(log.path);
    await log.append(who, "b");
    const now = await readFile(log.path, "utf8");
    expect(now.startsWith(first)).toBe(true);
    expect((await stat(log.path)).ino).toBe(ino);
  });

  it("reports unreadable lines by number instead of dropping them silently", async () => {
    await log.append(who, "a");
    await appendFile(log.path, 'not json\n{"ts":"x"}\n');
    await log.append(who, "b");
    const { entries, badLines } = await log.read();
    expect(entries.map((e) => e.action)).toEqual(["a", "b"]);
    expect(badLines).toEqual([2, 3]);
  });

  it("reads entries since a time", async () => {
    await mkdir(stateDir, { recursive: true });
    const old = { ts: "2020-01-01T00:00:00.000Z", actor: "x", surface: "cli", action: "old" };
    await appendFile(log.path, `${JSON.stringify(old)}\n`);
    await log.append(who, "new");
    const { entries } = await log.read(Date.parse("2021-01-01T00:00:00Z"));
    expect(entries.map((e) => e.action)).toEqual(["new"]);
    expect((await log.read()).entries).toHaveLength(2);
  });

  it("reads a missing log as empty", async () => {
    expect(await log.read()).toEqual({ entries: [], badLines: [] });
  });

  it("keeps every line whole when many appends race", async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        log.append(who, "race", { target: `p${i}`, detail: "x".repeat(i * 20) }),
      ),
    );
    const { entries, badLines } = await log.read();
    expect(badLines).toEqual([]);
    expect(new Set(entries.map((e) => e.target)).size).toBe(200);
  });
});
