/**
 * The levels `tessera gateway --log-level` accepts, quietest last. A file of its own so the CLI's
 * option declaration can name them without loading the logger.
 */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
