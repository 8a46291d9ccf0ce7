/**
 * Where a short-lived process spends its CPU: runs it under `--cpu-prof` a number of times and adds
 * up each sample's self time by what the code is — Node's own modules, garbage collection, native
 * work, zod, commander, the code-cache loader, Tessera's sources. Samples in the bundled CLI are
 * mapped back to their source file through the bundle's source maps (minified code names nothing).
 * Profiling slows a process down (~1.5×): the shares are what to read, not the milliseconds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A source map's `mappings` as, per generated line, sorted `[column, sourceIndex]` pairs. */
function decodeMappings(mappings) {
  const lines = [];
  let source = 0;
  for (const line of mappings.split(";")) {
    const segments = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0];
      if (fields.length > 1) {
        source += fields[1];
        segments.push([column, source]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

/** `(file, line, column) → source path` for bundle files with a `.map` beside them. */
function sourceLocator(wrapperHeadLength) {
  const maps = new Map();
  const locate = (file, line, column) => {
    if (!maps.has(file)) {
      const mapPath = `${file}.map`;
      const map = existsSync(mapPath) ? JSON.parse(readFileSync(mapPath, "utf8")) : undefined;
      maps.set(file, map && { sources: map.sources, lines: decodeMappings(map.mappings) });
    }
    const map = maps.get(file);
    if (!map) return undefined;
    // The loader compiles each file (but itself, which Node loads) in a wrapper that opens on its
    // first line.
    const col = line === 0 && basename(file) !== "code-cache.cjs" ? column - wrapperHeadLength : column;
    const segments = map.lines[line] ?? [];
    let found;
    for (const [c, s] of segments) {
      if (c > col) break;
      found = s;
    }
    return found === undefined ? undefined : map.sources[found];
  };
  locate.wrapperHeadLength = wrapperHeadLength;
  return locate;
}

/** Node's own code, by what it does. */
function nodeCategory(url) {
  const path = url.slice("node:".length);
  if (path.startsWith("internal/bootstrap/realm")) return "Node: loading its own modules on first use";
  if (/^internal\/(modules|main|process|bootstrap)\b/.test(path)) return "Node: start-up and module loader";
  if (/crypto/.test(path)) return "Node: node:crypto";
  if (/^(fs|internal\/fs)\b/.test(path)) return "Node: node:fs";
  if (/stream/.test(path)) return "Node: streams (stdout)";
  return "Node: other modules";
}

/** What a sample's code is, for the breakdown. */
function categoryOf(frame, locate) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "garbage collection";
    if (functionName === "(program)") return "native (V8 and Node outside JavaScript)";
    if (functionName === "(idle)") return "idle (waiting for the disk)";
    return "Node's file-system and other bindings";
  }
  if (url === "node:vm" && functionName === "Script") return "V8 reading the code cache (vm.Script)";
  if (url.startsWith("node:")) return nodeCategory(url);
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  // The loader's wrapper function, which holds each bundle file's top-level code.
  if (
    frame.lineNumber === 0 &&
    frame.columnNumber < locate.wrapperHeadLength &&
    basename(file) !== "code-cache.cjs"
  )
    return "bundle files' top-level code (zod schemas built at load, module constants)";
  const source = locate(file, frame.lineNumber, frame.columnNumber) ?? "";
  if (/node_modules[\\/]zod[\\/]/.test(source)) return "zod (building schemas, parsing files)";
  if (/node_modules[\\/]commander[\\/]/.test(source)) return "commander";
  if (/node_modules[\\/](lowdb|steno)[\\/]/.test(source)) return "lowdb";
  if (source.endsWith("src/cli/code-cache.ts")) return "code-cache loader";
  const own = /(?:^|[\\/])((?:src|commands|adapters)[\\/].*)$/.exec(source);
  if (own) return `Tessera: ${own[1].replace(/\\/g, "/")}`;
  if (source.includes("rolldown")) return "bundle runtime helpers";
  if (file.endsWith("bin/tessera.js")) return "bin/tessera.js";
  // Rolldown's own helpers (module interop) carry no mapping.
  return file.includes(`${sep}bundle${sep}`) ? "bundle runtime helpers" : "other";
}

/**
 * Runs `node <args>` `runs` times under `--cpu-prof` (after one unmeasured run, so that a code cache
 * keyed by the flags is warm) and returns the mean self time per category in ms, sorted, with the
 * mean profiled total. `wrapperHead` is the code-cache loader's wrapper (src/cli/code-cache.ts).
 * @param {{ args: string[], env: Record<string, string>, runs: number, wrapperHead?: string }} opts
 */
export function profileBreakdown({ args, env, runs, wrapperHead = "" }) {
  const dir = mkdtempSync(join(tmpdir(), "tessera-profile-"));
  try {
    // The same flags for every run (the code cache is keyed by them, --cpu-prof-dir included), and
    // the warm-up's profile dropped.
    const out = join(dir, "runs");
    const run = () => {
      const res = spawnSync(
        process.execPath,
        ["--cpu-prof", "--cpu-prof-interval", "50", "--cpu-prof-dir", out, ...args],
        { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" },
      );
      if (res.status !== 0) throw new Error(`node ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
    };
    run();
    rmSync(out, { recursive: true, force: true });
    for (let i = 0; i < runs; i++) run();
    const locate = sourceLocator(wrapperHead.length);
    const totals = new Map();
    let all = 0;
    const files = readdirSync(join(dir, "runs"));
    for (const name of files) {
      const profile = JSON.parse(readFileSync(join(dir, "runs", name), "utf8"));
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const selfUs = new Map();
      for (const [i, id] of profile.samples.entries())
        selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
      for (const [id, us] of selfUs) {
        const category = categoryOf(byId.get(id).callFrame, locate);
        totals.set(category, (totals.get(category) ?? 0) + us);
        all += us;
      }
    }
    const perRun = (us) => us / files.length / 1000;
    return {
      totalMs: perRun(all),
      categories: [...totals].map(([name, us]) => ({ name, ms: perRun(us) })).sort((a, b) => b.ms - a.ms),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
