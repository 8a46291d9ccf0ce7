/**
 * Bundles the CLI after `tsc` so that `tessera models status` starts nearly as fast as `node -e 0`.
 *
 * Why: Node's ESM loader pays per file, and zod alone is ~60 small modules (~55 ms to import); the
 * same code as one file loads in a fraction of that. And Node 20 keeps no compiled code between runs
 * for ES modules, so the bundle is CommonJS: src/cli/code-cache.ts runs it through `vm.Script` with a
 * V8 code cache (Node ≥ 22.1: `module.enableCompileCache()`), which takes the compile out of every
 * start. What: rolldown bundles `src/cli/main.ts` into `dist/src/cli/bundle/main.cjs`, with
 *   - main.cjs: commander and the command declarations only — what `--help` and `--version` need;
 *   - zod in one chunk, and everything else `models status` loads (config, store, resolver, report,
 *     lowdb) in another, so the commonest admin command reads three files;
 *   - the other commands in their own chunks, loaded when they run;
 * and `src/cli/code-cache.ts` into `bundle/code-cache.cjs`, the loader `bin/tessera.js` requires.
 * Packages that are heavy or only needed by some commands (undici, proper-lockfile, @clack/prompts,
 * grammY, discord.js, …) stay external and are still imported lazily where the source says so.
 * `node:child_process` is replaced by functions that load it on their first call: commander and the
 * shell-env and Keychain readers import it at the top, but only call it for executable subcommands, a
 * shell import or macOS — loading it (with net, dgram, streams) cost every start ~3 ms.
 *
 * tsc's own `dist/src/cli/main.js` (one file per module) is left as it is: `bin/tessera.js` runs it
 * instead of the bundle when it is newer than the bundle, so a plain `tsc` build can never leave a
 * stale bundle in use. The bundle directory is emptied on every run.
 *
 * Usage: `node scripts/bundle-cli.js` (after `tsc -p tsconfig.json`). `BUNDLE_MINIFY=0` keeps the
 * output readable (for profiling).
 */
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where tsc put main.js; `BUNDLE_OUT` redirects it (benchmarks compare builds side by side). */
const OUT_DIR = process.env.BUNDLE_OUT ? resolve(process.env.BUNDLE_OUT) : join(ROOT, "dist", "src", "cli");
const CHUNK_DIR = "bundle";
/** Bundled into the output: what the `models status` path imports at start-up. */
const BUNDLED_PACKAGES = new Set(["zod", "commander", "lowdb", "steno"]);
const ENTRY = join(ROOT, "src", "cli", "main.ts");
const STATUS = join(ROOT, "src", "cli", "models-status.ts");
const CODE_CACHE = join(ROOT, "src", "cli", "code-cache.ts");

function packageOf(id) {
  const parts = id.split("/");
  return id.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Every module reachable from `from` through static imports. */
function staticClosure(from, getModuleInfo) {
  const seen = new Set();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop();
    if (seen.has(id)) continue;
    seen.add(id);
    for (const dep of getModuleInfo(id)?.importedIds ?? []) stack.push(dep);
  }
  return seen;
}

/**
 * `node:child_process` as functions that load it on their first call (see the header). The names
 * are the module's functions; `exec`/`execFile` keep their `util.promisify` form.
 */
const LAZY_CHILD_PROCESS = "\0lazy-child-process";
const lazyChildProcess = {
  name: "lazy-child-process",
  resolveId(id) {
    return id === "node:child_process" || id === "child_process" ? LAZY_CHILD_PROCESS : null;
  },
  load(id) {
    if (id !== LAZY_CHILD_PROCESS) return null;
    const names = ["exec", "execFile", "execFileSync", "execSync", "fork", "spawn", "spawnSync"];
    return [
      "let loaded;",
      'const real = () => (loaded ??= process.getBuiltinModule("node:child_process"));',
      'const custom = Symbol.for("nodejs.util.promisify.custom");',
      ...names.map((n) => `export function ${n}(...args) { return real().${n}(...args); }`),
      ...["exec", "execFile"].map(
        (n) => `Object.defineProperty(${n}, custom, { get: () => real().${n}[custom] });`,
      ),
      "export default { exec, execFile, execFileSync, execSync, fork, spawn, spawnSync };",
    ].join("\n");
  },
};

/**
 * `import("undici")` and the other packages left external become `__imp_("undici")`, and the chunk
 * gets `function __imp_(s)`, which calls the loader's `__tesseraImport` when src/cli/code-cache.ts
 * ran the chunk and `import(s)` otherwise. Why: in a `vm.Script`, `import()` needs Node's
 * `USE_MAIN_CONTEXT_DEFAULT_LOADER`, which prints an ExperimentalWarning on Node 20; the loader's own
 * `import()` (a file Node loaded) needs nothing. The rename keeps every position (same length), and
 * the function is appended, so the source map stays right.
 */
const IMPORT_HELPER = "__imp_";
const externalImports = {
  name: "external-imports",
  renderChunk(code) {
    const starts = [];
    const visit = (node) => {
      if (!node || typeof node !== "object") return;
      if (Array.isArray(node)) return node.forEach(visit);
      if (node.type === "ImportExpression") starts.push(node.start);
      for (const key in node) if (key !== "parent") visit(node[key]);
    };
    visit(this.parse(code));
    if (starts.length === 0) return null;
    let out = code;
    for (const at of starts) {
      if (out.slice(at, at + 6) !== "import")
        throw new Error(`no import() at ${at}: ${out.slice(at, at + 20)}`);
      out = out.slice(0, at) + IMPORT_HELPER + out.slice(at + 6);
    }
    const helper = `function ${IMPORT_HELPER}(s) { return typeof __tesseraImport === "function" ? __tesseraImport(s) : import(s); }`;
    // map: null says "positions unchanged", which holds: same-length rename, helper after the end.
    return { code: `${out}\n${helper}\n`, map: null };
  },
};

const started = performance.now();
rmSync(join(OUT_DIR, CHUNK_DIR), { recursive: true, force: true });
let statusPath;
const bundle = await rolldown({
  input: { main: ENTRY },
  platform: "node",
  cwd: ROOT,
  plugins: [lazyChildProcess, externalImports],
  // Required with includeDependenciesRecursively: false; main.cjs exports `main` either way.
  preserveEntrySignatures: "allow-extension",
  external: (id) => {
    if (id === LAZY_CHILD_PROCESS) return false;
    if (id.startsWith("node:") || id.startsWith(".") || id.startsWith("/") || id.startsWith("\0"))
      return false;
    return !BUNDLED_PACKAGES.has(packageOf(id));
  },
});
const { output } = await bundle.write({
  dir: join(OUT_DIR, CHUNK_DIR),
  format: "cjs",
  sourcemap: true,
  // Less source to read, compare and scan.
  minify: process.env.BUNDLE_MINIFY !== "0",
  // ASCII source decodes to one-byte strings, which V8 reads and copies faster than two-byte ones.
  charset: "ascii",
  entryFileNames: "[name].cjs",
  chunkFileNames: "[name]-[hash].cjs",
  codeSplitting: {
    groups: [
      {
        // zod alone, so that a command can configure it (jitless) before any schema is built.
        name: "zod",
        test: /node_modules[\\/]zod[\\/]/,
        priority: 2,
      },
      {
        debugName: "models-core",
        // Dependencies that main.cjs imports stay in main.cjs (they are not in the set).
        includeDependenciesRecursively: false,
        // The status path minus what main.cjs imports statically (which must stay in main.cjs, or
        // `--help` would load zod).
        name: (id, ctx) => {
          if (!statusPath) {
            const info = (m) => ctx.getModuleInfo(m);
            const mainStatic = staticClosure(ENTRY, info);
            statusPath = new Set([...staticClosure(STATUS, info)].filter((m) => !mainStatic.has(m)));
          }
          return statusPath.has(id) ? "models-core" : null;
        },
      },
    ],
  },
});
await bundle.close();
// The loader on its own: it must not share rolldown's runtime chunk with the files it loads. Written
// last: bin/tessera.js takes it for the sign of a complete bundle.
const loader = await rolldown({ input: { "code-cache": CODE_CACHE }, platform: "node", cwd: ROOT });
const { output: loaderOutput } = await loader.write({
  dir: join(OUT_DIR, CHUNK_DIR),
  format: "cjs",
  sourcemap: true,
  minify: process.env.BUNDLE_MINIFY !== "0",
  entryFileNames: "[name].cjs",
});
await loader.close();
const chunks = [...loaderOutput, ...output].filter((o) => o.type === "chunk");
// The loader gives each file `require`, `module`, `__filename` and `__dirname`, nothing of ESM.
const esmOnly = chunks.filter((c) => /\bimport\.meta\b/.test(c.code));
if (esmOnly.length) {
  rmSync(join(OUT_DIR, CHUNK_DIR), { recursive: true, force: true });
  throw new Error(`import.meta left in the CommonJS bundle: ${esmOnly.map((c) => c.fileName).join(", ")}`);
}
process.stderr.write(
  `bundled the CLI into ${chunks.length} files in ${(performance.now() - started).toFixed(0)} ms: ${chunks
    .map((c) => `${c.fileName} (${(c.code.length / 1024).toFixed(0)} KiB)`)
    .filter((_, i) => i < 4)
    .join(", ")}, …\n`,
);
