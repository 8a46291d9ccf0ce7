import { showControlCharsIn } from "../control-chars.js";
import { bySeverity, type Finding, findingToJson, type Severity } from "../doctor/finding.js";
import { type DoctorResult, runDoctor } from "../doctor/run-doctor.js";
import type { CliContext } from "./cli-context.js";
import { painter, type Style } from "./status-render.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface DoctorFlags {
  fix?: boolean;
  json?: boolean;
}

/**
 * `tessera doctor [--fix] [--json]`: runs every check (even on an invalid config), prints each
 * finding with its severity and exact fix; `--fix` applies the safe repairs and re-checks. Exit 1
 * when an error remains, else 0.
 */
export async function runDoctorCommand(ctx: CliContext, flags: DoctorFlags): Promise<number> {
  const found = await runDoctor({
    stateDir: ctx.globals.stateDir,
    configPath: ctx.globals.config,
    processEnv: ctx.env,
    fix: Boolean(flags.fix),
  });
  // Paths, ids and reasons in findings may hold what people typed or files hold: shown escaped.
  const result = showControlCharsIn(found);
  if (flags.json) {
    writeTerminalJson(ctx, {
      stateDir: result.stateDir,
      configPath: result.configPath,
      findings: result.findings.map(findingToJson),
      fixed: result.fixed,
      failed: result.failed,
      exitCode: result.exitCode,
    });
  } else {
    ctx.stdout.write(renderDoctor(result, Boolean(flags.fix), ctx.color));
  }
  return result.exitCode;
}

const LABEL: Record<Severity, string> = { error: "error  ", warning: "warning", info: "info   " };
const COLOR: Record<Severity, Style> = { error: "red", warning: "yellow", info: "cyan" };

/** The people-facing report: findings (errors first), the repairs made, and a one-line summary. */
function renderDoctor(result: DoctorResult, fixRequested: boolean, color: boolean): string {
  const paint = painter(color);
  const lines: string[] = [`tessera doctor — state dir ${result.stateDir}, config ${result.configPath}`, ""];
  if (fixRequested) {
    const outcomes = [...result.fixed, ...result.failed];
    if (outcomes.length === 0) lines.push("nothing to repair automatically", "");
    else {
      lines.push("repairs:");
      for (const o of result.fixed) lines.push(`  ${paint("green", "fixed ")}  ${o.result}`);
      for (const o of result.failed) lines.push(`  ${paint("red", "failed")}  ${o.what}: ${o.result}`);
      lines.push("", "after repairs:");
    }
  }
  const findings = [...result.findings].sort(bySeverity);
  if (findings.length === 0) lines.push("  no findings");
  for (const f of findings) {
    lines.push(`${paint(COLOR[f.severity], LABEL[f.severity])}  ${f.what}`);
    lines.push(`           fix: ${f.fix}`);
  }
  lines.push("", summary(findings, result, fixRequested));
  return `${lines.join("\n")}\n`;
}

function summary(findings: Finding[], result: DoctorResult, fixRequested: boolean): string {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [
    plural(count("error"), "error"),
    plural(count("warning"), "warning"),
    `${count("info")} info`,
  ];
  const repairable = findings.filter((f) => f.repair).length;
  const hint =
    !fixRequested && repairable > 0
      ? ` — \`tessera doctor --fix\` can repair ${repairable} of them`
      : fixRequested && result.failed.length > 0
        ? ` — ${plural(result.failed.length, "repair")} failed`
        : "";
  return `${parts.join(", ")}${hint}; exit ${result.exitCode}`;
}
