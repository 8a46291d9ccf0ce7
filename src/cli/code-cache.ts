/**
 * Loads the bundled CLI (scripts/bundle-cli.js: `dist/src/cli/bundle/main.cjs` and its chunks) with
 * a V8 code cache, so that a command does not compile the same JavaScript on every start.
 *
 * Why this shape: Node 20 gives ES modules no code cache, and its CommonJS loader takes none either;
 * `vm.Script` does (`cachedData`), and `createCachedData()` called after the command ran also holds
 * the functions that were compiled lazily while it ran — most of what a command uses. So the bundle
 * is emitted as CommonJS and each of its files is compiled here as a `vm.Script` in the CommonJS
 * wrapper; a chunk `require`d by another goes through the same loader, anything else (Node's own
 * modules, packages left external) through Node's `require`, and `import()` of an external package
 * through `importExternal` below (the bundle script rewrites those calls: a `vm.Script`'s own
 * `import()` needs an experimental Node option that prints a warning). On Node ≥ 22.1,
 * `module.enableCompileCache()` does all of this for modules Node loads itself, and is used instead.
 *
 * Safety, since cached bytecode runs as code:
 *   - a cache file holds a copy of the source it was made from, and is used only when that copy is
 *     byte for byte the file being loaded: a changed bundle never runs with the old bytecode (V8's
 *     own check compares only the source's length). The file is named by the source's CRC-32 and
 *     length, in a directory named for the Node version, V8 version, platform and V8-relevant flags;
 *   - the header holds the CRC-32 of the V8 data: release builds of V8 skip their checksum, so a
 *     corrupt file would otherwise be run (and crash, or worse); a file owned by another user is
 *     ignored;
 *   - files are written 0600 to a temp name and renamed into place, so concurrent writers never leave
 *     a torn file; the directory is created 0700, and never in a directory another user owns;
 *   - every failure (no home, unwritable or corrupt cache, rejected data) only costs speed: it is
 *     never reported and never changes what the command does.
 * It is per user (`$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`) rather than in the package: a
 * global install's directory is not writable by its users, and one shared between users would let
 * one of them plant code the others run. `TESSERA_CODE_CACHE=0` turns it off.
 *
 * CRC-32 and a byte comparison rather than a cryptographic hash: node:crypto costs ~3 ms to load
 * (OpenSSL's start), more than the cache saves `--version`; zlib's crc32 costs ~0.3 ms. The
 * comparison makes the check exact, and CRC-32 is what catches corrupted bytes.
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import * as nodeModule from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { Script } from "node:vm";
import { crc32 } from "node:zlib";

/** First bytes of every cache file; a new layout gets a new magic, so old files are just misses. */
const MAGIC = Buffer.from("TSRCC02\n");
/** Magic, then the source's length and the V8 data's CRC-32 (both u32 LE); then source and data. */
const HEADER_BYTES = MAGIC.length + 8;
/**
 * What each bundle file is wrapped in: the parameters of Node's CommonJS wrapper plus the bundle's
 * `import()` of external packages; "use strict" because the bundle's sources are ES modules, which
 * are strict. Exported for the benchmark, which maps profile columns on a file's first line back.
 */
export const WRAPPER_HEAD =
  '(function (exports, require, module, __filename, __dirname, __tesseraImport) {"use strict";';
/** Beyond this many files in the current directory, the oldest go (old builds' caches). */
const MAX_FILES = 64;

/**
 * The cache's root directory for `env`, or undefined when it is turned off (`TESSERA_CODE_CACHE=0`)
 * or there is no home to put it in.
 */
export function codeCacheRoot(env: NodeJS.ProcessEnv): string | undefined {
  if (env.TESSERA_CODE_CACHE === "0") return undefined;
  // XDG: a relative path is invalid and ignored.
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, "tessera");
  return env.HOME && isAbsolute(env.HOME) ? join(env.HOME, ".cache", "tessera") : undefined;
}

/**
 * Runs the bundle's entry file and returns its exports, with the best code cache this Node has.
 * The cache's writes happen at process exit, after the command did its work. `enableCompileCache`
 * is Node's (≥ 22.1), or a stand-in from a test on an older Node.
 */
export function loadCli(
  entry: string,
  env: NodeJS.ProcessEnv = process.env,
  enableCompileCache = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache,
): unknown {
  const root = codeCacheRoot(env);
  const nodeCacheDir = root && join(root, "node-compile-cache");
  if (nodeCacheDir && enableCompileCache && isMineToWrite(nodeCacheDir)) {
    // Node keys, checks and writes this cache itself; failures there are silent too.
    enableCompileCache(nodeCacheDir);
  }
  if (!root || enableCompileCache) return nodeModule.createRequire(entry)(entry);
  return new CodeCacheLoader(join(root, "v8", runtimeKey(env))).load(entry);
}

/**
 * What V8's code cache depends on besides the source: a cache made by another Node, V8, platform or
 * set of V8 flags would be rejected by V8 anyway, so each gets its own directory rather than
 * overwriting the others' files in turn.
 */
export function runtimeKey(env: NodeJS.ProcessEnv): string {
  const flags = hex32(crc32(JSON.stringify([process.execArgv, env.NODE_OPTIONS ?? ""])));
  return `node-${process.version}-v8-${process.versions.v8}-${process.platform}-${process.arch}-${flags}`;
}

interface LoadedFile {
  script: Script;
  cachePath: string;
  source: Buffer;
  /** Whether the run should write this file's cache at exit (it had none, or V8 refused it). */
  write: boolean;
}

/**
 * One run's loader: compiles each bundle file once, with its cached data when there is a valid one,
 * and writes the missing caches when the process exits.
 */
export class CodeCacheLoader {
  private readonly modules = new Map<string, { exports: unknown }>();
  private readonly loaded: LoadedFile[] = [];
  private nodeRequire: NodeJS.Require | undefined;

  constructor(private readonly dir: string) {}

  /** Runs `file` (a CommonJS bundle file) if this run has not yet, and returns its exports. */
  load(file: string): unknown {
    const known = this.modules.get(file);
    if (known) return known.exports;
    if (this.loaded.length === 0) process.once("exit", () => this.writeCaches());
    this.nodeRequire ??= nodeModule.createRequire(file);
    const source = readFileSync(file);
    const cachePath = join(this.dir, cacheFileName(source));
    const cachedData = readCacheFile(cachePath, source);
    const script = new Script(`${WRAPPER_HEAD}${source.toString("utf8")}\n})`, {
      filename: file,
      cachedData,
    });
    const write = cachedData === undefined || script.cachedDataRejected === true;
    this.loaded.push({ script, cachePath, source, write });
    const module = { exports: {} as unknown };
    this.modules.set(file, module);
    const dir = dirname(file);
    const nodeRequire = this.nodeRequire;
    const require = (id: string) =>
      id.startsWith("./") || id.startsWith("../") ? this.load(resolve(dir, id)) : nodeRequire(id);
    script.runInThisContext()(module.exports, require, module, file, dir, importExternal);
    return module.exports;
  }

  /**
   * Writes the caches this run lacked; any failure leaves the cache as it was. Runs in an exit
   * handler, where an exception would replace the command's exit code: nothing may escape.
   */
  writeCaches(): void {
    try {
      const pending = this.loaded.filter((f) => f.write);
      if (pending.length === 0 || !isMineToWrite(this.dir)) return;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      for (const f of pending) {
        try {
          writeCacheFile(f.cachePath, f.source, f.script.createCachedData());
        } catch {
          // Unwritable, full or gone: the next run compiles again.
        }
      }
      pruneOldFiles(this.dir, new Set(pending.map((f) => f.cachePath)));
    } catch {
      // No cache dir (a file in its place, no permission): the next run compiles again.
    }
  }
}

/**
 * Whether `dir` may be created or written by this process: the deepest part of it that exists is
 * ours. Not so under `sudo` with the user's HOME kept (macOS does by default): root would leave a
 * root-owned cache in the user's home, which the user's runs could then neither use nor replace.
 */
function isMineToWrite(dir: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  for (let at = dir; dirname(at) !== at; at = dirname(at)) {
    try {
      return statSync(at).uid === uid;
    } catch (err) {
      // Not there yet: ask its parent. Anything else (a file in the way, no permission): not ours.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") return false;
    }
  }
  return false;
}

/**
 * `import()` of a package the bundle leaves external, for code this loader compiled. Relative to this
 * file, which sits beside the chunks, so a specifier resolves as it would from them.
 */
function importExternal(specifier: string): Promise<unknown> {
  return import(specifier);
}

/** The cache file's name for `source`: its CRC-32 and length (the file's contents decide, not this). */
export function cacheFileName(source: Buffer): string {
  return `${hex32(crc32(source))}-${source.length}.v8`;
}

const hex32 = (n: number) => n.toString(16).padStart(8, "0");

/**
 * The V8 data in the cache file `path` if the file is ours, whole, and was made from exactly
 * `source`; undefined otherwise. Exported for the tests that check no writer leaves a torn file.
 */
export function readCacheFile(path: string, source: Buffer): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const info = fstatSync(fd);
    if (process.getuid && info.uid !== process.getuid()) return undefined;
    const data = readFileSync(fd);
    if (data.length <= HEADER_BYTES + source.length) return undefined;
    if (!data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    if (data.readUInt32LE(MAGIC.length) !== source.length) return undefined;
    const payloadCrc = data.readUInt32LE(MAGIC.length + 4);
    if (!data.subarray(HEADER_BYTES, HEADER_BYTES + source.length).equals(source)) return undefined;
    const payload = data.subarray(HEADER_BYTES + source.length);
    return crc32(payload) === payloadCrc ? payload : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Header, source and data to a unique temp file (0600), renamed over `path`: all or nothing. */
function writeCacheFile(path: string, source: Buffer, payload: Buffer): void {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header);
  header.writeUInt32LE(source.length, MAGIC.length);
  header.writeUInt32LE(crc32(payload), MAGIC.length + 4);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([header, source, payload]), { mode: 0o600, flag: "wx" });
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw err;
  }
}

/**
 * Keeps the directory to MAX_FILES cache files, removing the oldest (caches of earlier builds), and
 * removes temp files a killed writer left (older than a minute: a live writer renames within ms).
 */
function pruneOldFiles(dir: string, keep: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // The directory cannot be listed: nothing to prune.
  }
  const aged = names
    .filter((name) => name.endsWith(".v8") || name.endsWith(".tmp"))
    .map((name) => join(dir, name))
    .filter((path) => !keep.has(path))
    .map((path) => ({ path, mtime: statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => a.mtime - b.mtime);
  const caches = aged.filter((f) => f.path.endsWith(".v8"));
  const extra = names.filter((name) => name.endsWith(".v8")).length - MAX_FILES;
  const doomed = [
    ...caches.slice(0, Math.max(0, extra)),
    ...aged.filter((f) => f.path.endsWith(".tmp") && f.mtime < Date.now() - 60_000),
  ];
  for (const { path } of doomed) {
    try {
      unlinkSync(path);
    } catch {
      // Another process pruned it first, or it is not ours to remove.
    }
  }
}
