/**
 * The V8 code cache of the bundled CLI (src/cli/code-cache.ts, run by bin/tessera.js): a changed
 * bundle never runs with a stale cache, and a cache that cannot be written or read only costs speed —
 * same output, exit 0, nothing on stderr. Real child processes on a copy of the built CLI (bin/ and
 * dist/src/cli/bundle/, which tests may change) in a temp dir, with real cache dirs. Build first:
 * `npm run build`.
 */
import { spawn } from "node:child_process";
import {
  chmod,
  chown,
  cp,
  mkdir,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheFileName, loadCli, readCacheFile } from "../../src/cli/code-cache.js";
import { type CliResult, createSandbox, inHours, REPO_ROOT, type Sandbox } from "./models-harness.js";

let sb: Sandbox;
/** The copy of the built CLI: `<root>/bin/tessera.js` over `<root>/dist/src/cli/bundle/`. */
let root: string;
let bundleDir: string;
/** `$XDG_CACHE_HOME` of the runs; the cache itself is `<cacheHome>/tessera/v8/<runtime>/`. */
let cacheHome: string;

beforeEach(async () => {
  sb = await createSandbox();
  root = join(sb.root, "install");
  bundleDir = join(root, "dist", "src", "cli", "bundle");
  cacheHome = join(sb.root, "cache");
  await cp(join(REPO_ROOT, "bin"), join(root, "bin"), { recursive: true });
  await cp(join(REPO_ROOT, "dist", "src", "cli", "bundle"), bundleDir, { recursive: true });
  await cp(join(REPO_ROOT, "package.json"), join(root, "package.json"));
  await symlink(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  await sb.writeConfig({ models: { default: "anthropic/claude-sonnet-4-5" } });
  await sb.writeProfiles({
    "anthropic:work": { type: "api_key", provider: "anthropic", key: "sk-ant-api03-abcdefghijklmnop" },
    "anthropic:tok": {
      type: "token",
      provider: "anthropic",
      token: "sk-ant-oat01-qrstuvwx",
      expires: inHours(5),
    },
    "openai:main": { type: "api_key", provider: "openai", key: "sk-proj-0123456789abcdef" },
  });
});
afterEach(() => sb.cleanup());

/** Runs the copy's `bin/tessera.js` with the sandbox's environment plus `env`. */
function run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, "bin", "tessera.js"), ...args], {
      env: { ...sb.env, XDG_CACHE_HOME: cacheHome, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The directory holding this Node's cache files (one per runtime key); undefined before any write. */
async function cacheDir(home = cacheHome): Promise<string | undefined> {
  const v8 = join(home, "tessera", "v8");
  const dirs = await readdir(v8).catch(() => []);
  expect(dirs.length).toBeLessThanOrEqual(1);
  return dirs[0] === undefined ? undefined : join(v8, dirs[0]);
}

/** Cache file name → inode, for telling a file rewritten from one left alone. */
async function cacheFiles(): Promise<Map<string, number>> {
  const dir = await cacheDir();
  const files = new Map<string, number>();
  if (!dir) return files;
  for (const name of await readdir(dir)) files.set(name, (await stat(join(dir, name))).ino);
  return files;
}

/** Cache file name → the bundle file's bytes it must have been made from. */
async function bundleSources(): Promise<Map<string, Buffer>> {
  const sources = new Map<string, Buffer>();
  for (const name of await readdir(bundleDir)) {
    if (!name.endsWith(".cjs")) continue;
    const source = await readFile(join(bundleDir, name));
    sources.set(cacheFileName(source), source);
  }
  return sources;
}

/** Whether every file in the cache dir is whole and made from a file of the current bundle. */
async function expectAllValid(): Promise<void> {
  const dir = (await cacheDir())!;
  const sources = await bundleSources();
  const names = await readdir(dir);
  expect(names.length).toBeGreaterThan(0);
  expect(names.filter((n) => !n.endsWith(".v8"))).toEqual([]); // no temp file left behind
  for (const name of names) {
    expect(sources.has(name)).toBe(true);
    expect(readCacheFile(join(dir, name), sources.get(name)!)).toBeDefined();
  }
}
const bundleFile = async (prefix: string) =>
  join(bundleDir, (await readdir(bundleDir)).find((f) => f.startsWith(prefix) && f.endsWith(".cjs"))!);

/** Replaces `from` by `to` (same length, so V8's own length check cannot tell) in a bundle file. */
async function editBundle(prefix: string, from: string, to: string): Promise<Buffer> {
  expect(to).toHaveLength(from.length);
  const file = await bundleFile(prefix);
  const source = await readFile(file, "utf8");
  expect(source).toContain(from);
  const edited = source.replaceAll(from, to);
  await writeFile(file, edited);
  return Buffer.from(edited);
}

/** The status run every test compares with: no cache at all. */
async function uncachedStatus(): Promise<CliResult> {
  const result = await run(["models", "status"], { TESSERA_CODE_CACHE: "0" });
  expect(result).toMatchObject({ code: 0, stderr: "" });
  expect(result.stdout).toContain("anthropic:work");
  return result;
}

describe("the code cache", () => {
  it("is written by the first run, then read and left alone by the next ones", async () => {
    const expected = await uncachedStatus();
    expect(await cacheDir()).toBeUndefined(); // TESSERA_CODE_CACHE=0 writes nothing

    expect(await run(["models", "status"])).toEqual(expected);
    const written = await cacheFiles();
    // main.cjs, zod, the status chunk and the small shared ones: one file each, all valid.
    expect(written.size).toBeGreaterThanOrEqual(3);
    const dir = (await cacheDir())!;
    await expectAllValid();
    for (const name of written.keys()) expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    expect(await run(["models", "status"])).toEqual(expected);
    // Not rewritten: every file was read, passed its checks and was accepted by V8 (a refused or
    // unreadable one is written again).
    expect(await cacheFiles()).toEqual(written);
  });

  it("never runs a changed bundle with the old cache: the new code runs and its cache is written", async () => {
    await run(["models", "status"]);
    await run(["--version"]);
    const before = await cacheFiles();

    // Same length, so only the content hash can tell the files apart.
    const main = await editBundle("main.cjs", "0.1.0", "9.8.7");
    const core = await editBundle("models-core-", "Default model", "Standard mode");
    const version = await run(["--version"]);
    expect(version).toEqual({ code: 0, stdout: "9.8.7\n", stderr: "" });
    const status = await run(["models", "status"]);
    expect(status).toMatchObject({ code: 0, stderr: "" });
    expect(status.stdout).toContain("Standard mode");
    expect(status.stdout).not.toContain("Default model");

    const after = await cacheFiles();
    const mainName = cacheFileName(main);
    const coreName = cacheFileName(core);
    expect(before.has(mainName)).toBe(false);
    expect(after.has(mainName)).toBe(true);
    expect(after.has(coreName)).toBe(true);
    const dir = (await cacheDir())!;
    expect(readCacheFile(join(dir, mainName), main)).toBeDefined();
    expect(readCacheFile(join(dir, coreName), core)).toBeDefined();
  });

  it("refuses a cache file made from another source even under the right name", async () => {
    await run(["--version"]);
    const dir = (await cacheDir())!;
    const oldName = cacheFileName(await readFile(await bundleFile("main.cjs")));
    const main = await editBundle("main.cjs", "0.1.0", "9.8.7");
    const newPath = join(dir, cacheFileName(main));
    // The old bytecode planted where the new source's cache belongs (a copy, a bad sync, a person).
    await cp(join(dir, oldName), newPath);
    const planted = (await stat(newPath)).ino;

    expect(await run(["--version"])).toEqual({ code: 0, stdout: "9.8.7\n", stderr: "" });
    expect((await stat(newPath)).ino).not.toBe(planted); // replaced by a cache of the new source
    expect(readCacheFile(newPath, main)).toBeDefined();
  });

  it("only costs speed when a cache file is corrupt: truncated, bytes flipped, or garbage", async () => {
    const expected = await uncachedStatus();
    await run(["models", "status"]);
    const dir = (await cacheDir())!;
    const sources = await bundleSources();
    const names = [...(await cacheFiles()).keys()];
    const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
    const biggest = names[sizes.indexOf(Math.max(...sizes))]!;
    for (const name of names) {
      const path = join(dir, name);
      const data = await readFile(path);
      if (name === biggest) {
        // Same length, bytes flipped in the second half of V8's data (after the header and the
        // source copy): release builds of V8 check no checksum, so only ours stands in the way.
        const dataStart = data.length - (data.length - sources.get(name)!.length - 16);
        for (let i = dataStart + Math.floor((data.length - dataStart) / 2); i < data.length; i += 97)
          data[i]! ^= 0xff;
        await writeFile(path, data);
      } else if (data.length % 2) await writeFile(path, data.subarray(0, data.length >> 1));
      else await writeFile(path, "not a cache at all");
    }

    expect(await run(["models", "status"])).toEqual(expected);
    await expectAllValid();
    expect(await run(["models", "status"])).toEqual(expected);
  });

  it("only costs speed when the cache dir cannot be made: a file in its place", async () => {
    const expected = await uncachedStatus();
    await mkdir(cacheHome, { recursive: true });
    await writeFile(join(cacheHome, "tessera"), "a file where the cache dir would go\n");
    expect(await run(["models", "status"])).toEqual(expected);
    expect(await run(["--version"])).toEqual({ code: 0, stdout: "0.1.0\n", stderr: "" });
    expect(await readFile(join(cacheHome, "tessera"), "utf8")).toBe("a file where the cache dir would go\n");
  });

  // root may write anywhere, so a read-only directory only stops other users.
  it.skipIf(process.getuid?.() === 0)("only costs speed when the cache dir is read-only (0500)", async () => {
    const expected = await uncachedStatus();
    await mkdir(join(cacheHome, "tessera"), { recursive: true });
    await chmod(join(cacheHome, "tessera"), 0o500);
    try {
      expect(await run(["models", "status"])).toEqual(expected);
      expect(await readdir(join(cacheHome, "tessera"))).toEqual([]);
    } finally {
      await chmod(join(cacheHome, "tessera"), 0o700);
    }
  });

  // Only root can give a directory to another user (and only root would write into one).
  it.skipIf(process.getuid?.() !== 0)(
    "never writes into a directory another user owns (sudo with the user's HOME)",
    async () => {
      const expected = await uncachedStatus();
      const theirs = join(sb.root, "their-home");
      await mkdir(theirs, { recursive: true });
      await chown(theirs, 4242, 4242);
      expect(await run(["models", "status"], { XDG_CACHE_HOME: join(theirs, ".cache") })).toEqual(expected);
      expect(await readdir(theirs)).toEqual([]);
      // Ours below theirs is fine.
      await mkdir(join(theirs, "ours"));
      expect(await run(["models", "status"], { XDG_CACHE_HOME: join(theirs, "ours") })).toEqual(expected);
      expect(await readdir(join(theirs, "ours"))).toEqual(["tessera"]);
    },
  );

  it("only costs speed without a home to put it in", async () => {
    const expected = await uncachedStatus();
    expect(await run(["models", "status"], { XDG_CACHE_HOME: "", HOME: "relative/home" })).toEqual({
      ...expected,
      // The status names the Claude Code file under HOME; nothing else may differ.
      stdout: expect.any(String),
    });
  });

  it("leaves only whole files when several processes write it at once", async () => {
    const expected = await uncachedStatus();
    for (let round = 0; round < 3; round++) {
      await rm(cacheHome, { recursive: true, force: true });
      const results = await Promise.all(Array.from({ length: 6 }, () => run(["models", "status"])));
      for (const result of results) expect(result).toEqual(expected);
      await expectAllValid();
    }
  });

  it("keeps at most 64 cache files, dropping the oldest, and removes temp files killed writers left", async () => {
    await run(["--version"]);
    const dir = (await cacheDir())!;
    const longAgo = new Date(Date.now() - 86_400_000);
    for (let i = 0; i < 70; i++) {
      const old = join(dir, `${i.toString(16).padStart(8, "0")}-1.v8`);
      await writeFile(old, "an earlier build's cache");
      await utimes(old, longAgo, longAgo);
    }
    const stale = join(dir, "x.v8.1.abc.tmp");
    const live = join(dir, "y.v8.2.def.tmp");
    await writeFile(stale, "");
    await utimes(stale, longAgo, longAgo);
    await writeFile(live, "");

    const main = await editBundle("main.cjs", "0.1.0", "9.8.7"); // a write, so a prune
    expect(await run(["--version"])).toEqual({ code: 0, stdout: "9.8.7\n", stderr: "" });
    const names = await readdir(dir);
    expect(names.filter((n) => n.endsWith(".v8"))).toHaveLength(64);
    expect(names).toContain(cacheFileName(main));
    expect(names).not.toContain("00000000-1.v8"); // the oldest went first
    expect(names).not.toContain("x.v8.1.abc.tmp");
    expect(names).toContain("y.v8.2.def.tmp"); // may be a writer at work
  });

  it("runs commands that import external packages, with the cache and without it", async () => {
    // order set takes the store's file lock: proper-lockfile, which the bundle leaves external.
    const args = [
      "models",
      "auth",
      "order",
      "set",
      "--provider",
      "anthropic",
      "anthropic:tok",
      "anthropic:work",
    ];
    for (const env of [{}, { TESSERA_CODE_CACHE: "0" }] as Record<string, string>[]) {
      expect(await run(args, env)).toMatchObject({ code: 0, stderr: "" });
    }
    expect((await sb.readJson(sb.profilesPath())).order).toEqual({
      anthropic: ["anthropic:tok", "anthropic:work"],
    });
  });

  it("leaves the cache to Node where Node has one (module.enableCompileCache, Node >= 22.1)", () => {
    const dirs: string[] = [];
    const exports = loadCli(
      join(bundleDir, "main.cjs"),
      { HOME: sb.home, XDG_CACHE_HOME: cacheHome },
      (dir) => dirs.push(dir),
    );
    expect(typeof (exports as { main?: unknown }).main).toBe("function");
    expect(dirs).toEqual([join(cacheHome, "tessera", "node-compile-cache")]);
  });

  it("is not used for tsc's output when tsc wrote after the bundle", async () => {
    const tscMain = join(root, "dist", "src", "cli", "main.js");
    await writeFile(
      tscMain,
      `export async function main() { process.stdout.write("tsc output\\n"); return 0; }\n`,
    );
    const later = new Date(Date.now() + 60_000);
    await utimes(tscMain, later, later);
    expect(await run(["--version"])).toEqual({ code: 0, stdout: "tsc output\n", stderr: "" });
  });
});
