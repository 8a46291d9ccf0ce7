import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { chmod, type FileHandle, lstat, open, readlink } from "node:fs/promises";
import { TesseraError } from "../errors.js";

/**
 * Flags for opening a state file: never through a symbolic link. A link planted at
 * `<state>/audit.jsonl` (or any state file) would otherwise have Tessera append to, read or chmod a
 * file anywhere on the host — as root, a system file. The one link Tessera follows on purpose is
 * Claude Code's `~/.claude/.credentials.json` (see `src/auth/claude-code.ts`); the state dir and
 * config file a person names are resolved once, when the paths are worked out
 * (`src/config/state-location.ts`); nothing inside the state dir is followed.
 */
export const NO_FOLLOW = constants.O_NOFOLLOW;

/** The error for a symbolic link where a state file or directory should be; names where it points. */
export async function linkError(path: string, what = "state file"): Promise<TesseraError> {
  const target = await readlink(path).catch(() => "somewhere else");
  return new TesseraError(
    "FILE_LINK",
    `${path} is a symbolic link (to ${target}); Tessera does not follow links in its state dir, so neither the link nor its target was read or changed`,
    `replace the link with the ${what} itself (mv ${target} ${path}), or remove it if it should not be there`,
  );
}

/**
 * Whether `err` from an `O_NOFOLLOW` open means `path` is a symbolic link (ELOOP on Linux and macOS;
 * ELOOP can also mean a loop further up the path, so the path itself is looked at).
 */
export async function isLinkRefusal(err: unknown, path: string): Promise<boolean> {
  if ((err as NodeJS.ErrnoException).code !== "ELOOP") return false;
  return (await lstat(path).catch(() => undefined))?.isSymbolicLink() ?? false;
}

/**
 * `lstat`, or undefined when nothing is there. Never follows a link: a link is reported as one.
 */
export async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Whether Tessera may set the mode of what `info` describes: only a real file or directory (never a
 * link), owned by this user, with no other name (a hard link to a file elsewhere would carry the
 * change out of the state dir). Modes are set on what we created and keep, nothing else.
 */
export function mayChmod(info: Stats): boolean {
  if (info.isSymbolicLink()) return false;
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) return false;
  return info.isDirectory() || info.nlink <= 1;
}

/** Sets `mode` on `path` when it differs and `mayChmod` allows it; never through a link. */
export async function chmodIfOurs(path: string, mode: number): Promise<void> {
  const info = await lstatIfExists(path);
  if (!info || (info.mode & 0o777) === mode || !mayChmod(info)) return;
  await chmod(path, mode);
}

/**
 * Opens `path` for reading, undefined when missing; without following a link unless `followLinks`.
 * Only a regular file is read: a FIFO would block the open (and every command, doctor included)
 * until some other process wrote to it, a device could be anything. The open is non-blocking so
 * that a FIFO is seen for what it is, then refused (`FILE_TYPE`), like a directory or a socket.
 */
export async function openForReading(
  path: string,
  opts: { followLinks?: boolean } = {},
): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.followLinks ? 0 : NO_FOLLOW));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (!opts.followLinks && (await isLinkRefusal(err, path))) throw await linkError(path);
    throw err;
  }
  const info = await handle.stat().catch(async (err) => {
    await handle.close();
    throw err;
  });
  if (!info.isFile()) {
    await handle.close();
    throw notRegularError(path, info);
  }
  return handle;
}

/** What a non-regular file is, in words. */
export function kindOf(info: Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a named pipe (FIFO)";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** The error for something other than a regular file where a state file should be. */
export function notRegularError(path: string, info: Stats): TesseraError {
  return new TesseraError(
    "FILE_TYPE",
    `${path} is ${kindOf(info)}, not a regular file; Tessera reads and writes only regular files there, so it was left alone`,
    `move it out of the way (mv ${path} ${path}.moved) and run the command again; Tessera creates the file when it needs one`,
  );
}
