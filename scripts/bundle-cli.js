/**
 * Bundles the CLI after `tsc` so that `tessera models status` starts nearly as fast as `node -e 0`.
 *
 * Why: Node's ESM loader pays per file, and zod alone is ~60 small modules (~55 ms to import); the
 * same code as one file loads in a fraction of that. What: rolldown bundles `src/cli/main.ts` over
 * tsc's `dist/src/cli/main.js` (the file `bin/tessera.js` imports), with
 *   - main.js: commander and the command declarations only — what `--help` and `--version` need;
 *   - zod in one chunk, and everything else `models status` loads (config, store, resolver, report,
 *     lowdb) in another, so the commonest admin command reads three files;
 *   - the other commands in their own chunks, loaded when they run.
 * Packages that are heavy or only needed by some commands (undici, proper-lockfile, @clack/prompts,
 * grammY, discord.js, …) stay external and are still imported lazily where the source says so.
 *
 * Overwriting tsc's main.js (rather than writing a second entry) means a plain `tsc` build can never
 * leave a stale bundle in use: tsc rewrites main.js, and this script bundles it again from the
 * sources. Chunks live in dist/src/cli/bundle/, emptied on every run.
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

const started = performance.now();
rmSync(join(OUT_DIR, CHUNK_DIR), { recursive: true, force: true });
let statusPath;
const bundle = await rolldown({
  input: { main: ENTRY },
  platform: "node",
  cwd: ROOT,
  // Required with includeDependenciesRecursively: false; main.js exports `main` either way.
  preserveEntrySignatures: "allow-extension",
  external: (id) => {
    if (id.startsWith("node:") || id.startsWith(".") || id.startsWith("/") || id.startsWith("\0"))
      return false;
    return !BUNDLED_PACKAGES.has(packageOf(id));
  },
});
const { output } = await bundle.write({
  dir: OUT_DIR,
  format: "esm",
  sourcemap: true,
  // Less source to scan: V8 parses every byte of an ES module before running it.
  minify: process.env.BUNDLE_MINIFY !== "0",
  entryFileNames: "[name].js",
  chunkFileNames: `${CHUNK_DIR}/[name]-[hash].js`,
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
        // Dependencies that main.js imports stay in main.js (they are not in the set).
        includeDependenciesRecursively: false,
        // The status path minus what main.js imports statically (which must stay in main.js, or
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
const chunks = output.filter((o) => o.type === "chunk");
process.stderr.write(
  `bundled the CLI into ${chunks.length} files in ${(performance.now() - started).toFixed(0)} ms: ${chunks
    .map((c) => `${c.fileName} (${(c.code.length / 1024).toFixed(0)} KiB)`)
    .filter((_, i) => i < 4)
    .join(", ")}, …\n`,
);
