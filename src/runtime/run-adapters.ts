import { isTesseraError } from "../errors.js";
import type { AdapterIdentity, AdapterLog, ChatAdapter } from "../router/adapter.js";
import type { ChatRuntime } from "./chat-runtime.js";
import type { GatewayStatusWriter } from "./status-writer.js";

/** How long answers in flight may take to finish after a stop was asked for (PRODUCT §6.12). */
export const SHUTDOWN_GRACE_MS = 10_000;

export interface RunAdaptersOptions {
  runtime: ChatRuntime;
  adapters: ChatAdapter[];
  log: AdapterLog & { child(channel: string): AdapterLog };
  /** Answers in flight get this long after a stop; then they are cancelled. */
  graceMs?: number;
  /**
   * Resolves when the surface should end by itself (the console reached end of input). Signals end
   * it in any case.
   */
  until?: Promise<void>;
  /** Handles SIGINT/SIGTERM (a second one exits at once). Off in tests that drive `stop` themselves. */
  signals?: boolean;
  /** The gateway's status file: each adapter's state and errors go there too. */
  status?: GatewayStatusWriter;
  /** Called once every adapter is ready, with their identities. */
  onReady?: (identities: AdapterIdentity[]) => void;
}

/**
 * Runs chat adapters on one runtime until a signal (SIGINT/SIGTERM), an adapter failure or `until`,
 * then shuts down in order: adapters stop taking messages, the runtime stops accepting, answers in
 * flight finish within the grace period (the rest are cancelled and their chats told), adapters
 * close, the provider pool closes. Resolves with the exit code: 0 for a requested stop, 1 when an
 * adapter failed to start or failed while running. A second signal during shutdown exits at once.
 */
export async function runAdapters(opts: RunAdaptersOptions): Promise<number> {
  const { runtime, adapters, log, status } = opts;
  let failure: Error | undefined;
  let stopRequested!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`second ${signal}: exiting now without waiting for answers in flight`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stopRequested(signal);
  };
  if (opts.signals !== false) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  void opts.until?.then(() => stopRequested("end of input"));

  try {
    const starting = Promise.allSettled(
      adapters.map((adapter) => {
        status?.connecting(adapter.channel);
        const started = adapter.start(
          runtime.hostFor(adapter.channel, log.child(adapter.channel), (error) => {
            failure ??= error;
            log.error(`${adapter.channel} stopped working: ${describe(error)}`, hintOf(error));
            status?.error(adapter.channel, describe(error));
            stopRequested(`${adapter.channel} failed`);
          }),
        );
        started.then(
          (identity) => status?.ready(identity),
          (error) => status?.error(adapter.channel, describe(error)),
        );
        return started;
      }),
    );
    // A signal while an adapter is still connecting (an unreachable platform) stops at once.
    const first = await Promise.race([starting, stopped]);
    if (Array.isArray(first)) {
      const failed = first.flatMap((r, i) => (r.status === "rejected" ? [{ r, adapter: adapters[i]! }] : []));
      if (failed.length > 0) {
        for (const { r, adapter } of failed) {
          const error = (r as PromiseRejectedResult).reason;
          failure ??= error instanceof Error ? error : new Error(String(error));
          log.error(`${adapter.channel} could not start: ${describe(error)}`, hintOf(error));
        }
        stopRequested("start-up failed");
      } else {
        const identities = first.map((r) => (r as PromiseFulfilledResult<AdapterIdentity>).value);
        for (const id of identities) {
          log.info(
            `${id.channel}: ${id.name}${id.id ? ` (id ${id.id})` : ""}${id.detail ? ` ${id.detail}` : ""}`,
          );
        }
        opts.onReady?.(identities);
      }
    }

    const reason = await stopped;
    stopping = true;
    log.info(`stopping (${reason}); ${runtime.pending} answer(s) in flight`);
    await Promise.allSettled(adapters.map((a) => a.stop()));
    runtime.stopAccepting();
    const { cancelled } = await runtime.drain(opts.graceMs ?? SHUTDOWN_GRACE_MS);
    if (cancelled > 0) log.warn(`cancelled ${cancelled} answer(s) still running after the grace period`);
    await Promise.allSettled(adapters.map((a) => a.close?.()));
    await runtime.close();
    log.info("stopped");
    return failure ? 1 : 0;
  } finally {
    if (opts.signals !== false) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The fix of a Tessera error as a log field, so the line says what to do. */
function hintOf(error: unknown): Record<string, unknown> | undefined {
  return isTesseraError(error) && error.hint ? { fix: error.hint } : undefined;
}
