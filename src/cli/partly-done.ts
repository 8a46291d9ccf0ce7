import { TesseraError } from "../errors.js";

/**
 * The bookkeeping steps after a change that has landed (its audit line, clearing old marks, config
 * metadata): the change stays, and whatever failed is said with its fix, as one `PARTLY_DONE` error
 * at the end instead of a bare errno in the middle. Commands run the main write first, so a failure
 * there leaves nothing changed; everything after it is recorded here and reported together.
 */
export class StepLog {
  private readonly failed: { step: string; err: unknown }[] = [];

  /** Runs a step after the main change; a failure is recorded, not thrown. */
  async step(step: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (err) {
      this.failed.push({ step, err });
      return false;
    }
  }

  /** Records a step that failed elsewhere (inside a store call that also made the change). */
  record(step: string, err: unknown): void {
    this.failed.push({ step, err });
  }

  /** Whether a step failed (so a command does not print "done" before its `PARTLY_DONE` error). */
  get anyFailed(): boolean {
    return this.failed.length > 0;
  }

  /**
   * For a command whose first change was itself one of the steps (onboard with nothing to change in
   * the config): when nothing landed, the failure is an ordinary one, thrown as it came.
   */
  throwFirstFailure(): void {
    const first = this.failed[0];
    if (first) throw first.err;
  }

  /** Throws `PARTLY_DONE` naming what was done and each step that was not, with their fixes. */
  throwIfAnyFailed(done: string): void {
    if (this.failed.length === 0) return;
    const why = this.failed.map(({ step, err }) => `${step} was not done (${messageOf(err)})`).join("; ");
    const fixes = this.failed.map(({ err }) => hintOf(err)).filter((h): h is string => Boolean(h));
    throw new TesseraError(
      "PARTLY_DONE",
      `${done}, but ${why}`,
      [...new Set(fixes)].concat("then `tessera doctor --fix` completes what it can").join("; "),
    );
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hintOf(err: unknown): string | undefined {
  return err instanceof TesseraError ? err.hint : undefined;
}
