/** Summaries and number formats the benchmarks' sections share. */

export const sorted = (xs) => [...xs].sort((a, b) => a - b);

export const median = (xs) => {
  const s = sorted(xs);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Nearest-rank percentile. */
export const pct = (xs, p) => sorted(xs)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];

/** The median over rounds of each round's percentile `p` (one disturbed round cannot set it). */
export const roundsPct = (rounds, p) => median(rounds.map((r) => pct(r, p)));

export const ms = (x) => (x === undefined || Number.isNaN(x) ? "n/a" : `${x.toFixed(1)} ms`);
export const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
export const mib = (kb) => `${(kb / 1024).toFixed(1)} MiB`;
export const signed = (x, unit) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(1)} ${unit}`;
export const verdict = (ok) => (ok ? "**met**" : "**missed**");

/** `min / median / max` in ms. */
export function spread(xs) {
  return `${[Math.min(...xs), median(xs), Math.max(...xs)].map((x) => x.toFixed(1)).join(" / ")} ms`;
}

/** Each round's `p50 / p99`, comma-separated. */
export function perRound(rounds) {
  return `${rounds.map((r) => `${pct(r, 50).toFixed(1)} / ${pct(r, 99).toFixed(1)}`).join(", ")} ms`;
}
