import type { z } from "zod";
import { AuditLog } from "../../audit/audit-log.js";
import { readTextIfExists } from "../../files/json-state-file.js";
import { describeJsonSyntaxError } from "../../files/json-syntax-error.js";
import { lstatIfExists } from "../../files/state-file-checks.js";
import { formatIssues } from "../../schema-issues.js";
import { SessionFileSchema } from "../../sessions/session-schema.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { DoctorScope } from "../doctor-scope.js";
import { type Finding, RepairPhase } from "../finding.js";
import { quarantineFile } from "../quarantine.js";
import { type StateFile, sessionScanOf, stateFilesOf } from "../state-files.js";

/**
 * State files that do not parse, or parse into the wrong layout. Every command refuses to run on
 * such a file (it is never read as empty, never overwritten); `--fix` moves it aside as
 * `<file>.corrupt-<time>` with its bytes intact, so the next run starts from an empty file and the
 * user can still recover what was in it. Also reports unreadable lines of the audit log and `.env`,
 * which are skipped rather than fatal, by line number only (a line may hold a secret). Only regular
 * files are read: a FIFO, directory or link in a state file's place is the file-types check's
 * finding, and reading it here would fail this whole check and hide a corrupt file next to it.
 */
export const corruptFilesCheck: DoctorCheck = {
  name: "corrupt-files",
  async run(scope) {
    const findings: Finding[] = [];
    // Session files too, one per session: a corrupt one stops only its own session, and is moved
    // aside on its own. They were all read once by the shared scan; only those it could not use
    // are looked at again here.
    for (const file of [...stateFilesOf(scope), ...(await unreadableSessionFiles(scope))]) {
      if (!file.schema || !(await isRegularFile(file.path))) continue;
      const text = await readTextIfExists(file.path);
      if (text === undefined) continue;
      const problem = layoutProblem(text, file.schema);
      if (!problem) continue;
      const schema = file.schema;
      findings.push({
        check: "corrupt-files",
        key: `corrupt:${file.path}`,
        severity: "error",
        what: `${file.path} (${file.label}) ${problem}; commands that need it refuse to run`,
        fix: `restore it from a backup or fix it by hand, or run \`tessera doctor --fix\` to move it aside as ${file.path}.corrupt-<time> (nothing is deleted)`,
        path: file.path,
        agent: file.agent,
        repair: {
          describe: `move ${file.path} aside as ${file.path}.corrupt-<time>`,
          phase: RepairPhase.quarantine,
          async apply() {
            const moved = await quarantineFile(file.path, (t) => layoutProblem(t, schema) !== undefined);
            return moved
              ? `moved ${file.path} to ${moved} (bytes unchanged)`
              : `${file.path} was already gone`;
          },
        },
      });
    }

    const audit = (await isRegularFile(scope.paths.auditPath))
      ? await new AuditLog(scope.paths.auditPath).read()
      : { badLines: [] };
    if (audit.badLines.length > 0) {
      findings.push({
        check: "corrupt-files",
        key: `audit-lines:${scope.paths.auditPath}`,
        severity: "warning",
        what: `${scope.paths.auditPath}: ${audit.badLines.length} unreadable line(s) (${lineList(audit.badLines)}); \`tessera audit\` skips them`,
        fix: `remove or repair those lines of ${scope.paths.auditPath} by hand (the log is append-only; doctor does not rewrite it)`,
        path: scope.paths.auditPath,
      });
    }

    const envText = (await isRegularFile(scope.paths.envPath))
      ? await readTextIfExists(scope.paths.envPath)
      : undefined;
    const badEnv = envText === undefined ? [] : badDotenvLines(envText);
    if (badEnv.length > 0) {
      findings.push({
        check: "corrupt-files",
        key: `env-lines:${scope.paths.envPath}`,
        severity: "warning",
        what: `${scope.paths.envPath}: line(s) ${lineList(badEnv)} are not KEY=value and are ignored`,
        fix: `edit ${scope.paths.envPath}: one KEY=value per line (comments start with #)`,
        path: scope.paths.envPath,
      });
    }
    return findings;
  },
};

/** Whether `path` is a regular file itself (not a link to one); false when missing. */
async function isRegularFile(path: string): Promise<boolean> {
  return (await lstatIfExists(path).catch(() => undefined))?.isFile() ?? false;
}

/** The session files the shared scan found unreadable, as state files to check the layout of. */
async function unreadableSessionFiles(scope: DoctorScope): Promise<StateFile[]> {
  const files: StateFile[] = [];
  for (const agent of scope.agents) {
    const scan = await sessionScanOf(scope, agent).catch(() => undefined);
    for (const problem of scan?.problems ?? []) {
      if (problem.kind !== "unreadable") continue;
      files.push({
        path: problem.path,
        label: `session file of agent ${agent}`,
        private: true,
        schema: SessionFileSchema,
        agent,
      });
    }
  }
  return files;
}

/** Why `text` is not a valid file of this layout, or undefined when it is. Never quotes the text. */
function layoutProblem(text: string, schema: z.ZodType): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return text.trim() === "" ? "is empty" : `is not valid JSON (${describeJsonSyntaxError(err, text)})`;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return undefined;
  const issues = formatIssues(parsed.error);
  const shown = issues.slice(0, 3).join("; ");
  return `does not have the expected layout (${shown}${issues.length > 3 ? `; and ${issues.length - 3} more` : ""})`;
}

function badDotenvLines(text: string): number[] {
  const bad: number[] = [];
  let inQuote: string | undefined;
  text.split("\n").forEach((line, index) => {
    if (inQuote) {
      // A quoted value may span lines; skip until the closing quote.
      if (line.includes(inQuote)) inQuote = undefined;
      return;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = /^(export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*(["'`]?)/.exec(trimmed);
    if (!match) {
      bad.push(index + 1);
      return;
    }
    const quote = match[2];
    if (quote && trimmed.indexOf(quote, match[0].length) === -1) inQuote = quote;
  });
  return bad;
}

function lineList(lines: number[]): string {
  return lines.length > 10 ? `${lines.slice(0, 10).join(", ")}, …` : lines.join(", ");
}
