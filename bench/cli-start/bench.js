/**
 * How fast `tessera models status` starts, next to a bare `node -e 0` measured in the same run.
 *
 * The admin CLI is what a person runs over SSH and what monitoring runs as `--check`, so its start-up
 * should be close to Node's own. The two commands run interleaved (ABBA order, so drift in machine
 * load hits both alike), on a warm disk, against a state dir holding 50 profiles and a Claude Code
 * credential to sync. Wall time is taken around each spawn; peak RSS from `/usr/bin/time -f %M` in
 * separate runs, so that wrapper never counts in the timings. Targets (issue 3): median wall ratio
 * ≤ 1.5 and peak RSS ≤ 1.5× the bare node process.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** `BENCH_CLI=path/to/entry.js` measures another entry point (e.g. an experimental bundle). */
const cliPath = () => (process.env.BENCH_CLI ? resolve(process.env.BENCH_CLI) : join(ROOT, "bin", "tessera.js"));
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
          : { type: "oauth", provider, access: secret("sk-ant-oat01-"), refresh: secret("sk-ant-ort01-"), expires: now + i * 600_000 };
  }
  const write = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  write(join(agentDir, "auth-profiles.json"), { version: 1, profiles, order: { openai: ["openai:p1", "openai:p4"] } });
  write(join(agentDir, "auth-state.json"), {
    version: 1,
    usage: { "anthropic:p0": { lastUsed: now - 60_000, failureCounts: { rate_limit: 1 }, cooldownUntil: now + 120_000 } },
    lastGood: { anthropic: "anthropic:p3" },
  });
  write(join(state, "config.json"), {
    models: { default: "anthropic/claude-sonnet-4-5", aliases: { sonnet: "anthropic/claude-sonnet-4-5", gpt: "openai/gpt-5" } },
  });
  write(join(home, ".claude", ".credentials.json"), {
    claudeAiOauth: { accessToken: secret("sk-ant-oat01-"), refreshToken: secret("sk-ant-ort01-"), expiresAt: now + 8 * 3_600_000 },
  });
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TESSERA_STATE_DIR: state, NO_COLOR: "1" };
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
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Whether bin/tessera.js runs the rolldown bundle or tsc's one-file-per-module output. */
function entryKind() {
  const main = join(ROOT, "dist", "src", "cli", "main.js");
  if (!existsSync(main)) throw new Error("dist/src/cli/main.js is missing: run `npm run build` first");
  return readFileSync(main, "utf8").includes("node_modules/commander") ? "bundled (rolldown)" : "tsc output (unbundled)";
}

/**
 * Runs the benchmark and returns its Markdown section plus the raw numbers.
 * @param {{ runs?: number, rssRuns?: number, warmup?: number, log?: (line: string) => void }} [opts]
 */
export async function run(opts = {}) {
  const runs = opts.runs ?? 40;
  const rssRuns = opts.rssRuns ?? 10;
  const warmup = opts.warmup ?? 5;
  const log = opts.log ?? (() => {});
  const fixture = makeFixture();
  try {
    const commands = [
      { label: "`node -e 0`", args: ["-e", "0"] },
      { label: "`tessera models status`", args: [cliPath(), "models", "status"] },
    ];
    // Warm-up: disk cache, and the first status run syncs Claude Code (later runs find it unchanged).
    for (let i = 0; i < warmup; i++) for (const c of commands) timeOnce(c.args, fixture.env);
    const wall = commands.map(() => []);
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const k of order) wall[k].push(timeOnce(commands[k].args, fixture.env));
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${runs} timing runs`);
    }
    const rss = commands.map(() => []);
    const haveTime = existsSync(TIME);
    if (haveTime) {
      for (let i = 0; i < rssRuns; i++) for (const [k, c] of commands.entries()) rss[k].push(peakRssKb(c.args, fixture.env));
    }
    const rows = commands.map((c, k) => ({
      command: c.label,
      medianMs: median(wall[k]),
      p90Ms: pct(wall[k], 90),
      minMs: Math.min(...wall[k]),
      rssKb: haveTime ? median(rss[k]) : undefined,
    }));
    const wallRatio = rows[1].medianMs / rows[0].medianMs;
    const rssRatio = haveTime ? rows[1].rssKb / rows[0].rssKb : undefined;
    const verdict = (ratio) => (ratio === undefined ? "n/a" : ratio <= 1.5 ? "meets target" : "MISSES target");
    const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
    const fmtMb = (kb) => (kb === undefined ? "n/a" : `${(kb / 1024).toFixed(1)} MiB`);
    const markdown = [
      "## cli-start: `tessera models status` against `node -e 0`",
      "",
      `${PROFILES} profiles (api_key, token, oauth over anthropic/openai/openrouter), a Claude Code credential to sync,`,
      `warm disk; ${runs} interleaved timing runs and ${haveTime ? rssRuns : 0} peak-RSS runs (\`${TIME} -f %M\`) per command.`,
      `CLI entry: ${process.env.BENCH_CLI ? `\`${process.env.BENCH_CLI}\`` : entryKind()}.`,
      "",
      "| command | median wall | p90 wall | min wall | peak RSS (median) |",
      "|---|---:|---:|---:|---:|",
      ...rows.map((r) => `| ${r.command} | ${fmtMs(r.medianMs)} | ${fmtMs(r.p90Ms)} | ${fmtMs(r.minMs)} | ${fmtMb(r.rssKb)} |`),
      "",
      `- wall time ratio (median): **${wallRatio.toFixed(2)}×** (target ≤ 1.5: ${verdict(wallRatio)})`,
      `- peak RSS ratio: **${rssRatio === undefined ? "n/a" : `${rssRatio.toFixed(2)}×`}** (target ≤ 1.5: ${verdict(rssRatio)})`,
      "",
    ].join("\n");
    return { name, markdown, rows, wallRatio, rssRatio };
  } finally {
    rmSync(fixture.root, { recursive: true, force: true });
  }
}
