import { formatSpan } from "../config/duration.js";
import { displayPath } from "../config/paths.js";
import { resolveStateLocation } from "../config/state-location.js";
import { showControlChars } from "../control-chars.js";
import {
  type GatewayLiveness,
  type GatewayStatus,
  gatewayStatusPath,
  readGatewayLiveness,
} from "../runtime/gateway-status.js";
import type { CliContext } from "./cli-context.js";
import { writeTerminalJson } from "./terminal-output.js";

/**
 * `tessera gateway status [--json]`: whether the state dir's gateway runs, read from the status file
 * it keeps beside its lock, with its pid checked. Exit 0 when running, 1 otherwise (scripts and
 * health checks test the code). Reads no config: it answers even when the config is broken.
 */
export async function runGatewayStatus(ctx: CliContext, opts: { json?: boolean }): Promise<number> {
  const { stateDir } = resolveStateLocation(
    { stateDir: ctx.globals.stateDir, configPath: ctx.globals.config },
    ctx.env,
  );
  const liveness = await readGatewayLiveness(stateDir);
  const home = ctx.env.HOME || undefined;
  const path = displayPath(gatewayStatusPath(stateDir), home);
  if (opts.json) {
    writeTerminalJson(ctx, {
      running: liveness.state === "running",
      state: liveness.state,
      statusFile: gatewayStatusPath(stateDir),
      ...(liveness.state === "unreadable"
        ? { problem: liveness.problem, fix: liveness.fix }
        : "status" in liveness
          ? { status: liveness.status }
          : {}),
    });
  } else {
    ctx.stdout.write(`${describeLiveness(liveness, { path, home, now: Date.now() }).join("\n")}\n`);
  }
  return liveness.state === "running" ? 0 : 1;
}

/**
 * The lines `gateway status` prints; the first one is also `doctor`'s gateway line. Text that came
 * from a platform (a bot's name) or a file is shown with control characters escaped.
 */
export function describeLiveness(
  liveness: GatewayLiveness,
  where: { path: string; home?: string; now: number },
): string[] {
  const ago = (at: number) => `${formatSpan(where.now - at)} ago`;
  switch (liveness.state) {
    case "absent":
      return [
        "gateway: not running (start it with `tessera gateway`, or `tessera gateway install` for a service)",
      ];
    case "unreadable":
      return [`gateway: status unknown: ${liveness.problem}`, `  fix: ${liveness.fix}`];
    case "stopped":
      return [`gateway: not running (pid ${liveness.status.pid} stopped ${ago(liveness.status.stoppedAt!)})`];
    case "stale": {
      const { pid, updatedAt } = liveness.status;
      return [
        `gateway: not running — ${where.path} is stale: pid ${pid} is gone without stopping (killed, or the host went down; last update ${ago(updatedAt)})`,
        "  the next `tessera gateway` replaces it",
      ];
    }
    case "running":
      return runningLines(liveness.status, where, ago);
  }
}

function runningLines(
  status: GatewayStatus,
  where: { home?: string; now: number },
  ago: (at: number) => string,
): string[] {
  const show = (text: string) => showControlChars(text);
  const lines = [
    `gateway: running (pid ${status.pid}, version ${show(status.version)}, agent ${show(status.agent)}, up ${formatSpan(where.now - status.startedAt)})`,
    `config:  ${show(displayPath(status.configPath, where.home))}, loaded ${ago(status.configLoadedAt)}`,
  ];
  if (status.configError) lines.push(`  ! latest change not loaded: ${show(status.configError)}`);
  if (status.restartNeeded.length > 0) {
    lines.push(`  ! changed, takes effect after a restart: ${status.restartNeeded.map(show).join(", ")}`);
  }
  const width = Math.max(8, ...status.adapters.map((a) => a.channel.length));
  for (const adapter of status.adapters) {
    const parts = [
      adapter.channel.padEnd(width),
      `${adapter.state} ${ago(adapter.since)}`.padEnd(20),
      adapter.identity ? show(adapter.identity) : "",
      `${adapter.messagesHandled} message(s)`,
    ].filter(Boolean);
    lines.push(parts.join("  "));
    if (adapter.lastError) {
      lines.push(
        `${" ".repeat(width)}  last error ${ago(adapter.lastErrorAt ?? status.updatedAt)}: ${show(adapter.lastError)}`,
      );
    }
  }
  return lines;
}
