import type { Logger, LoggerOptions } from "pino";
import { redactSecrets } from "../auth/mask.js";
import { showControlChars } from "../control-chars.js";
import type { AdapterLog } from "../router/adapter.js";
import type { LogLevel } from "./log-levels.js";

/** The gateway's log: structured lines, one child per adapter (`{"channel":"telegram",…}`). */
export interface GatewayLog extends AdapterLog {
  child(channel: string): GatewayLog;
}

export interface GatewayLogOptions {
  level: LogLevel;
  /** Human-readable, coloured lines (a terminal) instead of JSON lines (a service manager, a file). */
  pretty: boolean;
  /**
   * Every secret the gateway knows (credentials, bot tokens), read when a line is written so a
   * credential added while running is covered too. Each is replaced by its mask in every string of
   * every line, whatever the code that logged it passed in.
   */
  secrets: () => readonly string[];
  /** File descriptor to write to; 2 (stderr) keeps stdout free for the console adapter. */
  fd?: number;
}

/** Field names whose values are never written, whatever they hold. */
const REDACTED_FIELDS = [
  "token",
  "botToken",
  "key",
  "access",
  "refresh",
  "secret",
  "authorization",
  "headers.authorization",
  "*.token",
  "*.botToken",
  "*.key",
  "*.access",
  "*.refresh",
  "*.secret",
  "*.authorization",
];

/**
 * Builds the gateway's logger on pino: JSON lines by default, pino-pretty on a terminal, written
 * synchronously (a line logged just before exit is never lost). Secrets are redacted by
 * construction: field names that hold secrets are censored, and every string — the message and each
 * field — passes through `redactSecrets` with the known secrets and the provider key shapes.
 *
 * Log lines carry text from chat (a message, a user's name, a provider's error). JSON escapes
 * control characters by itself; pino-pretty prints strings as they are, so on a terminal an escape
 * sequence in a chat message would act on the operator's terminal and a line break would forge a
 * log line. The pretty path therefore shows every control and format character as a visible escape
 * (`showControlChars`, line breaks included), in the message and in every field and key.
 */
export async function createGatewayLog(opts: GatewayLogOptions): Promise<GatewayLog> {
  const { default: pino } = await import("pino");
  const redact = (text: string) => redactSecrets(text, opts.secrets());
  const scrub = opts.pretty ? (text: string) => showControlChars(redact(text)) : redact;
  const key = opts.pretty ? (k: string) => showControlChars(k) : (k: string) => k;
  const options: LoggerOptions = {
    level: opts.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_FIELDS, censor: "[redacted]" },
    formatters: { log: (fields) => scrubFields(fields, scrub, key) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === "string" ? scrub(a) : a)) as Parameters<typeof method>,
        );
      },
    },
  };
  const fd = opts.fd ?? 2;
  let logger: Logger;
  if (opts.pretty) {
    const { default: pretty } = await import("pino-pretty");
    logger = pino(
      options,
      pretty({ destination: fd, sync: true, colorize: true, ignore: "pid", translateTime: "HH:MM:ss" }),
    );
  } else {
    logger = pino(options, pino.destination({ dest: fd, sync: true }));
  }
  return wrap(logger);
}

function wrap(logger: Logger): GatewayLog {
  const at =
    (level: "debug" | "info" | "warn" | "error") => (message: string, fields?: Record<string, unknown>) =>
      fields ? logger[level](fields, message) : logger[level](message);
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (channel) => wrap(logger.child({ channel })),
  };
}

/** Every string in a log line's fields, at any depth, through `scrub`, and every key through `key`. */
function scrubFields(
  value: unknown,
  scrub: (text: string) => string,
  key: (name: string) => string,
  depth = 0,
): unknown {
  if (typeof value === "string") return scrub(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { message: scrub(value.message), name: scrub(value.name) };
  if (Array.isArray(value)) return value.map((v) => scrubFields(v, scrub, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[key(k)] = scrubFields(v, scrub, key, depth + 1);
  return out;
}
