/**
 * Races for real: separate node processes (test/fixtures/store-writer.mjs, over the built dist/) write
 * one agent's store at the same time, or are SIGKILLed in the middle of writing it. The guarantees
 * under test are PRODUCT §2's: no update is ever lost, a reader never sees a torn file, and a crash
 * leaves the old or the new state with the lock recoverable.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { AuthStateFileSchema } from "../../src/auth/auth-state.js";
import { AuthStore } from "../../src/auth/auth-store.js";
import { AuthProfilesFileSchema } from "../../src/auth/credentials.js";
import { expectNoSecretIn } from "../support/secrets.js";
import { assertBuilt, killStrayWriters, startWriter, type WriterProcess } from "./writer-process.js";

/** What store-writer.mjs stores for `id`. */
const keyFor = (id: string) => `sk-ant-api03-${createHash("sha256").update(id).digest("base64url")}`;

let stateDir: string;
let store: AuthStore;
let agentDir: string;

beforeAll(assertBuilt);
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-race-"));
  store = new AuthStore(stateDir, "main", new AuditLog(join(stateDir, "audit.jsonl")));
  agentDir = join(stateDir, "agents", "main", "agent");
});
afterEach(async () => {
  await killStrayWriters();
  await rm(stateDir, { recursive: true, force: true });
});

/** Reads both store files as fast as it can until stopped; every read that finds a file must parse. */
function startReader(paths: string[]) {
  let stop = false;
  let parsed = 0;
  const failures: string[] = [];
  const done = (async () => {
    while (!stop) {
      for (const path of paths) {
        const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") failures.push(`${path}: ${err.code}`);
          return undefined;
        });
        if (text === undefined) continue;
        try {
          JSON.parse(text);
          parsed++;
        } catch (err) {
          failures.push(`${path}: ${(err as Error).message.slice(0, 60)} (${text.length} bytes)`);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return { parsed, failures };
    },
  };
}

async function parseStore() {
  const profiles = AuthProfilesFileSchema.parse(JSON.parse(await readFile(store.path, "utf8")));
  const state = AuthStateFileSchema.parse(JSON.parse(await readFile(store.stateFile.path, "utf8")));
  return { profiles, state };
}

describe("8 processes × 50 concurrent upserts and marks on one store", () => {
  it("keeps every write and the files always parse", async () => {
    const PROCS = 8;
    const EACH = 50;
    const reader = startReader([store.path, store.stateFile.path]);
    const writers = Array.from({ length: PROCS }, (_, p) =>
      startWriter(["burst", stateDir, String(p), String(EACH)]),
    );
    const exits = await Promise.all(writers.map((w) => w.exited));
    const { parsed, failures } = await reader.stop();

    for (const [p, exit] of exits.entries()) {
      expect(exit, `writer ${p}:\n${writers[p]?.output()}`).toEqual({ code: 0, signal: null });
    }
    expect(failures).toEqual([]);
    expect(parsed).toBeGreaterThan(0);

    const { profiles, state } = await parseStore();
    const expected = Array.from({ length: PROCS }, (_, p) =>
      Array.from({ length: EACH }, (_, i) => `anthropic:p${p}-${i}`),
    ).flat();
    expect(Object.keys(profiles.profiles).sort()).toEqual([...expected].sort());
    for (const id of expected) {
      const credential = profiles.profiles[id];
      expect(credential?.type === "api_key" && credential.key, id).toBe(keyFor(id));
      expect(state.usage[id]?.failureCounts.rate_limit, id).toBe(1);
      expect(state.usage[id]?.cooldownUntil, id).toBeTypeOf("number");
    }
    // 400 read-modify-writes of one counter from 8 processes: none lost.
    expect(state.usage["anthropic:shared"]?.failureCounts.rate_limit).toBe(PROCS * EACH);

    const audit = await store.auditLog!.read();
    expect(audit.badLines).toEqual([]);
    expect(audit.entries.filter((e) => e.action === "profile.add")).toHaveLength(PROCS * EACH);
    const secrets = expected.map(keyFor);
    expectNoSecretIn(await readFile(join(stateDir, "audit.jsonl"), "utf8"), secrets);
    expectNoSecretIn(await readFile(store.stateFile.path, "utf8"), secrets);
    expectNoSecretIn(writers.map((w) => w.output()).join("\n"), secrets);
    // Nothing left over: no lock directories, no temp files.
    expect((await readdir(agentDir)).sort()).toEqual(["auth-profiles.json", "auth-state.json"]);
  });
});

describe("a writer SIGKILLed in a tight write loop", () => {
  it("leaves the old or the new state, and the next writer still gets the lock", async () => {
    const ROUNDS = 3;
    let lastAcked = -1; // highest n any writer reported as written
    const okCount = (lines: string[]) => lines.filter((l) => l.startsWith("ok ")).length;
    for (let round = 0; round < ROUNDS; round++) {
      const writer: WriterProcess = startWriter(["loop", stateDir]);
      // From round 2 on, the writer first waits out the lock its predecessor may have left.
      const target = 3 + Math.floor(Math.random() * 20);
      await writer.waitFor((lines) => okCount(lines) >= target, 40_000);
      await delay(Math.random() * 15);
      writer.child.kill("SIGKILL");
      await writer.exited;
      const acked = writer.lines.filter((l) => l.startsWith("ok ")).map((l) => Number(l.slice(3)));
      // Each writer continues the sequence where the file stood.
      expect(acked[0]).toBe(lastAcked + 1);
      lastAcked = acked.at(-1)!;

      // The file parses and holds a prefix of the sequence: everything acknowledged, plus at most the
      // one write that landed before its acknowledgement could be printed.
      const { profiles } = await parseStore();
      const ids = Object.keys(profiles.profiles);
      const written = ids.length;
      expect(written === lastAcked + 1 || written === lastAcked + 2, `${written} vs ${lastAcked}`).toBe(true);
      expect(ids.sort()).toEqual(Array.from({ length: written }, (_, n) => `anthropic:k${n}`).sort());
      lastAcked = written - 1;

      // A kill inside a locked update leaves its lock directory; test/files/file-lock.test.ts makes
      // sure of that case, here it happens in some rounds and the next writer must wait it out.
      const names = await readdir(agentDir);
      // Temp files a kill may leave are never mistaken for data: only the target is read.
      for (const name of names.filter((n) => n.endsWith(".tmp"))) expect(name.startsWith(".")).toBe(true);
    }

    // A plain writer afterwards takes whatever lock was left, writes, and sweeps the debris.
    const after = startWriter(["once", stateDir, "anthropic:after"]);
    const exit = await after.exited;
    expect(exit, after.output()).toEqual({ code: 0, signal: null });
    const { profiles, state } = await parseStore();
    expect(Object.keys(profiles.profiles)).toHaveLength(lastAcked + 2);
    expect(profiles.profiles["anthropic:after"]).toBeDefined();
    expect(state.lastGood.anthropic).toBe("anthropic:after");
    expect((await readdir(agentDir)).sort()).toEqual(["auth-profiles.json", "auth-state.json"]);
    const audit = await store.auditLog!.read();
    expect(audit.badLines).toEqual([]);
  });
});
