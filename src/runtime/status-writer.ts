import { writeFileAtomic } from "../files/atomic-write.js";
import type { AdapterIdentity, AdapterLog } from "../router/adapter.js";
import type { Channel } from "../router/types.js";
import type { AdapterState, AdapterStatus, GatewayStatus } from "./gateway-status.js";

/** The status file is rewritten at most this often, however busy the gateway is. */
export const STATUS_WRITE_INTERVAL_MS = 1_000;

/**
 * Keeps the running gateway's status file (`gateway-status.ts`) in step with what happens: adapter
 * states, errors, messages handled, config reloads. Every change marks the file dirty; it is written
 * atomically at once when the last write is a second old, else once that second is up, so a burst
 * of messages costs one write a second and a reader never sees a torn file. A failed write is logged
 * once and retried with the next change: the status file is a view, never a reason to stop answering.
 */
export class GatewayStatusWriter {
  private readonly status: GatewayStatus;
  private lastWriteAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private failing = false;

  constructor(
    private readonly path: string,
    initial: Omit<GatewayStatus, "adapters" | "updatedAt" | "restartNeeded">,
    private readonly log: AdapterLog,
    /** Cleans error texts of secrets before they are written (the gateway passes its log's redaction). */
    private readonly scrub: (text: string) => string,
    private readonly now: () => number = Date.now,
  ) {
    this.status = { ...initial, restartNeeded: [], adapters: [], updatedAt: now() };
  }

  /** An adapter the gateway is starting. */
  connecting(channel: Channel): void {
    const entry = this.adapter(channel);
    this.setState(entry, "connecting");
  }

  /** The platform accepted the bot. */
  ready(identity: AdapterIdentity): void {
    const entry = this.adapter(identity.channel);
    entry.identity = `${identity.name}${identity.id ? ` (id ${identity.id})` : ""}`;
    this.setState(entry, "ready");
  }

  /** The adapter lost its connection (and is retrying), got it back, or cannot connect yet at start. */
  connection(channel: Channel, state: "connecting" | "ready" | "reconnecting", error?: string): void {
    const entry = this.adapter(channel);
    if (error) this.recordError(entry, error);
    this.setState(entry, state);
  }

  /** An error worth showing in `gateway status` (a failed start, a failure while running). */
  error(channel: Channel, error: string): void {
    this.recordError(this.adapter(channel), error);
    this.changed();
  }

  /** One message of this channel was handled. */
  handled(channel: Channel): void {
    this.adapter(channel).messagesHandled++;
    this.changed();
  }

  /** The config in use and what a reload could not take. */
  config(change: { loadedAt?: number; error?: string | undefined; restartNeeded?: string[] }): void {
    if (change.loadedAt !== undefined) this.status.configLoadedAt = change.loadedAt;
    if ("error" in change) this.status.configError = change.error && this.scrub(change.error);
    if (change.restartNeeded) this.status.restartNeeded = change.restartNeeded;
    this.changed();
  }

  /** The gateway stopped in order: every adapter is stopped and the file says so, written at once. */
  async stopped(): Promise<void> {
    // Set first: a state change below may write at once, and that write must already say "stopped".
    this.status.stoppedAt = this.now();
    for (const entry of this.status.adapters) if (entry.state !== "stopped") this.setState(entry, "stopped");
    this.dirty = true;
    await this.flush();
  }

  /** Writes any pending change now (start-up, shutdown, tests). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.dirty) await this.write();
  }

  private adapter(channel: Channel): AdapterStatus {
    let entry = this.status.adapters.find((a) => a.channel === channel);
    if (!entry) {
      entry = { channel, state: "connecting", since: this.now(), messagesHandled: 0 };
      this.status.adapters.push(entry);
    }
    return entry;
  }

  private setState(entry: AdapterStatus, state: AdapterState): void {
    if (entry.state !== state) {
      entry.state = state;
      entry.since = this.now();
    }
    this.changed();
  }

  private recordError(entry: AdapterStatus, error: string): void {
    const clean = this.scrub(error);
    entry.lastError = clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
    entry.lastErrorAt = this.now();
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.writing) return;
    const wait = this.lastWriteAt + STATUS_WRITE_INTERVAL_MS - this.now();
    if (wait <= 0) void this.write();
    else this.schedule(wait);
  }

  private schedule(wait: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, wait);
    this.timer.unref();
  }

  private write(): Promise<void> {
    this.dirty = false;
    this.lastWriteAt = this.now();
    this.status.updatedAt = this.lastWriteAt;
    const text = `${JSON.stringify(this.status, null, 2)}\n`;
    this.writing = writeFileAtomic(this.path, text)
      .then(
        () => {
          this.failing = false;
        },
        (err: unknown) => {
          this.dirty = true;
          if (!this.failing) {
            this.failing = true;
            this.log.warn(`could not write the gateway status file: ${(err as Error).message}`, {
              fix: (err as { hint?: string }).hint,
            });
          }
        },
      )
      .finally(() => {
        this.writing = undefined;
        // Changes that came in while writing go out after the interval.
        if (this.dirty && !this.timer && !this.failing) this.schedule(STATUS_WRITE_INTERVAL_MS);
      });
    return this.writing;
  }
}
