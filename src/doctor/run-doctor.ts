import { isTesseraError } from "../errors.js";
import { channelTokensCheck } from "./checks/channel-tokens.js";
import { claudeBinaryCheck } from "./checks/claude-binary.js";
import { claudeCodeSyncCheck } from "./checks/claude-code-sync.js";
import { configFileCheck } from "./checks/config-file.js";
import { corruptFilesCheck } from "./checks/corrupt-files.js";
import { credentialsCheck } from "./checks/credentials.js";
import { fileModesCheck } from "./checks/file-modes.js";
import { fileTypesCheck } from "./checks/file-types.js";
import { gatewayCheck } from "./checks/gateway.js";
import { profilesCheck } from "./checks/profiles.js";
import { removedProfilesCheck } from "./checks/removed-profiles.js";
import { sessionLayoutCheck } from "./checks/session-layout.js";
import { sessionPinsCheck } from "./checks/session-pins.js";
import type { DoctorCheck } from "./doctor-check.js";
import { type DoctorScope, gatherDoctorScope, type ScopeOptions } from "./doctor-scope.js";
import type { Finding } from "./finding.js";

/** Every check, in the order its findings are listed (config first: everything else depends on it). */
const DOCTOR_CHECKS: DoctorCheck[] = [
  configFileCheck,
  fileTypesCheck,
  corruptFilesCheck,
  fileModesCheck,
  claudeCodeSyncCheck,
  credentialsCheck,
  profilesCheck,
  removedProfilesCheck,
  sessionLayoutCheck,
  sessionPinsCheck,
  channelTokensCheck,
  gatewayCheck,
  claudeBinaryCheck,
];

/** One repair `--fix` ran: what it was for and what it did (or why it failed). */
export interface RepairOutcome {
  check: string;
  /** The finding it was for. */
  what: string;
  ok: boolean;
  /** What changed, or the error. */
  result: string;
}

export interface DoctorResult {
  stateDir: string;
  configPath: string;
  /** Findings of the last check (after repairs, with `--fix`). */
  findings: Finding[];
  /** Repairs that ran and whose problem is gone on the re-check. */
  fixed: RepairOutcome[];
  /** Repairs that threw, or whose problem is still there on the re-check. */
  failed: RepairOutcome[];
  /** 1 when an error remains, else 0. */
  exitCode: 0 | 1;
}

/**
 * Runs every check; with `fix`, applies the safe repairs in phase order, then checks everything
 * again from scratch and keeps only repairs the re-check confirms — a repair whose finding is still
 * there is reported as failed, never as fixed.
 */
export async function runDoctor(opts: ScopeOptions & { fix: boolean }): Promise<DoctorResult> {
  let scope = await gatherDoctorScope(opts);
  let findings = await runChecks(scope);
  const fixed: RepairOutcome[] = [];
  const failed: RepairOutcome[] = [];
  if (opts.fix) {
    const repairable = findings.filter((f) => f.repair).sort((a, b) => a.repair!.phase - b.repair!.phase);
    const attempted: { finding: Finding; outcome: RepairOutcome }[] = [];
    for (const finding of repairable) {
      const outcome: RepairOutcome = { check: finding.check, what: finding.what, ok: true, result: "" };
      try {
        outcome.result = await finding.repair!.apply();
      } catch (err) {
        outcome.ok = false;
        outcome.result = describeError(err);
      }
      attempted.push({ finding, outcome });
    }
    if (attempted.length > 0) {
      scope = await gatherDoctorScope({ ...opts, now: Date.now() });
      findings = await runChecks(scope);
    }
    const remaining = new Set(findings.map((f) => f.key));
    for (const { finding, outcome } of attempted) {
      if (outcome.ok && remaining.has(finding.key)) {
        failed.push({ ...outcome, ok: false, result: `${outcome.result}, but the re-check still finds it` });
      } else (outcome.ok ? fixed : failed).push(outcome);
    }
  }
  return {
    stateDir: scope.paths.stateDir,
    configPath: scope.paths.configPath,
    findings,
    fixed,
    failed,
    exitCode: findings.some((f) => f.severity === "error") ? 1 : 0,
  };
}

async function runChecks(scope: DoctorScope): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const check of DOCTOR_CHECKS) {
    try {
      findings.push(...(await check.run(scope)));
    } catch (err) {
      // One broken check must not hide the others' findings.
      findings.push({
        check: check.name,
        key: `check-failed:${check.name}`,
        severity: "error",
        what: `the ${check.name} check could not run: ${describeError(err)}`,
        fix:
          isTesseraError(err) && err.hint ? err.hint : "run `tessera doctor` again; report it if it persists",
      });
    }
  }
  return withoutRepairsThroughLinks(findings);
}

/**
 * Doctor never repairs through a symbolic link, nor on a FIFO, device or other thing Tessera did not
 * create: a chmod or a move aimed at a state file that is a link would land on its target, anywhere
 * on the host. Findings about such a path keep their text but lose their repair; the path itself is
 * the `file-types` finding.
 */
function withoutRepairsThroughLinks(findings: Finding[]): Finding[] {
  const links = new Set(
    findings.filter((f) => f.key.startsWith("link:") || f.key.startsWith("kind:")).map((f) => f.path),
  );
  return findings.map((f) =>
    f.repair && f.path !== undefined && links.has(f.path)
      ? {
          ...f,
          repair: undefined,
          fix: `first replace ${f.path} (see above); then: ${f.fix}`,
        }
      : f,
  );
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
