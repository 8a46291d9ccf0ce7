import { link, lstat, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { legacySessionsPath, sessionFilePath } from "../config/paths.js";
import { TesseraError } from "../errors.js";
import { withFileLock } from "../files/file-lock.js";
import { JsonStateFile } from "../files/json-state-file.js";
import { SessionFileHandle } from "./session-files.js";
import { type LegacySessionsFile, LegacySessionsFileSchema } from "./session-schema.js";

/** The name the old `sessions.json` is kept under once its sessions have files of their own. */
export const LEGACY_BACKUP_SUFFIX = ".migrated";
/** Sessions written at once during a migration: parallel fsyncs share the filesystem's journal commits. */
const MIGRATE_CONCURRENCY = 32;

/** What one migration did. */
export interface SessionMigration {
  /** Sessions in the old file. */
  sessions: number;
  /** Session files written (fewer when an earlier, interrupted run had written some already). */
  written: number;
  /** Where the old file is kept now. */
  backup: string;
}

/**
 * Moves an agent's sessions from the old single `sessions/sessions.json` into one file per session
 * (PRODUCT §2 as changed by issue 11). Runs under the old file's lock, so of several processes
 * starting at once one migrates and the others wait and then find nothing to do:
 *
 * 1. read and validate the old file — a file that does not parse stops here with its path, and
 *    nothing is written;
 * 2. write each session's file, skipping sessions that already have one (a run interrupted by a
 *    crash resumes; the old file is still the source until step 3);
 * 3. rename the old file to `sessions.json.migrated` (never over an existing file), which is the
 *    commit: a second run finds no `sessions.json` and does nothing.
 *
 * Returns undefined when there was nothing to migrate.
 */
export async function migrateLegacySessions(
  stateDir: string,
  agentId: string,
): Promise<SessionMigration | undefined> {
  const legacy = legacySessionsPath(stateDir, agentId);
  if (!(await legacyFileExists(legacy))) return undefined;
  return withFileLock(legacy, async (assertHeld) => {
    const data = await readLegacySessions(stateDir, agentId);
    if (!data) return undefined; // another process migrated it while we waited for the lock
    const entries = Object.entries(data.sessions);
    let written = 0;
    for (let i = 0; i < entries.length; i += MIGRATE_CONCURRENCY) {
      await Promise.all(
        entries.slice(i, i + MIGRATE_CONCURRENCY).map(async ([key, entry]) => {
          const file = new SessionFileHandle(sessionFilePath(stateDir, agentId, key), key);
          const wrote = await file.update((f) => {
            if (f.session) return false;
            f.session = entry;
            return true;
          });
          if (wrote) written++;
        }),
      );
    }
    assertHeld();
    const backup = await keepAsBackup(legacy);
    return { sessions: entries.length, written, backup };
  });
}

/**
 * The old file's sessions, validated, or undefined when there is no old file. A file that does not
 * parse is an error naming it (never read as empty): the migration and `doctor` both stop on it.
 */
export async function readLegacySessions(
  stateDir: string,
  agentId: string,
): Promise<LegacySessionsFile | undefined> {
  const legacy = legacySessionsPath(stateDir, agentId);
  // A missing file reads as `undefined`, not as an empty one: there is nothing to migrate then.
  const missing = () => undefined as unknown as LegacySessionsFile;
  return new JsonStateFile(legacy, LegacySessionsFileSchema, missing).read();
}

/** Whether the old file exists; a file in place of the sessions directory is an error that says so. */
export async function legacyFileExists(legacy: string): Promise<boolean> {
  try {
    await lstat(legacy);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    const dir = dirname(legacy);
    throw new TesseraError(
      "FILE_IO",
      code === "ENOTDIR"
        ? `${dir} is not a directory, so no session can be read or written`
        : `cannot look for ${legacy}: ${(err as Error).message}`,
      code === "ENOTDIR"
        ? `move ${dir} aside (Tessera keeps one file per session in that directory)`
        : `check the permissions of ${dir}`,
      { cause: err },
    );
  }
}

/** Renames the old file to `<file>.migrated` (or `<file>.migrated-<n>`), never over another file. */
async function keepAsBackup(legacy: string): Promise<string> {
  for (let n = 1; n < 100; n++) {
    const target = `${legacy}${LEGACY_BACKUP_SUFFIX}${n === 1 ? "" : `-${n}`}`;
    try {
      // link() refuses an existing target, which rename() would silently replace.
      await link(legacy, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      // A filesystem without hard links: check, then rename (the lock keeps our writers out).
      if (
        await lstat(target).then(
          () => true,
          () => false,
        )
      )
        continue;
      await rename(legacy, target);
      return target;
    }
    await unlink(legacy);
    return target;
  }
  throw new TesseraError(
    "FILE_IO",
    `could not find a free name to keep ${legacy} as a backup`,
    `move ${legacy}${LEGACY_BACKUP_SUFFIX}* aside by hand`,
  );
}
