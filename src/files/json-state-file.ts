import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import type { Adapter } from "lowdb";
import { Low } from "lowdb";
import type { z } from "zod";
import { isTesseraError, TesseraError } from "../errors.js";
import { formatIssues } from "../schema-issues.js";
import { removeAbandonedTempFiles, writeFileAtomic } from "./atomic-write.js";
import { diskFormOf } from "./disk-form.js";
import { withFileLock } from "./file-lock.js";
import { fsFailure } from "./fs-errors.js";
import { describeJsonSyntaxError } from "./json-syntax-error.js";
import { linkError, lstatIfExists, NO_FOLLOW, notRegularError, openForReading } from "./state-file-checks.js";

let blockingReads = false;

/**
 * From now on this process reads state files with blocking calls. For one-shot CLI commands: an
 * async read of a small file is five or six thread-pool round trips (lstat, open, stat, read, close),
 * ~0.4 ms a file against ~0.1 ms blocking, and `tessera models status` reads five. Long-running
 * surfaces (the gateway, chat) keep async reads, so that a slow disk holds up one request rather
 * than every chat. What a read returns or throws is the same either way: anything but a regular file
 * that is there or plainly missing is read again the async way, which words the error.
 */
export function useBlockingReads(): void {
  blockingReads = true;
}

/** `readText`'s blocking path: the text, undefined when missing, or AGAIN for the async path. */
const AGAIN = Symbol("read again, async");

/**
 * The one way Tessera reads and writes a JSON state file (auth store, auth state, sessions).
 *
 * - `read()` is an unlocked snapshot: renames are atomic, so a reader sees a whole old or new file.
 * - `update()` is a locked read-modify-write across processes, written atomically as 0600 in a 0700
 *   directory, and skipped entirely when the mutation changed nothing.
 * - A file that does not parse or does not match the schema is an error naming the path; it is
 *   never treated as empty and never overwritten.
 */
export class JsonStateFile<T> {
  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly empty: () => T,
  ) {}

  /**
   * Current contents, or the empty value when the file does not exist yet. A file unchanged since
   * this object last parsed it (same inode, size, mtime and ctime — every write of ours renames a new
   * file in, and an editor's in-place write changes the times) is not read and validated again: the
   * gateway reads the store for every message. Callers get their own copy.
   */
  async read(): Promise<T> {
    const seen = await statIfExists(this.path);
    if (!seen) return this.empty();
    if (this.cache && sameFile(this.cache.stat, seen)) return structuredClone(this.cache.data);
    const text = await readTextIfExists(this.path);
    if (text === undefined) return this.empty();
    const data = this.parse(text);
    this.cache = { stat: seen, data };
    return structuredClone(data);
  }

  private cache: { stat: Stats; data: T } | undefined;

  /** Raw text of the file as it is on disk (undefined when missing); for checks that must not parse. */
  async readText(): Promise<string | undefined> {
    return readTextIfExists(this.path);
  }

  /**
   * Locks, re-reads, lets `mutate` change the data in place (and return a result), writes if anything
   * changed, unlocks. Updates from concurrent processes are serialised, so none is lost.
   */
  async update<R>(mutate: (data: T) => R | Promise<R>): Promise<R> {
    return withFileLock(this.path, async (assertHeld) => {
      // What the data looked like before `mutate`, in our formatting: comparing against the parsed
      // data (not the raw text) means a no-op never rewrites a file that another tool formatted
      // differently, and never creates a missing file just to hold the empty value.
      let before: string | undefined;
      const adapter: Adapter<T> = {
        read: async () => {
          const text = await readTextIfExists(this.path);
          const data = text === undefined ? this.empty() : this.parse(text);
          before = serialize(diskFormOf(this.schema, data));
          return data;
        },
        write: async (data) => {
          const after = serialize(diskFormOf(this.schema, data));
          if (after === before) return;
          assertHeld();
          await removeAbandonedTempFiles(this.path);
          await writeFileAtomic(this.path, after);
        },
      };
      const db = new Low<T>(adapter, this.empty());
      await db.read();
      const result = await mutate(db.data);
      // Validate what we are about to write: a bug must fail loudly here, not corrupt the file.
      const checked = this.schema.safeParse(db.data);
      if (!checked.success) {
        throw new TesseraError(
          "FILE_INVALID",
          `refusing to write ${this.path}: ${formatIssues(checked.error).join("; ")}`,
          "this is a bug in tessera; please report it with the command you ran",
        );
      }
      await db.write();
      return result;
    });
  }

  private parse(text: string): T {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw corruptError(this.path, describeJsonSyntaxError(err, text));
    }
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success) {
      throw new TesseraError(
        "FILE_INVALID",
        `${this.path} does not have the expected layout (left untouched):\n  ${formatIssues(parsed.error).join("\n  ")}`,
        `correct the file by hand, or move it aside with \`tessera doctor --fix\``,
      );
    }
    return parsed.data;
  }
}

function corruptError(path: string, detail: string): TesseraError {
  return new TesseraError(
    "FILE_CORRUPT",
    `${path} is not valid JSON (${detail}); it was left untouched`,
    `restore it from a backup or fix it by hand; \`tessera doctor --fix\` moves it aside as ${path}.corrupt-<time>`,
  );
}

/** Stable formatting: 2-space JSON with a trailing newline, so diffs and "unchanged" checks work. */
export function serialize(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * A state file's text, or undefined when it does not exist. Never through a symbolic link: a link
 * is a `FILE_LINK` error naming it (see `NO_FOLLOW`).
 */
export function readTextIfExists(path: string): Promise<string | undefined> {
  return readText(path, false);
}

/**
 * A file's text through links, or undefined when missing: only for files that are not Tessera's
 * (Claude Code's credentials, which dotfile managers link on purpose; another tool's state dir read
 * by `tessera import`, which is never written).
 */
export function readTextFollowingLinks(path: string): Promise<string | undefined> {
  return readText(path, true);
}

async function readText(path: string, followLinks: boolean): Promise<string | undefined> {
  if (blockingReads) {
    const text = readTextBlocking(path, followLinks);
    if (text !== AGAIN) return text;
  }
  let handle: FileHandle | undefined;
  try {
    handle = await openForReading(path, { followLinks });
    return withoutBom(await handle?.readFile("utf8"));
  } catch (err) {
    if (isTesseraError(err)) throw err;
    throw readError(path, err);
  } finally {
    await handle?.close();
  }
}

function readTextBlocking(path: string, followLinks: boolean): string | undefined | typeof AGAIN {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (followLinks ? 0 : NO_FOLLOW));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : AGAIN;
  }
  try {
    return fstatSync(fd).isFile() ? withoutBom(readFileSync(fd, "utf8")) : AGAIN;
  } catch {
    return AGAIN;
  } finally {
    closeSync(fd);
  }
}

function readError(path: string, err: unknown): TesseraError {
  return fsFailure(err, path, "read");
}

/**
 * A state file's text as JSON.parse needs it: a byte-order mark (some Windows editors add one) is
 * dropped, not an error — it made a fine store look corrupt, and `doctor --fix` moved it aside. The
 * next write leaves it out.
 */
function withoutBom(text: string | undefined): string | undefined {
  return text?.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

async function statIfExists(path: string): Promise<Stats | undefined> {
  if (blockingReads) {
    // A regular file or nothing: the common answers, without a round trip. Anything else (a link, a
    // directory, an error) goes the async way below, which words it.
    try {
      const info = lstatSync(path, { throwIfNoEntry: false });
      if (info === undefined || info.isFile()) return info;
    } catch {
      // below
    }
  }
  let info: Stats | undefined;
  try {
    info = await lstatIfExists(path);
  } catch (err) {
    throw readError(path, err);
  }
  if (info?.isSymbolicLink()) throw await linkError(path);
  if (info && !info.isFile()) throw notRegularError(path, info);
  return info;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
