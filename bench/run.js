/**
 * `npm run bench`: runs every benchmark under bench/<name>/bench.js and writes their results into
 * BENCHMARKS.md (replacing the file). Benchmarks are not tests: they measure, they do not fail the
 * build. `node bench/run.js cli-start` runs only the named ones; `--runs N` changes the run count.
 */

import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, "..");

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : undefined;
const only = args.filter((a, i) => !a.startsWith("--") && (runsAt < 0 || i !== runsAt + 1));

const names = readdirSync(BENCH_DIR, { withFileTypes: true })
  .filter(
    (d) => d.isDirectory() && !d.name.startsWith(".") && existsSync(join(BENCH_DIR, d.name, "bench.js")),
  )
  .map((d) => d.name)
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

const sections = [];
for (const name of names) {
  process.stderr.write(`bench ${name} …\n`);
  const mod = await import(pathToFileURL(join(BENCH_DIR, name, "bench.js")).href);
  const result = await mod.run({ runs, log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`${result.markdown}\n`);
  sections.push(result.markdown);
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}`;
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" ");
const doc = [
  "# Benchmarks",
  "",
  "Written by `npm run bench` (`node bench/run.js`); re-run it rather than editing this file.",
  "Numbers depend on the machine and on what else runs on it; the ratios against a bare `node` in",
  "the same run are what to compare.",
  "",
  `Last run: ${new Date().toISOString()} · Node ${process.version} · ${process.platform}/${process.arch} · ${machine} · load average ${load}`,
  "",
  ...sections,
].join("\n");
writeFileSync(join(ROOT, "BENCHMARKS.md"), doc);
process.stderr.write(`wrote ${join(ROOT, "BENCHMARKS.md")}\n`);
