import { stat } from "node:fs/promises";
import type { JsonStateFile } from "../files/json-state-file.js";
import { type AuthStateFile, recordSuccess } from "./auth-state.js";

/**
 * How long a success waits in memory before it is written to `auth-state.json`. Every success in
 * that second (any number of messages, any profiles) lands in one locked write, instead of one
 * locked, fsynced write per model answer.
 */
export const SUCCESS_FLUSH_DELAY_MS = 1_000;
/** A write that failed (read-only or full disk) is retried with this delay doubling up to… */
const RETRY_MAX_MS = 60_000;

interface Success {
  id: string;
  provider: string;
  at: number;
}

/**
 * The bookkeeping after a model answer (`lastUsed`, `lastGood`, marks cleared), coalesced. Why it
 * stays correct:
 *
 * - **This process** sees its own successes at once: `AuthStore.load()` lays the unwritten ones over
 *   what it read (`overlay`), so the resolver's least-recently-used order and `lastGood` move with
 *   every answer, as before.
 * - **Other processes** see them within `SUCCESS_FLUSH_DELAY_MS`. Each flush is an ordinary locked
 *   read-modify-write that re-reads the file, so nothing another process wrote is lost, and it
 *   applies each success with its own time (`recordSuccess`): a failure recorded later by anyone
 *   keeps its marks, a later success elsewhere keeps `lastGood`. Batches may land in any order.
 * - **Nothing is lost at exit**: when the event loop empties (`tessera chat` at the end of its
 *   input, the gateway after shutdown) the pending successes are written before the process ends.
 *   A process killed outright loses at most the last second of `lastUsed`/`lastGood` — hints for
 *   ordering, never a credential or a failure mark (failures are still written at once).
 * - A state dir that no longer exists is not re-created for them (the installation or a test's
 *   temp dir was removed), and a failed write is kept and retried, its error handed to the next
 *   caller of `takeFailure` (the agent turn reports it) — never thrown at a model answer.
 */
export class DeferredSuccesses {
  private readonly pending = new Map<string, Success>();
  /** The batch being written right now: still laid over reads until it has landed. */
  private writing: Success[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = SUCCESS_FLUSH_DELAY_MS;
  private failure: Error | undefined;

  constructor(
    private readonly file: JsonStateFile<AuthStateFile>,
    private readonly stateDir: string,
  ) {}

  /** Records a success to be written with the next batch. */
  add(id: string, provider: string, at: number): void {
    const key = `${provider}\u0000${id}`;
    const previous = this.pending.get(key);
    if (!previous || previous.at <= at) this.pending.set(key, { id, provider, at });
    this.schedule(this.retryMs);
    watchExit();
  }

  /** Applies the successes not yet on disk to a state just read from it. */
  overlay(state: AuthStateFile): AuthStateFile {
    for (const s of [...this.writing, ...this.pending.values()]) recordSuccess(state, s.id, s.provider, s.at);
    return state;
  }

  /** Drops the unwritten successes of a profile being removed, so a flush cannot bring it back. */
  forget(id: string): void {
    for (const [key, s] of this.pending) if (s.id === id) this.pending.delete(key);
  }

  /** Whether anything waits to be written. */
  get idle(): boolean {
    return this.pending.size === 0 && this.flushing === undefined;
  }

  /** Writes every pending success now (one locked write); rejects when that write fails. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
    if (this.pending.size === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.writing = batch;
    this.flushing = this.write(batch).finally(() => {
      this.writing = [];
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** The last write failure not yet reported, if any (and forgets it). */
  takeFailure(): Error | undefined {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }

  /** Gives up on what is pending (at exit, after the last attempt failed). */
  discard(): void {
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async write(batch: Success[]): Promise<void> {
    try {
      if (
        !(await stat(this.stateDir).then(
          () => true,
          () => false,
        ))
      )
        return;
      await this.file.update((state) => {
        for (const s of batch) recordSuccess(state, s.id, s.provider, s.at);
      });
      this.retryMs = SUCCESS_FLUSH_DELAY_MS;
    } catch (err) {
      for (const s of batch) {
        const key = `${s.provider}\u0000${s.id}`;
        const newer = this.pending.get(key);
        if (!newer || newer.at < s.at) this.pending.set(key, s);
      }
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      this.schedule(this.retryMs);
      throw this.failure;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, delayMs);
    // The timer alone does not keep a process alive; the exit hook below writes what is left.
    this.timer.unref();
  }
}

/** One ledger per `auth-state.json`, shared by every AuthStore of this process on that file. */
const ledgers = new Map<string, DeferredSuccesses>();

/** The ledger of the state file at `file.path`. */
export function deferredSuccessesFor(
  file: JsonStateFile<AuthStateFile>,
  stateDir: string,
): DeferredSuccesses {
  let ledger = ledgers.get(file.path);
  if (!ledger) {
    ledger = new DeferredSuccesses(file, stateDir);
    ledgers.set(file.path, ledger);
  }
  return ledger;
}

/** Writes every ledger's pending successes now; for an orderly shutdown and for tests. */
export async function flushDeferredSuccesses(): Promise<void> {
  await Promise.allSettled([...ledgers.values()].map((ledger) => ledger.flush()));
}

let watchingExit = false;

/**
 * `beforeExit` fires when the event loop has nothing left to do; the write it starts keeps the
 * process alive until it is done, then `beforeExit` fires again with nothing pending. One attempt:
 * a write that fails at exit is reported on stderr and given up, so the process still ends.
 */
function watchExit(): void {
  if (watchingExit) return;
  watchingExit = true;
  process.on("beforeExit", () => {
    const busy = [...ledgers.entries()].filter(([, ledger]) => !ledger.idle);
    if (busy.length === 0) return;
    void Promise.all(
      busy.map(([path, ledger]) =>
        ledger.flush().catch((err: Error) => {
          ledger.discard();
          ledger.takeFailure();
          process.stderr.write(`warning: could not record credential usage in ${path}: ${err.message}\n`);
        }),
      ),
    );
  });
}
