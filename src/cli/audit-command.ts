import { type AuditEntry, AuditLog } from "../audit/audit-log.js";
import { redactSecrets } from "../auth/mask.js";
import { parseDuration } from "../config/duration.js";
import { showControlChars, showControlCharsIn } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import type { CliContext } from "./cli-context.js";
import { statePathsOf } from "./state-paths.js";
import { alignRows } from "./status-render.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface AuditFlags {
  since?: string;
  agent?: string;
  json?: boolean;
}

/**
 * `tessera audit [--since 7d] [--agent id] [--json]`: who changed which credential, order, pin or
 * default, from where, and when — oldest first. `--since` takes a duration back from now (`7d`,
 * `12h`) or a date/time (`2025-01-31`, ISO 8601). Lines that do not parse are counted on stderr by
 * line number. Works without a valid config: it reads only `<state>/audit.jsonl`.
 */
export async function runAuditCommand(ctx: CliContext, flags: AuditFlags): Promise<number> {
  const paths = statePathsOf(ctx);
  const since = flags.since === undefined ? 0 : parseSince(flags.since, Date.now());
  const log = new AuditLog(paths.auditPath);
  const { entries: all, badLines } = await log.read(since);
  // The log holds no secrets by contract; redaction here is a second line of defence for output.
  // Its fields hold what people typed (ids, refs, chat targets): control characters are shown
  // escaped, never passed to the terminal.
  const entries = all
    .filter((e) => flags.agent === undefined || e.agent === flags.agent)
    .map((e) => redactEntry(e));
  if (badLines.length > 0) {
    ctx.stderr.write(
      `warning: ${badLines.length} unreadable line(s) in ${paths.auditPath} (line ${badLines.slice(0, 10).join(", ")}${badLines.length > 10 ? ", …" : ""}); skipped\n`,
    );
  }
  if (flags.json) {
    writeTerminalJson(ctx, {
      path: paths.auditPath,
      since: since ? new Date(since).toISOString() : null,
      entries,
      badLines,
    });
    return 0;
  }
  if (entries.length === 0) {
    ctx.stdout.write(
      `no audit entries${since ? ` since ${new Date(since).toISOString()}` : ""}${flags.agent ? ` for agent ${showControlChars(flags.agent)}` : ""} in ${paths.auditPath}\n`,
    );
    return 0;
  }
  const rows = showControlCharsIn(entries).map((e) => [
    e.ts.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    e.actor,
    e.surface,
    e.action,
    e.agent ?? "",
    e.target ?? "",
    e.detail ?? "",
  ]);
  const header = ["time", "actor", "surface", "action", "agent", "target", "detail"];
  ctx.stdout.write(`${alignRows([header, ...rows]).join("\n")}\n`);
  return 0;
}

/** `7d` → now − 7 days; `2025-01-31` or an ISO time → that instant. */
function parseSince(text: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (Number.isNaN(at)) {
      throw new TesseraError(
        "DURATION_INVALID",
        `invalid --since date "${text}"`,
        "--since 2025-01-31 or --since 7d",
      );
    }
    return at;
  }
  return now - parseDuration(text, "--since");
}

function redactEntry(entry: AuditEntry): AuditEntry {
  const out: AuditEntry = { ...entry };
  for (const key of ["target", "detail"] as const) if (out[key]) out[key] = redactSecrets(out[key]!);
  return out;
}
