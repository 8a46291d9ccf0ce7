import { rm } from "node:fs/promises";
import { join } from "node:path";
import { TesseraError } from "../errors.js";
import { DIR_MODE, ensurePrivateDir, writeFileAtomic } from "../files/atomic-write.js";
import { readTextIfExists } from "../files/json-state-file.js";
import { chmodIfOurs } from "../files/state-file-checks.js";
import { isAlive } from "./gateway-status.js";

/** Held while a gateway runs: `<state>/gateway.lock` (a proper-lockfile lock directory). */
const LOCK_NAME = "gateway";
/** Beside the lock: who holds it, so a second gateway can name the first. */
const PID_FILE = "gateway.pid";
/** A holder that stopped refreshing its lock this long ago is gone (killed, lost power). */
const STALE_MS = 10_000;

/** A held gateway lock; `release` gives it back (idempotent). */
export interface GatewayLock {
  release(): Promise<void>;
}

/**
 * One gateway per state dir: two would poll the same bots (Telegram answers the second with 409) and
 * answer every message twice. Taking the lock fails at once, naming the running gateway's pid; a
 * lock left by a gateway that died is taken over (its pid no longer runs, or it went stale).
 */
export async function acquireGatewayLock(stateDir: string): Promise<GatewayLock> {
  const lockfile = await import("proper-lockfile");
  const target = join(stateDir, LOCK_NAME);
  const pidPath = join(stateDir, PID_FILE);
  await ensurePrivateDir(stateDir);
  const take = () =>
    lockfile.lock(target, { realpath: false, stale: STALE_MS, update: STALE_MS / 4, retries: 0 });
  let unlock: () => Promise<void>;
  try {
    unlock = await take();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
    const holder = await readHolder(pidPath);
    if (holder !== undefined && isAlive(holder)) throw runningError(stateDir, holder);
    // The holder is gone without cleaning up: its lock is ours to take.
    await rm(`${target}.lock`, { recursive: true, force: true });
    try {
      unlock = await take();
    } catch {
      throw runningError(stateDir, holder);
    }
  }
  // proper-lockfile makes its directory with the default mode; state dirs are 0700.
  await chmodIfOurs(`${target}.lock`, DIR_MODE).catch(() => {});
  await writeFileAtomic(pidPath, `${JSON.stringify({ pid: process.pid, startedAt: Date.now() })}\n`);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await rm(pidPath, { force: true });
      await unlock().catch(() => {});
    },
  };
}

async function readHolder(pidPath: string): Promise<number | undefined> {
  try {
    const pid = JSON.parse((await readTextIfExists(pidPath)) ?? "null")?.pid;
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function runningError(stateDir: string, pid: number | undefined): TesseraError {
  const who = pid === undefined ? "another tessera gateway" : `another tessera gateway (pid ${pid})`;
  return new TesseraError(
    "GATEWAY_RUNNING",
    `${who} is already running on the state dir ${stateDir}`,
    pid === undefined
      ? "stop the other gateway first, or give this one its own --state-dir"
      : `stop it first (kill ${pid}), or give this one its own --state-dir`,
  );
}
