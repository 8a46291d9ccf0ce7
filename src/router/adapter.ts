import type { ArgChoice, CommandArg } from "./registry.js";
import type { Channel, IncomingMessage, Reply } from "./types.js";

/**
 * The contract between the gateway and one chat platform. An adapter is a thin translator: platform
 * event → `IncomingMessage` handed to `host.dispatch`, neutral `Reply` → platform call in `deliver`.
 * Everything another surface would also need (access, sessions, paging, tokens, ordering, shutdown)
 * is the host's.
 */
export interface ChatAdapter {
  readonly channel: Channel;
  /**
   * Connects and starts taking messages; resolves once the platform accepted the bot (the identity
   * is logged). Rejects with an error that names the fix (bad token, missing permission).
   */
  start(host: AdapterHost): Promise<AdapterIdentity>;
  /**
   * Stops taking new messages (polling, the gateway socket, stdin). Replies to messages already
   * dispatched must still be deliverable until `close`.
   */
  stop(): Promise<void>;
  /** Releases what is left once every in-flight reply was delivered or given up. */
  close?(): Promise<void>;
}

/** Who the adapter is on its platform, for the start-up log line. */
export interface AdapterIdentity {
  channel: Channel;
  /** `@tessera_bot`, `Tessera#0000`, `console`. */
  name: string;
  id?: string;
  /** Anything else worth one log line (`ready in 3 guilds`). */
  detail?: string;
}

/** How the host delivers one message's answer through the adapter that received it. */
export interface Delivery {
  /** Sends the replies, in order; called once per dispatched message (an empty list means silence). */
  deliver(replies: Reply[]): Promise<void>;
  /** Receives an answer's text while the model streams it (adapters that can show drafts). */
  onDelta?: (text: string) => void;
}

/** A command as platform menus list it (Telegram `setMyCommands`, Discord application commands). */
export interface MenuCommand {
  name: string;
  description: string;
  args: CommandArg[];
  /** Only owners may run it: list it in owner-scoped menus only. */
  ownersOnly: boolean;
  /**
   * The text a native invocation stands for (Discord `/model model:opus profile:anthropic:work` →
   * `/model opus@anthropic:work`), so native commands go through the same parser as typed ones.
   */
  toText(values: Record<string, string | undefined>): string;
}

/** Structured log lines; the host's logger redacts known secrets from every line. */
export interface AdapterLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the gateway gives an adapter. */
export interface AdapterHost {
  /**
   * Hands a message to the router and delivers its answer. Messages of one session run one at a
   * time in arrival order; different sessions run concurrently. Resolves when the answer was
   * delivered (or nothing was to be sent); never rejects.
   */
  dispatch(message: IncomingMessage, delivery: Delivery): Promise<void>;
  /** Suggestions for a command argument being typed (see `Router.autocomplete`). */
  autocomplete(request: {
    message: IncomingMessage;
    command: string;
    arg: string;
    values: Record<string, string | undefined>;
  }): Promise<ArgChoice[]>;
  /** The chat commands, for the platform's command menu. */
  readonly commands: MenuCommand[];
  /**
   * Owner ids on this platform (`access.owners` without the `telegram:` prefix), as the config says
   * now: a config reload changes them while the adapter runs.
   */
  readonly owners: string[];
  readonly log: AdapterLog;
  /** Reports an adapter that cannot go on (token revoked while running): the gateway stops with it. */
  fail(error: Error): void;
  /**
   * Reports the connection to the platform lost (the adapter retries by itself), back, or not there
   * yet while starting (`connecting` with the error of the attempt that failed), for `tessera gateway
   * status`; the adapter still logs the event itself.
   */
  connection(state: "connecting" | "ready" | "reconnecting", error?: string): void;
}
