/**
 * Runs tasks one at a time per key, in the order they were queued, and tasks of different keys
 * concurrently. The gateway keys by session, so two messages of one chat never interleave (the
 * second sees the first's pin and history) while a slow model answer in one chat holds up no other.
 */
export class SessionQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Queues `task` behind the tasks already queued for `key`; resolves or rejects with it. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests and the status line). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
