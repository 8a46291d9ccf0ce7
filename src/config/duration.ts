import { TesseraError } from "../errors.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses durations as people type them in flags and config: `90m`, `12h`, `365d`, `1h30m`, `2w`.
 * A bare number is refused rather than guessed (is `365` days or seconds?), with the accepted forms
 * in the message.
 */
export function parseDuration(input: string, what = "duration"): number {
  const text = input.trim().toLowerCase();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    consumed = re.lastIndex;
  }
  if (text === "" || consumed !== text.length || !Number.isFinite(total)) {
    throw new TesseraError(
      "DURATION_INVALID",
      `invalid ${what} "${input}"`,
      "use a number with a unit: 90m, 12h, 365d, 2w (or combined, 1h30m)",
    );
  }
  return Math.round(total);
}

/**
 * Formats a span for people: `3h`, `2d`, `45m`, `30s`. Minutes and hours round down so "expires in
 * 1h" is never a lie; days (from 48h on) round to the nearest; below a minute shows seconds.
 */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.max(0, Math.floor(abs / 1000))}s`;
  if (abs < 3_600_000) return `${Math.floor(abs / 60_000)}m`;
  if (abs < 48 * 3_600_000) {
    const h = Math.floor(abs / 3_600_000);
    const m = Math.floor((abs % 3_600_000) / 60_000);
    return h < 10 && m > 0 ? `${h}h${m}m` : `${h}h`;
  }
  // Days round to the nearest: a token stored with --expires-in 30d reads "30d", not "29d", a moment later.
  return `${Math.round(abs / 86_400_000)}d`;
}

/** `expires in 3h` / `expired 2d ago` — the one phrasing every view uses. */
export function describeExpiry(expiresAt: number | undefined, now: number): string | undefined {
  if (expiresAt === undefined) return undefined;
  const delta = expiresAt - now;
  return delta > 0 ? `expires in ${formatSpan(delta)}` : `expired ${formatSpan(delta)} ago`;
}
