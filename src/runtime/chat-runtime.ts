import { redactSecrets } from "../auth/mask.js";
import { closeProviderPool } from "../models/providers/http-pool.js";
import type { AdapterHost, AdapterLog, Delivery, MenuCommand } from "../router/adapter.js";
import type { Router } from "../router/router.js";
import type { IncomingMessage, PlainMessageHandler } from "../router/types.js";
import { sessionKeyFor } from "../sessions/session-key.js";
import { chatCommandRegistry, composeRouter } from "./compose.js";
import type { AgentServices } from "./services.js";
import { SessionQueue } from "./session-queue.js";

/** What a person whose answer was cut off by a shutdown is told instead. */
export const SHUTDOWN_NOTICE =
  "The gateway is restarting, so this answer was cut off. Send your message again in a moment.";

export interface ChatRuntimeOptions {
  services: AgentServices;
  log: AdapterLog;
  /** The agent turn; tests may pass their own. */
  onPlainMessage?: PlainMessageHandler;
  /**
   * Sent instead of the answer to a message whose model call a shutdown cancelled (the gateway:
   * `SHUTDOWN_NOTICE`). Without it the answer says what happened itself ("… was cancelled"), which
   * suits the console, where the person pressed Ctrl-C.
   */
  cutOffNotice?: string;
  now?: () => number;
  /** Called once per message handled (answered, or deliberately left unanswered), for the status file. */
  onHandled?: (channel: IncomingMessage["channel"]) => void;
  /** Called when an adapter reports its connection lost or back (`AdapterHost.connection`). */
  onConnection?: (
    channel: IncomingMessage["channel"],
    state: "connecting" | "ready" | "reconnecting",
    error?: string,
  ) => void;
}

/**
 * The one chat lifecycle every surface runs on (`tessera chat`, `tessera gateway` and each of its
 * adapters): the router wired to the agent's stores, per-session ordering, per-message streaming and
 * cancellation, and an orderly end — stop taking messages, let answers in flight finish within a
 * bound, cancel the rest, close the provider connections.
 */
export class ChatRuntime {
  readonly router: Router;
  private readonly queue = new SessionQueue();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private accepting = true;

  constructor(private readonly opts: ChatRuntimeOptions) {
    this.router = composeRouter({
      services: opts.services,
      onPlainMessage: opts.onPlainMessage,
      now: opts.now,
      log: (line) => opts.log.warn(line),
    });
  }

  /**
   * Routes one message and delivers its answer; see `AdapterHost.dispatch`. A message that arrives
   * after `stopAccepting` is dropped with a log line (adapters stop their intake first, so this is
   * only what was already on its way).
   */
  dispatch(message: IncomingMessage, delivery: Delivery): Promise<void> {
    if (!this.accepting) {
      this.opts.log.warn("dropped a message that arrived during shutdown", { channel: message.channel });
      return Promise.resolve();
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    const key = safeSessionKey(this.opts.services.agentId, message);
    const task = this.queue
      .run(key, async () => {
        let replies = await this.router.handle(message, {
          onDelta: delivery.onDelta,
          signal: controller.signal,
        });
        if (controller.signal.aborted && this.opts.cutOffNotice) replies = [{ text: this.opts.cutOffNotice }];
        await delivery.deliver(replies);
        this.opts.onHandled?.(message.channel);
      })
      .catch((err) => {
        this.opts.log.error("could not deliver a reply", {
          channel: message.channel,
          error: redactSecrets(err instanceof Error ? err.message : String(err)),
        });
      })
      .finally(() => {
        this.controllers.delete(controller);
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
    return task;
  }

  /** The host an adapter is started with: dispatch, autocomplete, the command menu, owners, the log. */
  hostFor(channel: IncomingMessage["channel"], log: AdapterLog, fail: (error: Error) => void): AdapterHost {
    const { services } = this.opts;
    const prefix = `${channel}:`;
    return {
      dispatch: (message, delivery) => this.dispatch(message, delivery),
      autocomplete: (request) => this.router.autocomplete(request),
      commands: commandMenu(),
      // Read at each use: a config reload replaces services.config.
      get owners() {
        return services.config.access.owners
          .filter((o) => o.startsWith(prefix))
          .map((o) => o.slice(prefix.length));
      },
      log,
      fail,
      connection: (state, error) => this.opts.onConnection?.(channel, state, error),
    };
  }

  /** Messages being answered right now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** From now on messages are dropped (see `dispatch`). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Waits for answers in flight, at most `graceMs`; then cancels the model calls still running (their
   * chats are told to send again) and waits for those deliveries, at most `afterAbortMs` more.
   * Returns how many had to be cancelled.
   */
  async drain(graceMs: number, afterAbortMs = 2_000): Promise<{ cancelled: number }> {
    if (this.inFlight.size === 0) return { cancelled: 0 };
    const settled = await settleWithin([...this.inFlight], graceMs);
    if (settled) return { cancelled: 0 };
    const cancelled = this.controllers.size;
    for (const controller of this.controllers) controller.abort();
    await settleWithin([...this.inFlight], afterAbortMs);
    return { cancelled };
  }

  /** Closes the provider connection pool; the last step of a shutdown. */
  async close(): Promise<void> {
    await closeProviderPool();
  }
}

/** The chat commands as platform menus list them. */
export function commandMenu(): MenuCommand[] {
  return chatCommandRegistry().menu();
}

/** The session a message belongs to, or a key of its own when the message is malformed (the router drops it). */
function safeSessionKey(agentId: string, message: IncomingMessage): string {
  try {
    return sessionKeyFor(agentId, message);
  } catch {
    return `malformed:${Math.random()}`;
  }
}

/** True when every promise settled within `ms`. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const all = Promise.allSettled(promises).then(() => true as const);
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
