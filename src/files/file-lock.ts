import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { TesseraError } from "../errors.js";
import { DIR_MODE, ensurePrivateDir } from "./atomic-write.js";
import { fsFailure } from "./fs-errors.js";

/**
 * How long another process may hold a lock before we give up. Holders only do a read, a small
 * computation and one atomic write (network calls happen outside), so a few seconds of waiting means
 * contention, and 15 s means something is wrong.
 */
const LOCK_WAIT_MS = 15_000;
/**
 * A lock whose holder stopped refreshing it for this long is considered abandoned (crashed holder).
 * Holders refresh every second (LOCK_UPDATE_MS, proper-lockfile's minimum) and hold for milliseconds,
 * so only a holder whose event loop froze for over 4 s can lose a live lock, and its write then fails
 * (LOCK_COMPROMISED) instead of landing. A longer stale time would only make everyone wait longer
 * after a holder was SIGKILLed or lost power: proper-lockfile dates a new lock up to 1 s ahead, so
 * such a lock blocks for up to LOCK_STALE_MS + 1 s, which must stay well below LOCK_WAIT_MS.
 */
const LOCK_STALE_MS = 5_000;
const LOCK_UPDATE_MS = 1_000;
/**
 * A holder whose event loop was frozen this long may already have been declared abandoned (its last
 * refresh can be a second older still, and the new lock's date a second younger): it must not write.
 */
const MAX_FROZEN_MS = LOCK_STALE_MS - 2 * LOCK_UPDATE_MS;
/** Longest pause between two attempts to take a busy lock. */
const LOCK_POLL_MAX_MS = 50;

const inProcessTails = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding the cross-process lock for `path` (proper-lockfile: a `<path>.lock`
 * directory whose mtime the holder keeps fresh). Callers in the same process queue up in order first,
 * so we never spin on a lock we hold ourselves. Failing to get the lock is an error, never an unlocked
 * run; a lock that was taken over while we held it (we stalled past the stale time) fails the write.
 */
export async function withFileLock<T>(
  path: string,
  fn: (assertHeld: () => void) => Promise<T>,
  opts: { waitMs?: number; foreignDir?: boolean } = {},
): Promise<T> {
  const previous = inProcessTails.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  inProcessTails.set(path, tail);
  try {
    await previous.catch(() => {});
    return await lockAcrossProcesses(path, fn, opts.waitMs ?? LOCK_WAIT_MS, opts.foreignDir ?? false);
  } finally {
    release();
    if (inProcessTails.get(path) === tail) inProcessTails.delete(path);
  }
}

async function lockAcrossProcesses<T>(
  path: string,
  fn: (assertHeld: () => void) => Promise<T>,
  waitMs: number,
  foreignDir: boolean,
): Promise<T> {
  const lockfile = await import("proper-lockfile");
  // A file kept outside the state dir (`TESSERA_CONFIG=~/tessera.json`) must not make us chmod the
  // user's own directory; its dir is only created when missing.
  if (foreignDir)
    await mkdir(dirname(path), { recursive: true, mode: DIR_MODE }).catch((err) => {
      throw fsFailure(err, dirname(path), "create the directory");
    });
  else await ensurePrivateDir(dirname(path));
  let compromised: Error | undefined;
  let unlock!: () => Promise<void>;
  // Our own retry loop rather than proper-lockfile's: that one retries every error, so a read-only
  // or full disk (EROFS, ENOSPC, EPERM on the lock's mkdir) made a command wait the whole `waitMs`
  // before saying so. Only ELOCKED (someone holds it) is waited out. Many short waits rather than a
  // few long ones: holders are quick; the pauses grow from 5 ms to LOCK_POLL_MAX_MS.
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(pause * 1.2, LOCK_POLL_MAX_MS)) {
    try {
      unlock = await lockfile.lock(path, {
        realpath: false,
        stale: LOCK_STALE_MS,
        update: LOCK_UPDATE_MS,
        retries: 0,
        onCompromised: (err) => {
          compromised = err;
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED")
        throw fsFailure(err, `${path}.lock`, "create the lock");
      if (Date.now() >= deadline) {
        throw new TesseraError(
          "LOCK_BUSY",
          `could not lock ${path}: another process has held ${path}.lock for over ${Math.round(waitMs / 1000)}s`,
          `wait for the other tessera command to finish; if none is running, remove the directory ${path}.lock`,
          { cause: err },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
    }
  }
  // proper-lockfile only notices a takeover on its next refresh timer, and after a frozen event loop
  // our own continuation runs before any timer: the write would land on top of the new holder's, and
  // unlocking would remove the new holder's lock. A heartbeat of our own tells us we were frozen long
  // enough for the lock to look abandoned.
  let lastBeat = Date.now();
  let froze = false;
  const beat = () => {
    const now = Date.now();
    if (now - lastBeat > MAX_FROZEN_MS) froze = true;
    lastBeat = now;
  };
  const heartbeat = setInterval(beat, LOCK_UPDATE_MS / 4);
  heartbeat.unref();
  const assertHeld = () => {
    beat();
    if (compromised || froze) {
      throw new TesseraError(
        "LOCK_COMPROMISED",
        `lost the lock on ${path} while writing (this process stalled for over ${MAX_FROZEN_MS / 1000}s); nothing was written`,
        "run the command again",
        { cause: compromised },
      );
    }
  };
  try {
    return await fn(assertHeld);
  } finally {
    clearInterval(heartbeat);
    beat();
    // Let proper-lockfile's overdue refresh look first: it marks a lock that is no longer ours as
    // compromised, and then unlock() leaves it alone instead of removing another process's lock.
    if (froze && !compromised) await new Promise((resolve) => setTimeout(resolve, LOCK_UPDATE_MS));
    await unlock().catch(() => {});
  }
}
