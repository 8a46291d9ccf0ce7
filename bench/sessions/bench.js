/**
 * What a message costs as sessions pile up (issue 11): the router in one process, on a state dir
 * that already holds 1, 1,000, 10,000 or 100,000 sessions, in the same run.
 *
 * For each session count, a child process (bench/sessions/child.js, so peak RSS is its own) composes
 * the router as `tessera chat` and the gateway do, with 100 stored profiles, and measures
 *   1. messages/s of `/model status` and `/model sonnet@anthropic:p1` alternating on the console
 *      session, one after the other (the issue's own measurement, there through `tessera chat`);
 *   2. plain messages one at a time, each from a random existing session (a Telegram DM), against a
 *      provider stand-in in this process that answers at once: time to the reply, time until the
 *      session's history write has landed as well, and the bare round trip of the same provider
 *      client to the same stand-in, interleaved — "added latency" is reply minus bare round trip;
 *   3. its peak RSS (VmHWM).
 * Rounds rotate the order of the session counts, so drift in machine load hits all alike; each
 * figure is the median over rounds.
 *
 * The sessions are written straight into the layout (`sessions/<hh>/<hash>.json`, via the compiled
 * `sessionFilePath`) without fsync — creating 100,000 through the router would take minutes and
 * measure the disk, not the message path. The sources are compiled into bench/.work/sessions/
 * (bench/sessions/tsconfig.json), not read from dist/, which others may be rebuilding mid-run.
 * Targets (issue 11): messages/s at 100,000 sessions within 80 % of the 1-session figure; plain
 * message p99 added latency ≤ 5 ms with 10,000 sessions.
 *
 * For experiments: `BENCH_COUNTS=1,10000` (session counts), `BENCH_MIX=100` (commands per child),
 * `BENCH_SESSIONS_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"` (profiles the children), `BENCH_KEEP=1`
 * (keeps the build in bench/.work/sessions).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSources } from "../shared/build-sources.js";
import { median, mib, ms, pct, verdict } from "../shared/statistics.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WORK_DIR = join(ROOT, "bench", ".work", "sessions");
const CHILD = join(ROOT, "bench", "sessions", "child.js");
const COUNTS = process.env.BENCH_COUNTS
  ? process.env.BENCH_COUNTS.split(",").map(Number)
  : [1, 1_000, 10_000, 100_000];
const PROFILES = 100;
const MIX_MESSAGES = Number(process.env.BENCH_MIX ?? 1_000);
const PLAIN_MESSAGES = 600;
const DEFAULT_ROUNDS = 5;

export const name = "sessions";

/** An Anthropic Messages stand-in that answers every request at once with "ok". */
async function startStandIn() {
  const body = JSON.stringify({
    id: "msg_bench",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 1, output_tokens: 1 },
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** A state dir with 100 profiles and `count` sessions already in the per-session layout. */
async function makeState(dist, root, count, standInUrl) {
  const state = join(root, `state-${count}`);
  const agentDir = join(state, "agents", "main", "agent");
  mkdirSync(agentDir, { recursive: true, mode: 0o700 });
  const write = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  const profiles = {};
  for (let i = 0; i < PROFILES; i++) {
    profiles[`anthropic:p${i}`] = {
      type: "api_key",
      provider: "anthropic",
      key: `sk-ant-api03-${randomBytes(60).toString("base64url")}`,
    };
  }
  write(join(agentDir, "auth-profiles.json"), { version: 1, profiles, order: {} });
  write(join(state, "bench-key.json"), profiles["anthropic:p0"].key);
  write(join(state, "config.json"), {
    models: {
      default: "anthropic/claude-sonnet-4-5",
      aliases: { sonnet: "anthropic/claude-sonnet-4-5", opus: "anthropic/claude-opus-4-5" },
      providers: { anthropic: { baseUrl: standInUrl } },
    },
    auth: { claudeCode: { sync: false } },
    channels: { telegram: { allowFrom: ["*"] } },
  });
  const { sessionFilePath } = await import(pathToFileURL(join(dist, "src", "config", "paths.js")).href);
  const now = Date.now();
  const meta = { setBy: "telegram:1", setAt: now, source: "user" };
  const made = new Set();
  for (let i = 0; i < count; i++) {
    const key = `agent:main:telegram:dm:${1_000_000 + i}`;
    const path = sessionFilePath(state, "main", key);
    const dir = dirname(path);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      made.add(dir);
    }
    const history = Array.from({ length: 6 }, (_, n) => ({
      role: n % 2 ? "assistant" : "user",
      content: n % 2 ? `An answer of a few words, number ${n}.` : `a question ${n} from session ${i}`,
      at: now - (6 - n) * 60_000,
    }));
    write(path, {
      version: 1,
      key,
      revision: 3,
      session: {
        createdAt: now - 86_400_000,
        updatedAt: now,
        ...(i % 3 ? { model: { ref: "anthropic/claude-opus-4-5", ...meta } } : {}),
        ...(i % 3 === 2 ? { profile: { id: `anthropic:p${i % PROFILES}`, ...meta } } : {}),
        history,
      },
    });
  }
  return state;
}

/** `BENCH_SESSIONS_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"` profiles the children. */
function childNodeArgs() {
  return (process.env.BENCH_SESSIONS_NODE_ARGS ?? "").split(" ").filter(Boolean);
}

function runChild(dist, state, count) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      [...childNodeArgs(), CHILD, dist, state, String(count), String(MIX_MESSAGES), String(PLAIN_MESSAGES)],
      { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, HOME: state, NO_COLOR: "1" } },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c) => {
      out += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c) => {
      err += c;
    });
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`child for ${count} sessions exited ${code}:\n${err}`));
      else resolveRun(JSON.parse(out.trim().split("\n").at(-1)));
    });
  });
}

const fmtCount = (n) => n.toLocaleString("en");

export async function run({ runs, log }) {
  const rounds = runs ?? DEFAULT_ROUNDS;
  const { dist } = buildSources({
    workDir: WORK_DIR,
    tsconfig: join(ROOT, "bench", "sessions", "tsconfig.json"),
    needed: ["src/runtime/compose.js", "src/sessions/session-store.js", "src/config/paths.js"],
    log,
  });
  const standIn = await startStandIn();
  const root = mkdtempSync(join(tmpdir(), "tessera-bench-sessions-"));
  try {
    const states = new Map();
    for (const count of COUNTS) {
      const started = Date.now();
      states.set(count, await makeState(dist, root, count, standIn.url));
      log(`  ${fmtCount(count)} sessions written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const results = new Map(COUNTS.map((c) => [c, []]));
    for (let round = 0; round < rounds; round++) {
      const order = COUNTS.map((_, i) => COUNTS[(i + round) % COUNTS.length]);
      for (const count of order) {
        const load = loadavg()[0];
        const result = { ...(await runChild(dist, states.get(count), count)), load };
        results.get(count).push(result);
        log(
          `  round ${round + 1}, ${fmtCount(count)} sessions: ${result.mixPerSecond.toFixed(0)} msg/s, plain p50/p99 ${ms(pct(result.reply, 50))} / ${ms(pct(result.reply, 99))}, RSS ${mib(result.peakRssKb)}`,
        );
      }
    }
    return { markdown: render(results, rounds) };
  } finally {
    await standIn.close();
    rmSync(root, { recursive: true, force: true });
    if (!process.env.BENCH_KEEP) rmSync(WORK_DIR, { recursive: true, force: true });
  }
}

/**
 * Where a plain message's time goes (found 2026-12-03 with `BENCH_SESSIONS_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=…"`, 10,000 sessions, 1,000 plain messages; re-check when the figures move). Kept
 * with the benchmark so the figures and their explanation travel together.
 */
const ANALYSIS = [
  "### Where the time goes",
  "",
  "- **Flat in the number of sessions**, as intended: a message reads its own session's file (one",
  "  stat, one small read and parse) and nothing else of the sessions; peak RSS does not grow with",
  "  them either. Before issue 11 the same commands ran at ≈ 340/s with 1 session and ≈ 4/s with",
  "  10,000 (the issue's figures: every message parsed, validated and rewrote all of sessions.json).",
  "- **The added p50 (~2–3 ms) is not the sessions'.** Profiled at 10,000 sessions, per plain message:",
  "  the resolver ~0.9 ms (a SHA-256 fingerprint of each of the 100 profiles' secrets, every message),",
  "  reading the credential store ~0.8 ms (the cached auth-profiles.json and auth-state.json are",
  "  structuredClone'd on every read), the provider client and undici ~0.35 ms, GC ~0.5 ms; the",
  "  session's read is a small part. Caching fingerprints and cloning less would lower every",
  "  message's cost; neither is in the sessions code.",
  "- **The p99 misses on this machine.** The bare loopback round trip to the stand-in (~1 ms at p50)",
  "  has a p99 of several ms in the same runs: the 2-core machine was shared with other test runs",
  "  (see the load average above), so tails are scheduling as much as Tessera. The history write",
  "  (lock, temp file, fsync, rename, directory fsync: *history landed*) is not in the reply time any",
  "  more: it follows the answer, and only the session's next message waits for it; its p99 is the",
  "  disk's fsync tail under that shared load. The usage bookkeeping (`auth-state.json`) is one write",
  "  a second for all messages instead of one locked fsync per message. On a quiet machine the reply's",
  "  p99 is what to compare with the target; here the per-round figures below show how far the load",
  "  moves it.",
];

function render(results, rounds) {
  const fig = new Map();
  for (const [count, rs] of results) {
    const over = (f) => median(rs.map(f));
    fig.set(count, {
      rate: over((r) => r.mixPerSecond),
      replyP50: over((r) => pct(r.reply, 50)),
      replyP99: over((r) => pct(r.reply, 99)),
      bareP50: over((r) => pct(r.bare, 50)),
      bareP99: over((r) => pct(r.bare, 99)),
      landedP50: over((r) => pct(r.landed, 50)),
      landedP99: over((r) => pct(r.landed, 99)),
      rss: over((r) => r.peakRssKb),
    });
  }
  const one = fig.get(1);
  const big = fig.get(100_000);
  const ten = fig.get(10_000);
  // Each round's count against the same round's single session, then the median: drift in the
  // machine's load between rounds cancels out.
  const ratioOf = (count) =>
    median(results.get(count).map((r, i) => r.mixPerSecond / results.get(1)[i].mixPerSecond));
  const rateRatio = ratioOf(100_000);
  const addedP99 = ten.replyP99 - ten.bareP99;
  const rows = COUNTS.map((count) => {
    const f = fig.get(count);
    return `| ${fmtCount(count)} | ${f.rate.toFixed(0)} | ${ratioOf(count).toFixed(2)}× | ${ms(f.replyP50)} / ${ms(f.replyP99)} | ${ms(f.bareP50)} / ${ms(f.bareP99)} | ${ms(f.replyP50 - f.bareP50)} / ${ms(f.replyP99 - f.bareP99)} | ${ms(f.landedP50)} / ${ms(f.landedP99)} | ${mib(f.rss)} |`;
  });
  return [
    "## sessions: what a message costs with 1 to 100,000 sessions on disk",
    "",
    `The router in one process (as \`tessera chat\` and the gateway compose it), 100 stored profiles, on a`,
    "state dir already holding N sessions, one file each (`sessions/<hh>/<hash>.json`, 6 history messages",
    "and a pin in most). Commands: `/model status` and `/model sonnet@anthropic:p1` alternating on one",
    `session, ${fmtCount(MIX_MESSAGES)} back to back. Plain messages: ${fmtCount(PLAIN_MESSAGES)} one at a time, each from a random existing`,
    "session, against a provider stand-in that answers at once; *added* is the reply time minus the bare",
    "round trip of the same provider client to the same stand-in (interleaved), per percentile; *history",
    "landed* is until the session's history write is on disk too (it is written after the answer goes out,",
    `and the session's next message waits for it). Median over ${rounds} rounds in rotating order; a child`,
    "process per count, so peak RSS (VmHWM) is that count's own. Sessions are written straight into the",
    "layout (no fsync); state dir on the default tmpdir (ext4 here).",
    "",
    "| sessions | commands/s | vs 1 session | plain reply p50 / p99 | bare round trip p50 / p99 | added p50 / p99 | history landed p50 / p99 | peak RSS |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Targets (issue 11): commands/s with 100,000 sessions within 80 % of the 1-session figure (median of the rounds' ratios) — ${(rateRatio * 100).toFixed(0)} %, ${verdict(rateRatio >= 0.8)};`,
    `added p99 of a plain message with 10,000 sessions ≤ 5 ms — ${ms(addedP99)}, ${verdict(addedP99 <= 5)}.`,
    `Peak RSS with 100,000 sessions: ${mib(big.rss)} (1 session: ${mib(one.rss)}).`,
    "",
    `Per round at 10,000 sessions, added p50 / p99 (1-minute load average at the start): ${results
      .get(10_000)
      .map(
        (r) =>
          `${ms(pct(r.reply, 50) - pct(r.bare, 50))} / ${ms(pct(r.reply, 99) - pct(r.bare, 99))} (${r.load.toFixed(1)})`,
      )
      .join(", ")}.`,
    "",
    ...ANALYSIS,
  ].join("\n");
}
