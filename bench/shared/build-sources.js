/**
 * Builds the current sources the way `npm run build` ships them, into a benchmark's own directory:
 * the project's `tsc` with the benchmark's tsconfig (the sources plus the test stand-ins it drives),
 * then scripts/bundle-cli.js over that output. Benchmarks measure this build rather than dist/,
 * which others may be rebuilding mid-run, and need no loader or extra dependency for the
 * TypeScript stand-ins.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Compiles with `tsconfig` (whose outDir must be `<workDir>/dist`) into a fresh `workDir`, bundles
 * the CLI there and copies bin/ (tessera.js and its package.json) beside it. `needed` lists emitted files (relative to
 * dist) the benchmark imports: type errors elsewhere in the tree (others edit it concurrently) do
 * not stop tsc from emitting, so only their absence fails the build.
 * @param {{ workDir: string, tsconfig: string, needed: string[], log: (line: string) => void }} opts
 * @returns {{ dist: string, cli: string, variant: string }} the CLI entry and how it was built
 */
export function buildSources({ workDir, tsconfig, needed, log }) {
  rmSync(workDir, { recursive: true, force: true });
  const dist = join(workDir, "dist");
  const tsc = () =>
    spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig], {
      cwd: ROOT,
      encoding: "utf8",
    });
  let res = tsc();
  const missing = () => needed.filter((f) => !existsSync(join(dist, f)));
  if (missing().length)
    throw new Error(`tsc did not emit ${missing().join(", ")}:\n${res.stdout}${res.stderr}`);
  let variant = "bundled, as `npm run build` ships it";
  const bundle = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle-cli.js")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, BUNDLE_OUT: join(dist, "src", "cli") },
  });
  if (bundle.status !== 0) {
    log(`  scripts/bundle-cli.js failed, measuring tsc's output:\n${bundle.stderr}`);
    variant = "tsc output (the bundler failed)";
    res = tsc();
    if (missing().length) throw new Error(`tsc failed:\n${res.stdout}${res.stderr}`);
  }
  // All of bin/: its package.json makes tessera.js CommonJS.
  cpSync(join(ROOT, "bin"), join(workDir, "bin"), { recursive: true });
  return { dist, cli: join(workDir, "bin", "tessera.js"), variant };
}
