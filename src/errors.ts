/**
 * The one error type Tessera throws on purpose.
 *
 * Every failure a person can fix carries the fix: `hint` is the command or setting that resolves it,
 * printed by the CLI as `  fix: …` and shown in chat below the message. `code` is stable for scripts
 * and tests; `message` names what was wrong (a path, a flag, a profile id) and never a secret.
 */
export class TesseraError extends Error {
  override readonly name = "TesseraError";
  constructor(
    readonly code: TesseraErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Stable machine-readable codes; add here rather than inventing strings at call sites. */
export type TesseraErrorCode =
  | "CONFIG_INVALID"
  | "CONFIG_PARSE"
  | "FILE_CORRUPT"
  | "FILE_INVALID"
  | "FILE_IO"
  | "FILE_LINK"
  | "FILE_TYPE"
  | "LOCK_BUSY"
  | "LOCK_COMPROMISED"
  | "PROFILE_NOT_FOUND"
  | "PROFILE_PROVIDER_MISMATCH"
  | "PROFILE_INVALID"
  | "PROVIDER_UNKNOWN"
  | "MODEL_UNKNOWN"
  | "MODEL_NOT_ALLOWED"
  | "AGENT_UNKNOWN"
  | "TOKEN_INVALID"
  | "DURATION_INVALID"
  | "NO_CREDENTIAL"
  | "NEEDS_TTY"
  | "CLAUDE_MISSING"
  | "CLAUDE_CODE_UNREADABLE"
  | "OAUTH_FAILED"
  | "OAUTH_STATE_MISMATCH"
  | "PROVIDER_ERROR"
  | "USAGE"
  | "PARTLY_DONE"
  | "CHANNEL_FAILED"
  | "GATEWAY_RUNNING"
  | "GATEWAY_NOTHING_ENABLED";

export function isTesseraError(err: unknown): err is TesseraError {
  return err instanceof TesseraError;
}
