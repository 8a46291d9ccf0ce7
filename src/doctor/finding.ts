/** How bad a finding is: `error` makes `tessera doctor` exit 1; `warning` and `info` do not. */
export type Severity = "error" | "warning" | "info";

/**
 * What `--fix` does about a finding. Repairs are only the safe ones (PRODUCT §6.10): file modes,
 * config migration write-back, moving a corrupt file aside, refreshing refreshable credentials and
 * removing dangling pins. `apply` returns one line saying what changed, or throws.
 */
export interface Repair {
  /** What `--fix` will do, shown before it runs (`chmod 600 <path>`). */
  describe: string;
  /** Repairs run in phase order: a corrupt file is moved aside before its mode is touched, etc. */
  phase: RepairPhase;
  apply(): Promise<string>;
}

/** Order in which repairs run; lower first. */
export const RepairPhase = {
  quarantine: 0,
  config: 1,
  modes: 2,
  refresh: 3,
  pins: 4,
} as const;
export type RepairPhase = (typeof RepairPhase)[keyof typeof RepairPhase];

/**
 * One thing `doctor` found. `key` identifies the problem itself (not its wording), so that after
 * `--fix` the re-check can prove a repair worked: a repaired finding whose key is still present is
 * reported as not fixed. Nothing here ever holds a secret — paths, ids, masks and fingerprints only.
 */
export interface Finding {
  /** The check that found it, e.g. `file-modes`. */
  check: string;
  key: string;
  severity: Severity;
  /** What is wrong, in one line. */
  what: string;
  /** The exact command or setting that fixes it (or why nothing is needed, for `info`). */
  fix: string;
  path?: string;
  agent?: string;
  profileId?: string;
  repair?: Repair;
}

/**
 * A finding as `--json` prints it: the repair reduced to what it would do (`autoFix`, null when it
 * needs a person), and no internal key.
 */
export type FindingJson = Omit<Finding, "key" | "repair"> & { autoFix: string | null };

export function findingToJson(finding: Finding): FindingJson {
  const { repair, key: _key, ...rest } = finding;
  return { ...rest, autoFix: repair?.describe ?? null };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then info; stable within a severity (check order is kept). */
export function bySeverity(a: Finding, b: Finding): number {
  return RANK[a.severity] - RANK[b.severity];
}
