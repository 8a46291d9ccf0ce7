/**
 * Sessions under real concurrency: separate node processes (test/fixtures/session-chatter.mjs, over
 * the built dist/) talk to the same agent at once through the router and the agent turn, or are
 * SIGKILLed in the middle of a burst of session writes. What must hold (issue 11): no update is lost
 * (each session file's `revision` counts every write that landed), history stays in order per
 * session, every file parses after a kill, and a lock left by a killed writer holds the next
 * message up for no longer than the lock's stale time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthStore } from "../../src/auth/auth-store.js";
import { sessionFileHash, sessionFilePath, sessionsDir } from "../../src/config/paths.js";
import { listSessionFiles } from "../../src/sessions/session-files.js";
import { type SessionFile, SessionFileSchema } from "../../src/sessions/session-schema.js";
import { HISTORY_MAX_MESSAGES, SessionStore } from "../../src/sessions/session-store.js";
import { type AnthropicFake, startAnthropicFake } from "../fakes/anthropic-messages-server.js";
import { lastUserText } from "../fakes/chat-fake.js";
import { fakeSecret } from "../support/secrets.js";

const CHATTER = fileURLToPath(new URL("../fixtures/session-chatter.mjs", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/src/sessions/session-store.js", import.meta.url));
/** file-lock.ts: a lock whose holder stopped refreshing it this long ago is taken over… */
const LOCK_STALE_MS = 5_000;
/** …and proper-lockfile may date a fresh lock up to a second ahead. */
const LOCK_DATED_AHEAD_MS = 1_000;

const PROCS = 8;
const EACH = 50;

interface Child {
  child: ChildProcess;
  lines: string[];
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(ready: (lines: string[]) => boolean, guardMs: number): Promise<void>;
}

const running = new Set<ChildProcess>();

function start(args: string[]): Child {
  const child = spawn(process.execPath, [CHATTER, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TESSERA_PROVIDER_RETRIES: "0" },
  });
  running.add(child);
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      closed = true;
      running.delete(child);
      resolve({ code, signal });
      for (const listener of listeners) listener();
    }),
  );
  const output = () => `${lines.join("\n")}\n${partial}\n${stderr}`;
  const waitFor = (ready: (lines: string[]) => boolean, guardMs: number) =>
    new Promise<void>((resolve, reject) => {
      const guard = setTimeout(
        () => done(new Error(`no progress within ${guardMs} ms:\n${output()}`)),
        guardMs,
      );
      const check = () => {
        if (ready(lines)) done();
        else if (closed) done(new Error(`exited early:\n${output()}`));
      };
      const done = (err?: Error) => {
        clearTimeout(guard);
        listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      listeners.add(check);
      check();
    });
  return { child, lines, output, exited, waitFor };
}

async function readSessionFile(path: string): Promise<SessionFile> {
  return SessionFileSchema.parse(JSON.parse(await readFile(path, "utf8")));
}

let anthropic: AnthropicFake;
let stateDir: string;

beforeAll(async () => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` before these tests`);
  anthropic = await startAnthropicFake({ replyText: (req) => `echo: ${lastUserText(req.body)}` });
});
afterAll(() => anthropic.close());
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-session-procs-"));
  await writeFile(
    join(stateDir, "config.json"),
    JSON.stringify({
      models: { providers: { anthropic: { baseUrl: anthropic.url } } },
      auth: { claudeCode: { sync: false } },
      channels: { telegram: { allowFrom: Array.from({ length: PROCS }, (_, p) => String(1000 + p)) } },
    }),
    { mode: 0o600 },
  );
  await new AuthStore(stateDir, "main").upsertProfile(
    "anthropic:a",
    { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
    { actor: "test", surface: "test" },
  );
  anthropic.requests.length = 0;
});
afterEach(async () => {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("close", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
  await rm(stateDir, { recursive: true, force: true });
});

/** Runs PROCS chatters to the end and checks each answered all its messages with the echo. */
async function chatAll(target: "own" | "shared"): Promise<void> {
  const children = Array.from({ length: PROCS }, (_, p) =>
    start(["chat", stateDir, String(p), String(EACH), target]),
  );
  const exits = await Promise.all(children.map((c) => c.exited));
  for (const [p, exit] of exits.entries()) {
    expect(exit, `chatter ${p}:\n${children[p]!.output()}`).toEqual({ code: 0, signal: null });
    const done = children[p]!.lines.find((l) => l.startsWith("done "));
    expect(JSON.parse(done!.slice(5)), `chatter ${p}`).toEqual({ ok: EACH, bad: [] });
  }
  expect(anthropic.requests).toHaveLength(PROCS * EACH);
}

describe(`${PROCS} processes × ${EACH} messages through the router`, () => {
  it("on sessions of their own: every write lands, history in order", async () => {
    await chatAll("own");
    for (let p = 0; p < PROCS; p++) {
      const file = await readSessionFile(
        sessionFilePath(stateDir, "main", `agent:main:telegram:dm:${1000 + p}`),
      );
      // One history write per message, none lost.
      expect(file.revision, `session of process ${p}`).toBe(EACH);
      const sent = Array.from({ length: EACH }, (_, i) => [`p${p}-m${i}`, `echo: p${p}-m${i}`]).flat();
      expect(file.session?.history.map((m) => m.content)).toEqual(sent.slice(-HISTORY_MAX_MESSAGES));
    }
    // Each model call carried its session's history up to the previous answer: in order, no gaps.
    for (const request of anthropic.requests) {
      const messages = request.body?.messages as { role: string; content: string }[];
      const last = messages.at(-1)!.content;
      const [p, i] = /^p(\d+)-m(\d+)$/.exec(last)!.slice(1).map(Number) as [number, number];
      const before = Array.from({ length: i }, (_, n) => [`p${p}-m${n}`, `echo: p${p}-m${n}`]).flat();
      expect(messages.slice(0, -1).map((m) => m.content)).toEqual(before.slice(-HISTORY_MAX_MESSAGES));
    }
  });

  it("on one shared session: every write lands, each process's messages in order, answers beside their questions", async () => {
    await chatAll("shared");
    const file = await readSessionFile(sessionFilePath(stateDir, "main", "agent:main:console:local"));
    expect(file.revision).toBe(PROCS * EACH);
    const history = file.session!.history;
    expect(history).toHaveLength(HISTORY_MAX_MESSAGES);
    const lastSeen = new Map<number, number>();
    for (let n = 0; n < history.length; n += 2) {
      const question = history[n]!;
      expect(question.role).toBe("user");
      expect(history[n + 1]).toMatchObject({ role: "assistant", content: `echo: ${question.content}` });
      const [p, i] = /^p(\d+)-m(\d+)$/.exec(question.content)!.slice(1).map(Number) as [number, number];
      expect(i, `process ${p}'s messages in order`).toBeGreaterThan(lastSeen.get(p) ?? -1);
      lastSeen.set(p, i);
    }
  });
});

describe("a burst of session writes SIGKILLed", () => {
  it("leaves every session file parsing, and the next write waits at most the lock's stale time", async () => {
    const SESSIONS = 6;
    const keys = Array.from({ length: SESSIONS }, (_, i) => `agent:main:telegram:dm:${2000 + i}`);
    for (let round = 0; round < 2; round++) {
      const burst = start(["burst", stateDir, String(SESSIONS)]);
      const rounds = 2 + Math.floor(Math.random() * 8);
      await burst.waitFor((lines) => lines.filter((l) => l.startsWith("ok ")).length >= rounds, 40_000);
      await delay(Math.random() * 15);
      burst.child.kill("SIGKILL");
      await burst.exited;

      const files = await listSessionFiles(sessionsDir(stateDir, "main"));
      expect(files).toHaveLength(SESSIONS);
      for (const path of files) {
        const file = await readSessionFile(path);
        expect(sessionFileHash(file.key)).toBe(basename(path, ".json"));
        expect(file.session?.history.length).toBeGreaterThan(0);
      }

      // The next message of every session, from a fresh process's point of view.
      const store = new SessionStore(stateDir, "main");
      const waits = await Promise.all(
        keys.map(async (key) => {
          const started = Date.now();
          await store.appendHistory(key, [{ role: "user", content: `after kill ${round}` }]);
          return Date.now() - started;
        }),
      );
      expect(Math.max(...waits)).toBeLessThan(LOCK_STALE_MS + LOCK_DATED_AHEAD_MS + 1_000);
      for (const key of keys) expect((await store.history(key)).at(-1)?.content).toBe(`after kill ${round}`);
      // Whatever the kill left (a lock directory, a temp file) is gone once each session wrote again.
      for (const shard of new Set(files.map((f) => join(f, "..")))) {
        const debris = (await readdir(shard)).filter((name) => !/^[0-9a-f]{32}\.json$/.test(name));
        expect(debris, shard).toEqual([]);
      }
    }
  });
});
