/**
 * How fast `tessera models status` starts, next to a bare `node -e 0` measured in the same run.
 *
 * The admin CLI is what a person runs over SSH and what monitoring runs as `--check`, so its start-up
 * should be close to Node's own. The commands (bare node, the CLI as tsc emits it, the CLI bundled by
 * scripts/bundle-cli.js) run interleaved in rotating order, so drift in machine load hits all alike,
 * on a warm disk, against a state dir holding 50 profiles and a Claude Code credential to sync. Wall time is taken around each spawn; peak RSS from `/usr/bin/time -f %M` in
 * separate runs, so that wrapper never counts in the timings. Targets (issue 3): median wall ratio
 * ≤ 1.5 and peak RSS ≤ 1.5× the bare node process.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the benchmark builds the CLIs it compares; removed after the run. */
const WORK_DIR = join(ROOT, "bench", ".work", "cli-start");
const TIME = "/usr/bin/time";
const PROFILES = 50;

export const name = "cli-start";

/** A state dir with 50 profiles over three providers and all three credential types, plus ~/.claude. */
function makeFixture() {
  const root = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  const home = join(root, "home");
  const state = join(root, "state");
  const agentDir = join(state, "agents", "main", "agent");
  mkdirSync(agentDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(home, ".claude"), { recursive: true, mode: 0o700 });
  const secret = (prefix) => `${prefix}${randomBytes(48).toString("base64url")}`;
  const now = Date.now();
  const profiles = {};
  const providers = ["anthropic", "openai", "openrouter"];
  for (let i = 0; i < PROFILES; i++) {
    const provider = providers[i % providers.length];
    const id = `${provider}:p${i}`;
    const kind = i % 3;
    profiles[id] =
      kind === 0
        ? { type: "api_key", provider, key: secret("sk-ant-api03-") }
        : kind === 1
          ? { type: "token", provider, token: secret("sk-ant-oat01-"), expires: now + (i - 10) * 3_600_000 }
          : {
              type: "oauth",
              provider,
              access: secret("sk-ant-oat01-"),
              refresh: secret("sk-ant-ort01-"),
              expires: now + i * 600_000,
            };
  }
  const write = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  write(join(agentDir, "auth-profiles.json"), {
    version: 1,
    profiles,
    order: { openai: ["openai:p1", "openai:p4"] },
  });
  write(join(agentDir, "auth-state.json"), {
    version: 1,
    usage: {
      "anthropic:p0": {
        lastUsed: now - 60_000,
        failureCounts: { rate_limit: 1 },
        cooldownUntil: now + 120_000,
      },
    },
    lastGood: { anthropic: "anthropic:p3" },
  });
  write(join(state, "config.json"), {
    models: {
      default: "anthropic/claude-sonnet-4-5",
      aliases: { sonnet: "anthropic/claude-sonnet-4-5", gpt: "openai/gpt-5" },
    },
  });
  write(join(home, ".claude", ".credentials.json"), {
    claudeAiOauth: {
      accessToken: secret("sk-ant-oat01-"),
      refreshToken: secret("sk-ant-ort01-"),
      expiresAt: now + 8 * 3_600_000,
    },
  });
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TESSERA_STATE_DIR: state,
    NO_COLOR: "1",
  };
  return { root, env };
}

function timeOnce(args, env) {
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) throw new Error(`node ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
  return ms;
}

function peakRssKb(args, env) {
  const res = spawnSync(TIME, ["-f", "%M", process.execPath, ...args], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const kb = Number(res.stderr.trim().split("\n").at(-1));
  if (res.status !== 0 || !Number.isFinite(kb)) throw new Error(`${TIME} failed: ${res.stderr}`);
  return kb;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Copies bin/ next to a dist/ so `<dir>/bin/tessera.js` runs that build. */
function withBin(dir) {
  mkdirSync(join(dir, "bin"), { recursive: true });
  cpSync(join(ROOT, "bin", "tessera.js"), join(dir, "bin", "tessera.js"));
  return join(dir, "bin", "tessera.js");
}

/**
 * Builds the two CLIs compared, from the current sources, under bench/.work/cli-start/ (dist/ is
 * shared with whoever rebuilds it, so it is not measured directly): tsc's one-file-per-module
 * output, and the same with scripts/bundle-cli.js applied. Without rolldown only the first exists.
 */
function buildVariants(log) {
  const work = WORK_DIR;
  rmSync(work, { recursive: true, force: true });
  const tscDir = join(work, "tsc");
  const tsc = spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      join(ROOT, "tsconfig.json"),
      "--outDir",
      join(tscDir, "dist"),
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  // Type errors elsewhere in the tree do not stop tsc from emitting; a missing main.js does.
  if (!existsSync(join(tscDir, "dist", "src", "cli", "main.js")))
    throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  const variants = [{ label: "`tessera models status` (tsc output)", cli: withBin(tscDir) }];
  const bundledDir = join(work, "bundled");
  cpSync(join(tscDir, "dist"), join(bundledDir, "dist"), { recursive: true });
  const bundle = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle-cli.js")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, BUNDLE_OUT: join(bundledDir, "dist", "src", "cli") },
  });
  if (bundle.status === 0)
    variants.push({ label: "`tessera models status` (bundled)", cli: withBin(bundledDir) });
  else log(`  scripts/bundle-cli.js failed, measuring the tsc output only:\n${bundle.stderr}`);
  return variants;
}

/**
 * What the profile says about the remaining gap (measured 2026-11-22 on Node 20.20; re-check when the
 * numbers move). Kept with the benchmark so the figures and their explanation travel together.
 */
const ANALYSIS = [
  "Where the time goes (CPU profile at 50 µs, bundled build, ~80 ms in all): compiling the three",
  "bundled files (~8 ms), Node's own internal modules (~6 ms), zod building its schemas and parsing",
  "the config, store and state files (~14 ms), garbage collection (~7 ms), commander and the command",
  "declarations (~6 ms), Node's bootstrap and ESM loader (the rest). Bundling removed ~80 ms of",
  "per-file ESM loading. An experiment with a V8 startup snapshot holding every module already",
  "evaluated gave the same ~72 ms minimum: execution, not loading, is what remains, so on Node 20",
  "the ≤ 1.5× target would need dropping zod validation or commander from this path, which the",
  "house rules forbid. For scale: the reference gateway takes over 2 s and ~290 MiB for this command.",
].join("\n");

/**
 * Runs the benchmark and returns its Markdown section plus the raw numbers. `BENCH_CLI=path` measures
 * that entry point instead of building the two variants.
 * @param {{ runs?: number, rssRuns?: number, warmup?: number, log?: (line: string) => void }} [opts]
 */
export async function run(opts = {}) {
  const runs = opts.runs ?? 40;
  const rssRuns = opts.rssRuns ?? 10;
  const warmup = opts.warmup ?? 5;
  const log = opts.log ?? (() => {});
  const variants = process.env.BENCH_CLI
    ? [{ label: `\`${process.env.BENCH_CLI} models status\``, cli: resolve(process.env.BENCH_CLI) }]
    : buildVariants(log);
  const fixture = makeFixture();
  try {
    const commands = [
      { label: "`node -e 0`", args: ["-e", "0"] },
      ...variants.map((v) => ({ label: v.label, args: [v.cli, "models", "status"] })),
    ];
    // Warm-up: disk cache, and the first status run syncs Claude Code (later runs find it unchanged).
    for (let i = 0; i < warmup; i++) for (const c of commands) timeOnce(c.args, fixture.env);
    const wall = commands.map(() => []);
    for (let i = 0; i < runs; i++) {
      // Rotate the starting command so that no command always runs right after another.
      for (let j = 0; j < commands.length; j++) {
        const k = (i + j) % commands.length;
        wall[k].push(timeOnce(commands[k].args, fixture.env));
      }
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${runs} timing runs`);
    }
    const rss = commands.map(() => []);
    const haveTime = existsSync(TIME);
    if (haveTime) {
      for (let i = 0; i < rssRuns; i++)
        for (const [k, c] of commands.entries()) rss[k].push(peakRssKb(c.args, fixture.env));
    }
    const rows = commands.map((c, k) => ({
      command: c.label,
      medianMs: median(wall[k]),
      p90Ms: pct(wall[k], 90),
      minMs: Math.min(...wall[k]),
      rssKb: haveTime ? median(rss[k]) : undefined,
    }));
    const base = rows[0];
    for (const r of rows) {
      r.wallRatio = r.medianMs / base.medianMs;
      r.rssRatio = haveTime ? r.rssKb / base.rssKb : undefined;
    }
    const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
    const fmtMb = (kb) => (kb === undefined ? "n/a" : `${(kb / 1024).toFixed(1)} MiB`);
    const fmtRatio = (x) => (x === undefined ? "n/a" : `${x.toFixed(2)}×`);
    const shipped = rows.at(-1);
    const verdict = (ratio) =>
      ratio === undefined ? "n/a" : ratio <= 1.5 ? "meets target" : "misses target";
    const markdown = [
      "## cli-start: `tessera models status` against `node -e 0`",
      "",
      `${PROFILES} profiles (api_key, token, oauth over anthropic/openai/openrouter) and a Claude Code credential to`,
      `sync; warm disk; ${runs} interleaved timing runs and ${haveTime ? rssRuns : 0} peak-RSS runs (\`${TIME} -f %M\`) per command.`,
      "Every command runs with the same minimal environment (PATH, HOME, TESSERA_STATE_DIR, NO_COLOR): a",
      "variable such as NODE_EXTRA_CA_CERTS adds tens of milliseconds to every Node start and would flatter the ratio.",
      "Both CLIs are built from the current sources by the benchmark itself (bench/.work/cli-start/).",
      "",
      "| command | median wall | p90 wall | min wall | peak RSS (median) | wall ratio | RSS ratio |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.command} | ${fmtMs(r.medianMs)} | ${fmtMs(r.p90Ms)} | ${fmtMs(r.minMs)} | ${fmtMb(r.rssKb)} | ${fmtRatio(r.wallRatio)} | ${fmtRatio(r.rssRatio)} |`,
      ),
      "",
      `Target (issue 3), for ${shipped.command}: wall ratio ≤ 1.5 — ${fmtRatio(shipped.wallRatio)}, ${verdict(shipped.wallRatio)};`,
      `peak RSS ≤ 1.5× — ${fmtRatio(shipped.rssRatio)}, ${verdict(shipped.rssRatio)}.`,
      "",
      ANALYSIS,
      "",
    ].join("\n");
    return { name, markdown, rows };
  } finally {
    rmSync(fixture.root, { recursive: true, force: true });
    if (!process.env.BENCH_CLI) rmSync(WORK_DIR, { recursive: true, force: true });
  }
}
