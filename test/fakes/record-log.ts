/**
 * An append-only list a platform stand-in records into (Telegram Bot API calls; Discord REST
 * requests, gateway frames, interaction callbacks) that a test can also wait on.
 *
 * Each record satisfies at most one `waitFor`, so consecutive waits for "the bot posted a message"
 * see consecutive posts rather than the same one twice.
 */
export class RecordLog<T> {
  readonly all: T[] = [];
  private readonly taken = new Set<T>();
  private readonly pending = new Set<() => void>();

  constructor(
    /** Names the log in timeout messages, e.g. "request". */
    private readonly noun: string,
    /** One line per record for timeout messages, so a failed wait shows what did arrive. */
    private readonly describe: (record: T) => string,
  ) {}

  push(record: T): void {
    this.all.push(record);
    this.notify();
  }

  /** Wakes the waiters, e.g. after a recorded request got its response. */
  notify(): void {
    for (const check of [...this.pending]) check();
  }

  /**
   * Resolves with the earliest record matching `predicate` that no earlier wait returned, waiting for
   * it if need be; rejects after `timeoutMs` listing what was recorded.
   */
  waitFor(predicate: (record: T) => boolean, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.all.find((record) => !this.taken.has(record) && predicate(record));
        if (found === undefined) return;
        this.taken.add(found);
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake: no matching ${this.noun} within ${timeoutMs}ms; seen: ${this.summary()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.pending.delete(check);
      };
      this.pending.add(check);
      check();
    });
  }

  close(): void {
    this.pending.clear();
  }

  private summary(): string {
    const lines = this.all.map(this.describe);
    return lines.length === 0 ? "none" : lines.slice(-20).join(", ");
  }
}
