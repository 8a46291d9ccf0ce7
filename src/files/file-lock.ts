import { dirname } from "node:path";
import { TesseraError } from "../errors.js";
import { ensurePrivateDir } from "./atomic-write.js";

/**
 * How long another process may hold a lock before we give up. Holders only do a read, a small
 * computation and one atomic write (network calls happen outside), so a few seconds of waiting means
 * contention, and 15 s means something is wrong.
 */
const LOCK_WAIT_MS = 15_000;
/** A lock whose holder stopped refreshing it for this long is considered abandoned (crashed holder). */
const LOCK_STALE_MS = 10_000;

const inProcessTails = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding the cross-process lock for `path` (proper-lockfile: a `<path>.lock`
 * directory whose mtime the holder keeps fresh). Callers in the same process queue up in order first,
 * so we never spin on a lock we hold ourselves. Failing to get the lock is an error, never an unlocked
 * run; a lock that was taken over while we held it (we stalled past the stale time) fails the write.
 */
export async function withFileLock<T>(path: string, fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
  const previous = inProcessTails.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  inProcessTails.set(path, tail);
  try {
    await previous.catch(() => {});
    return await lockAcrossProcesses(path, fn);
  } finally {
    release();
    if (inProcessTails.get(path) === tail) inProcessTails.delete(path);
  }
}

async function lockAcrossProcesses<T>(path: string, fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
  const lockfile = await import("proper-lockfile");
  await ensurePrivateDir(dirname(path));
  let compromised: Error | undefined;
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(path, {
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 4,
      // Many short waits rather than a few long ones: holders are quick, and proper-lockfile's
      // default backoff (starting at 1 s) would make contended writes crawl.
      retries: {
        retries: Math.ceil(LOCK_WAIT_MS / 25),
        factor: 1.2,
        minTimeout: 5,
        maxTimeout: 50,
        randomize: true,
      },
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    throw new TesseraError(
      "LOCK_BUSY",
      `could not lock ${path}: another process has held ${path}.lock for over ${LOCK_WAIT_MS / 1000}s`,
      `wait for the other tessera command to finish; if none is running, remove the directory ${path}.lock`,
      { cause: err },
    );
  }
  const assertHeld = () => {
    if (compromised) {
      throw new TesseraError(
        "LOCK_COMPROMISED",
        `lost the lock on ${path} while writing (this process stalled for over ${LOCK_STALE_MS / 1000}s); nothing was written`,
        "run the command again",
        { cause: compromised },
      );
    }
  };
  try {
    return await fn(assertHeld);
  } finally {
    await unlock().catch(() => {});
  }
}
