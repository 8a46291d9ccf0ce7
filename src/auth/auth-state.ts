import { z } from "zod";

/**
 * Hot, non-secret runtime state per agent (`auth-state.json`): when each profile was last used, its
 * failures, cooldowns and needs-reauth marks, and the last profile that worked per provider. Kept
 * apart from the secrets file so that using a credential never rewrites the secrets.
 */

export const FailureReasonSchema = z.enum(["rate_limit", "billing", "auth"]);
export type FailureReason = z.infer<typeof FailureReasonSchema>;

/**
 * What an `auth` failure's needs-reauth mark means, so every view picks the fix from data rather
 * than from the mark's words: `auth` (refused, or its refresh failed: log in again or replace it),
 * `claude_code_only` (Anthropic accepts it only from Claude Code; logging in again or a new
 * setup-token makes the same kind of credential, so the fix is an API key). Marks written before the
 * kind existed have none and read as `auth`; a kind this version does not know reads as none too,
 * never as a broken file. (It is a field of the mark, not a failure reason of its own, so the
 * per-reason counters keep keys that every version reads.)
 */
export const ReauthKindSchema = z.enum(["auth", "claude_code_only"]);
export type ReauthKind = z.infer<typeof ReauthKindSchema>;

export const ProfileUsageSchema = z.looseObject({
  lastUsed: z.number().optional(),
  lastFailureAt: z.number().optional(),
  /** Failures per reason inside the current window (reset after 24h without failure). */
  failureCounts: z.partialRecord(FailureReasonSchema, z.number().int().nonnegative()).default({}),
  cooldownUntil: z.number().optional(),
  disabledUntil: z.number().optional(),
  disabledReason: z.string().optional(),
  /** Set when a refresh or an auth failure means only the user can fix it; `reason` has secrets removed. */
  needsReauth: z
    .object({ at: z.number(), reason: z.string(), kind: ReauthKindSchema.optional().catch(undefined) })
    .optional(),
});

export const AuthStateFileSchema = z.looseObject({
  version: z.number().default(1),
  usage: z.record(z.string(), ProfileUsageSchema).default({}),
  lastGood: z.record(z.string(), z.string()).default({}),
  /** Owner notices already sent (`<profileId>:<kind>` → epoch ms), so each is sent once. */
  notified: z.record(z.string(), z.number()).default({}),
});

export type ProfileUsage = z.infer<typeof ProfileUsageSchema>;
export type AuthStateFile = z.infer<typeof AuthStateFileSchema>;

export const emptyAuthState = (): AuthStateFile => ({ version: 1, usage: {}, lastGood: {}, notified: {} });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Counters reset after this long without a failure. */
export const FAILURE_WINDOW_MS = 24 * HOUR;
/** Rate-limit cooldown ladder: 1m → 5m → 25m → 1h (cap). */
const RATE_LIMIT_LADDER = [1 * MINUTE, 5 * MINUTE, 25 * MINUTE, HOUR];
const BILLING_BASE_MS = 5 * HOUR;
const BILLING_CAP_MS = 24 * HOUR;

/**
 * Applies one failure to a profile's usage (PRODUCT §4): per-reason counters reset after 24h without
 * failure; rate limits cool down along the ladder, never shorter than the provider's `retry-after`;
 * billing disables for 5h doubling to 24h; auth marks needs-reauth of `opts.kind` (default `auth`).
 * An existing longer cooldown is never shortened (`max(existing, new)`).
 */
export function applyFailure(
  usage: ProfileUsage,
  reason: FailureReason,
  now: number,
  opts: { retryAfterMs?: number; message?: string; kind?: ReauthKind } = {},
): ProfileUsage {
  const windowExpired = usage.lastFailureAt !== undefined && now - usage.lastFailureAt > FAILURE_WINDOW_MS;
  const counts = windowExpired ? {} : { ...usage.failureCounts };
  const n = (counts[reason] ?? 0) + 1;
  counts[reason] = n;
  const next: ProfileUsage = { ...usage, failureCounts: counts, lastFailureAt: now };
  if (reason === "rate_limit") {
    const ladder = RATE_LIMIT_LADDER[Math.min(n, RATE_LIMIT_LADDER.length) - 1]!;
    const until = now + Math.max(ladder, opts.retryAfterMs ?? 0);
    next.cooldownUntil = Math.max(usage.cooldownUntil ?? 0, until);
  } else if (reason === "billing") {
    const span = Math.min(BILLING_CAP_MS, BILLING_BASE_MS * 2 ** Math.min(n - 1, 10));
    next.disabledUntil = Math.max(usage.disabledUntil ?? 0, now + span);
    next.disabledReason = "billing";
  } else {
    next.needsReauth = {
      at: now,
      reason: opts.message ?? "the provider refused the credential",
      kind: opts.kind ?? "auth",
    };
  }
  return next;
}

/**
 * A needs-reauth mark in words, as every view shows it: `needs re-authentication: <why>`, except
 * for a Claude-Code-only credential, where re-authenticating cannot help (`refused: <why>`).
 */
export function describeReauthMark(mark: NonNullable<ProfileUsage["needsReauth"]>): string {
  return mark.kind === "claude_code_only"
    ? `refused: ${mark.reason}`
    : `needs re-authentication: ${mark.reason}`;
}

/** A success clears cooldowns and marks but keeps the counters, so a flapping key still escalates. */
export function applySuccess(usage: ProfileUsage, now: number): ProfileUsage {
  return { ...withoutMarks(usage), lastUsed: now };
}

/**
 * Folds a success that happened at `at` into `state` as it is now — possibly written by other
 * processes since, and possibly later than `at` (successes are written in batches, see
 * `DeferredSuccesses`). It only ever moves state forward in time, so the order in which batches
 * land does not matter:
 * - `lastUsed` becomes the later of the two;
 * - marks (cooldown, billing pause, needs-reauth) are cleared only when no failure was recorded
 *   after this success: a newer 429 or 401 from any process stands;
 * - `lastGood[provider]` becomes this profile unless the current one succeeded later.
 */
export function recordSuccess(state: AuthStateFile, id: string, provider: string, at: number): void {
  const usage = Object.hasOwn(state.usage, id) ? state.usage[id]! : { failureCounts: {} };
  const failedSince = usage.lastFailureAt !== undefined && usage.lastFailureAt > at;
  const lastUsed = Math.max(usage.lastUsed ?? at, at);
  state.usage[id] = failedSince ? { ...usage, lastUsed } : { ...withoutMarks(usage), lastUsed };
  const current = Object.hasOwn(state.lastGood, provider) ? state.lastGood[provider] : undefined;
  const currentAt = current === undefined ? undefined : state.usage[current]?.lastUsed;
  if (current === id || currentAt === undefined || currentAt <= at) state.lastGood[provider] = id;
}

/** Whether a cooldown, billing pause or needs-reauth mark is set (expired ones included). */
export function hasMarks(usage: ProfileUsage | undefined): boolean {
  return Boolean(usage?.cooldownUntil || usage?.disabledUntil || usage?.needsReauth);
}

/** The usage with its cooldown, billing pause and needs-reauth mark removed. */
export function withoutMarks(usage: ProfileUsage): ProfileUsage {
  const { cooldownUntil: _c, disabledUntil: _d, disabledReason: _r, needsReauth: _n, ...rest } = usage;
  return rest;
}
