import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { sessionFileHash } from "../config/paths.js";
import { isTesseraError, TesseraError } from "../errors.js";
import { JsonStateFile } from "../files/json-state-file.js";
import {
  SESSION_FILE_VERSION,
  type SessionEntry,
  type SessionFile,
  SessionFileSchema,
} from "./session-schema.js";

/** A shard directory's name: the first two hex digits of the hashes of the files in it. */
const SHARD_NAME = /^[0-9a-f]{2}$/;
/** A session file's name: 32 hex digits of its key's hash (`sessionFilePath`). */
const FILE_NAME = /^[0-9a-f]{32}\.json$/;
/** How many session files a listing reads at once: enough to hide latency, few enough for any fd limit. */
const LIST_CONCURRENCY = 64;

/**
 * One session's file on the files layer: read as an unlocked snapshot, changed as a locked
 * read-modify-write of this file alone (its own `<file>.lock`), written atomically as 0600. A file
 * that does not parse fails with its path, and only this session is affected.
 */
export class SessionFileHandle {
  private readonly file: JsonStateFile<SessionFile>;

  constructor(
    readonly path: string,
    readonly key: string,
  ) {
    this.file = new JsonStateFile(path, SessionFileSchema, () => ({
      version: SESSION_FILE_VERSION,
      key,
      revision: 0,
    }));
  }

  /** The session as on disk now; undefined when it was never written. */
  async read(): Promise<SessionEntry | undefined> {
    const data = await this.file.read();
    this.assertOwnFile(data);
    return data.session;
  }

  /**
   * Locks this session's file, re-reads it, lets `mutate` change it, and writes it if the session
   * changed (bumping `revision`); a mutation that changes nothing writes nothing.
   */
  update<R>(mutate: (data: SessionFile) => R): Promise<R> {
    return this.file.update((data) => {
      this.assertOwnFile(data);
      const before = JSON.stringify(data.session);
      const result = mutate(data);
      if (JSON.stringify(data.session) !== before) data.revision += 1;
      return result;
    });
  }

  private assertOwnFile(data: SessionFile): void {
    if (data.key === this.key) return;
    throw new TesseraError(
      "FILE_INVALID",
      `${this.path} holds the session ${JSON.stringify(data.key)}, not ${JSON.stringify(this.key)} (a session file copied or renamed by hand?); it was left untouched`,
      `move ${this.path} aside; \`tessera doctor\` lists session files that are not where their key puts them`,
    );
  }
}

/** A session file that a listing could not use, with the error that says why (path included). */
export interface SessionFileProblem {
  path: string;
  /** `unreadable`: does not parse or match the layout; `misplaced`: holds another key than its name says. */
  kind: "unreadable" | "misplaced";
  error: TesseraError;
}

/** Every session of one agent as the listing found it. */
export interface SessionScan {
  sessions: Record<string, SessionEntry>;
  /** Each session's file, by key. */
  files: Record<string, string>;
  /** Files that do not parse, do not match the layout, or sit under another key's name. */
  problems: SessionFileProblem[];
}

/**
 * Reads every session file under `dir` (`sessions/<hh>/<hash>.json`): the one operation that pays
 * per session, for `doctor` and `models auth remove`. Lock directories, temp files and files moved
 * aside are not sessions and are skipped; a file that cannot be used is reported in `problems`
 * instead of ending the listing.
 */
export async function scanSessionFiles(dir: string): Promise<SessionScan> {
  const paths = await listSessionFiles(dir);
  const found: [string, SessionEntry, string][] = [];
  const problems: SessionFileProblem[] = [];
  for (let i = 0; i < paths.length; i += LIST_CONCURRENCY) {
    await Promise.all(
      paths.slice(i, i + LIST_CONCURRENCY).map(async (path) => {
        try {
          // Missing (removed since the directory was read): `undefined`, and nothing to list.
          const gone = () => undefined as unknown as SessionFile;
          const data = await new JsonStateFile(path, SessionFileSchema, gone).read();
          if (!data) return;
          if (sessionFileHash(data.key) !== basename(path, ".json")) {
            const error = new TesseraError(
              "FILE_INVALID",
              `${path} holds the session ${JSON.stringify(data.key)}, whose file is named ${sessionFileHash(data.key)}.json`,
              `move ${path} aside (it was copied or renamed by hand); Tessera never reads it under this name`,
            );
            problems.push({ path, kind: "misplaced", error });
            return;
          }
          if (data.session) found.push([data.key, data.session, path]);
        } catch (err) {
          if (!isTesseraError(err)) throw err;
          problems.push({ path, kind: "unreadable", error: err });
        }
      }),
    );
  }
  found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // fromEntries defines own properties, so even a key such as `__proto__` stays plain data.
  return {
    sessions: Object.fromEntries(found.map(([key, entry]) => [key, entry])),
    files: Object.fromEntries(found.map(([key, , path]) => [key, path])),
    problems: problems.sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}

/** The paths of every session file under `dir`, sorted; none when `dir` does not exist. */
export async function listSessionFiles(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const shard of await listShardDirs(dir)) {
    for (const name of await readdirIfExists(shard)) if (FILE_NAME.test(name)) paths.push(join(shard, name));
  }
  return paths.sort();
}

/** The shard directories (`sessions/<hh>`) that exist under `dir`, sorted. */
export async function listShardDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw new TesseraError(
      "FILE_IO",
      `cannot list the sessions in ${dir}: ${err.message}`,
      err.code === "ENOTDIR"
        ? `move ${dir} aside: Tessera keeps one file per session in that directory`
        : `check the permissions of ${dir}`,
    );
  });
  return entries
    .filter((e) => e.isDirectory() && SHARD_NAME.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

async function readdirIfExists(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw new TesseraError(
      "FILE_IO",
      `cannot list the sessions in ${dir}: ${err.message}`,
      `check the permissions of ${dir}`,
    );
  });
}
