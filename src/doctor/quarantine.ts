import { chmod, link, rename, stat, unlink } from "node:fs/promises";
import { TesseraError } from "../errors.js";
import { FILE_MODE } from "../files/atomic-write.js";
import { withFileLock } from "../files/file-lock.js";
import { readTextIfExists } from "../files/json-state-file.js";

/** `2025-01-31T12-04-05Z`: sortable, and free of `:` so the name works on every filesystem. */
export function quarantineStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

/**
 * Moves a file that does not parse out of the way as `<file>.corrupt-<time>`, so the command that
 * refused to run on it can start from an empty file. Never deletes and never overwrites: the bytes
 * stay exactly as they were in the new name (kept at 0600, since they may hold secrets). Runs under
 * the file's lock and re-reads it first, so a file another process has repaired (or replaced) in the
 * meantime is left alone. Returns the new path, or undefined when there was nothing to move.
 * `foreignDir`: the file lives in a directory that is not ours (a config at `$TESSERA_CONFIG`), whose
 * mode taking the lock must not change.
 */
export async function quarantineFile(
  path: string,
  stillCorrupt: (text: string) => boolean,
  opts: { now?: Date; foreignDir?: boolean } = {},
): Promise<string | undefined> {
  const now = opts.now ?? new Date();
  return withFileLock(
    path,
    async (assertHeld) => {
      const text = await readTextIfExists(path);
      if (text === undefined) return undefined;
      if (!stillCorrupt(text)) {
        throw new TesseraError(
          "FILE_IO",
          `${path} parses now (changed since the check); it was left in place`,
          "run `tessera doctor` again",
        );
      }
      assertHeld();
      const base = `${path}.corrupt-${quarantineStamp(now)}`;
      for (let n = 1; n < 100; n++) {
        const target = n === 1 ? base : `${base}-${n}`;
        if (await moveWithoutOverwrite(path, target)) {
          await chmod(target, FILE_MODE);
          return target;
        }
      }
      throw new TesseraError(
        "FILE_IO",
        `could not find a free name for ${base}`,
        `move ${path} aside by hand`,
      );
    },
    { foreignDir: opts.foreignDir },
  );
}

/** Renames `from` to `to` unless `to` exists; false when it does. */
async function moveWithoutOverwrite(from: string, to: string): Promise<boolean> {
  try {
    // link() fails if the target exists, which rename() would silently replace.
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // Filesystems without hard links: check, then rename (the lock keeps our own writers out).
    if (await exists(to)) return false;
    await rename(from, to);
    return true;
  }
  await unlink(from);
  return true;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
