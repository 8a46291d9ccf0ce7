/**
 * `npm run bench`: runs every benchmark under bench/<name>/bench.js and writes their results into
 * BENCHMARKS.md. Benchmarks are not tests: they measure, they do not fail the build.
 * `node bench/run.js telegram` (or `npm run bench -- telegram`) runs only the named ones and
 * replaces only their sections, keeping the others as they were measured; `--runs N` changes the
 * run count (cli-start: timing runs; telegram, discord, sessions: rounds).
 *
 * Each section is stamped with when and where it was measured, so sections from different runs can
 * share the file honestly. A section is `## <name>: …` up to the next `## `.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, "..");
const OUT = join(ROOT, "BENCHMARKS.md");

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : undefined;
const only = args.filter((a, i) => !a.startsWith("--") && (runsAt < 0 || i !== runsAt + 1));

const all = readdirSync(BENCH_DIR, { withFileTypes: true })
  .filter(
    (d) => d.isDirectory() && !d.name.startsWith(".") && existsSync(join(BENCH_DIR, d.name, "bench.js")),
  )
  .map((d) => d.name)
  .sort();
const unknown = only.filter((n) => !all.includes(n));
if (unknown.length) {
  process.stderr.write(`no benchmark named ${unknown.join(", ")} (there are: ${all.join(", ")})\n`);
  process.exit(2);
}
const names = all.filter((n) => only.length === 0 || only.includes(n));

/**
 * The commit measured, and whether the sources differed from it: others edit the tree while
 * benchmarks run, so a figure is only comparable with the sources it was measured on.
 */
function sources() {
  const git = (...a) => spawnSync("git", a, { cwd: ROOT, encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return "sources: not a git checkout";
  const changed = git("status", "--porcelain", "--", "src", "commands", "adapters", "bin", "scripts");
  return `sources ${head.stdout.trim()}${changed.stdout.trim() ? " + uncommitted changes" : ""}`;
}

/** `Measured: …` line for a section run now. */
function stamp() {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}`;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `Measured: ${new Date().toISOString()} · ${sources()} · Node ${process.version} · ${process.platform}/${process.arch} · ${machine} · load average ${load}`;
}

/**
 * The sections of the current BENCHMARKS.md by benchmark name. A section written before sections
 * carried their own stamp gets the file's old `Last run:` line as its stamp.
 */
function previousSections() {
  const sections = new Map();
  if (!existsSync(OUT)) return sections;
  const text = readFileSync(OUT, "utf8");
  const lastRun = /^Last run: (.*)$/m.exec(text)?.[1];
  for (const part of text.split(/^(?=## )/m).slice(1)) {
    const name = /^## ([\w-]+):/.exec(part)?.[1];
    if (!name) continue;
    let section = part.trimEnd();
    if (!/^Measured: /m.test(section) && lastRun) {
      const [heading, ...rest] = section.split("\n");
      section = [heading, "", `Measured: ${lastRun}`, ...rest].join("\n");
    }
    sections.set(name, section);
  }
  return sections;
}

const measuredNow = new Map();
for (const name of names) {
  process.stderr.write(`bench ${name} …\n`);
  const mod = await import(pathToFileURL(join(BENCH_DIR, name, "bench.js")).href);
  // Stamped at the start: the load average then is the machine's, not the benchmark's own.
  const measured = stamp();
  const result = await mod.run({ runs, log: (line) => process.stderr.write(`${line}\n`) });
  const [heading, ...rest] = result.markdown.trimEnd().split("\n");
  const section = [heading, "", measured, ...rest].join("\n");
  process.stderr.write(`${section}\n`);
  measuredNow.set(name, section);
}

// Read only now: a benchmark takes minutes, and another run may have written its section meanwhile.
const sections = previousSections();
for (const [name, section] of measuredNow) sections.set(name, section);

const ordered = [...sections.keys()].sort((a, b) => {
  const ia = all.indexOf(a);
  const ib = all.indexOf(b);
  return (ia < 0 ? all.length : ia) - (ib < 0 ? all.length : ib) || a.localeCompare(b);
});
const doc = [
  "# Benchmarks",
  "",
  "Written by `npm run bench` (`node bench/run.js`; `npm run bench -- <name>` re-runs one section); re-run",
  "it rather than editing this file. Numbers depend on the machine and on what else runs on it; the",
  "ratios against the baseline measured in the same run (a bare `node`, a bare grammY bot, a bare discord.js client) are what to",
  "compare. Each section says when and where it was measured.",
  "",
  ...ordered.flatMap((name) => [sections.get(name), ""]),
].join("\n");
writeFileSync(OUT, doc);
process.stderr.write(`wrote ${OUT}\n`);
