import { parseDuration } from "../config/duration.js";
import { showControlCharsIn } from "../control-chars.js";
import { useBlockingReads } from "../files/json-state-file.js";
import { formatRef, resolveModelInput } from "../models/catalog.js";
import { statusReportFor } from "../runtime/services.js";
import type { CliContext } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { renderStatusText } from "./status-render.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface StatusOptions {
  agent?: string;
  json?: boolean;
  plain?: boolean;
  check?: boolean;
  warnWithin?: string;
}

/**
 * `tessera models status`: syncs Claude Code's credential (when `auth.claudeCode.sync` is on), asks
 * the status report (the one resolver) for the agent, and renders it — text, `--json` or `--plain`.
 * The CLI computes no auth of its own; `--check` turns the report's verdict into the exit code.
 */
export async function runModelsStatus(ctx: CliContext, opts: StatusOptions): Promise<number> {
  // A bad flag fails before anything is read or synced.
  if (opts.warnWithin !== undefined) parseDuration(opts.warnWithin, "--warn-within");
  // One process, one report: nothing else waits on its reads (monitoring runs it every minute).
  useBlockingReads();
  const { services, auth, claudeCode } = await openSyncedServices(ctx, opts.agent);
  const report = await statusReportFor(services, { warnWithin: opts.warnWithin, auth });
  if (opts.plain) {
    const resolved = resolveModelInput(services.config, report.defaultModel);
    ctx.stdout.write(`${resolved.ok ? formatRef(resolved.ref) : report.defaultModel}\n`);
  } else if (opts.json) {
    writeTerminalJson(ctx, { ...report, claudeCode: { status: claudeCode.status } });
  } else {
    ctx.stdout.write(
      renderStatusText(showControlCharsIn(report), {
        color: ctx.color,
        home: ctx.env.HOME,
        claudeCode: claudeCode.status,
      }),
    );
  }
  return opts.check ? report.check.exitCode : 0;
}
