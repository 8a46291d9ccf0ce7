import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fsFailure } from "./fs-errors.js";
import { linkError, mayChmod } from "./state-file-checks.js";

/** Mode for every state file: secrets live in some of them, so nobody but the owner reads any. */
export const FILE_MODE = 0o600;
/** Mode for every state directory. */
export const DIR_MODE = 0o700;

/**
 * Creates `dir` (and missing parents) as 0700 and re-applies 0700 to `dir` itself, because `mkdir`
 * leaves an existing directory's mode alone and a user may have loosened it. A symbolic link in its
 * place is an error, never followed (its target could be any directory on the host); a directory
 * that is not ours keeps its mode (see `mayChmod`).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const info = await lstat(dir);
    if (info.isSymbolicLink()) throw await linkError(dir, "directory");
    if ((info.mode & 0o777) !== DIR_MODE && mayChmod(info)) await chmod(dir, DIR_MODE);
  } catch (err) {
    throw fsFailure(err, dir, "create or secure the directory");
  }
}

/**
 * Replaces `path` with `contents` so that a reader (or a crash) only ever sees the old or the new
 * bytes: write a uniquely named temp file opened 0600 in the same directory, fsync it, rename it over
 * the target, fsync the directory. A unique temp name matters: lowdb's steno uses one fixed name, and
 * two writers then tear each other's temp file. `mode` defaults to 0600; `foreignDir` leaves the
 * directory's mode alone (used when writing back into another tool's directory).
 */
export async function writeFileAtomic(
  path: string,
  contents: string | Uint8Array,
  opts: { mode?: number; foreignDir?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  // A directory that belongs to another tool (Claude Code's) keeps its own mode.
  if (!opts.foreignDir) await ensurePrivateDir(dir);
  const mode = opts.mode ?? FILE_MODE;
  const tmp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let handle = await open(tmp, "wx", mode).catch((err) => {
    throw fsFailure(err, path, "write");
  });
  try {
    await handle.writeFile(contents);
    // open() honours the umask; chmod makes 0600 exact whatever the umask is.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined as never;
    await rename(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw fsFailure(err, path, "write");
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable. Some filesystems refuse fsync on a directory; that only weakens
  // durability after a power cut, not atomicity, so it is not an error.
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => {});
  await handle.close();
}

/**
 * For callers that write `path` only under its lock: temp files of `path` found while holding the lock
 * were left by a writer that died between creating and renaming one (SIGKILL, power cut). They may hold
 * secrets; removing them keeps the directory from collecting copies. Best effort.
 */
export async function removeAbandonedTempFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith(".tmp"))
      await rm(join(dir, name), { force: true }).catch(() => {});
  }
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}
