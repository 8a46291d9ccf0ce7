import { formatSpan } from "../config/duration.js";
import { displayPath } from "../config/paths.js";
import { showControlChars } from "../control-chars.js";
import type { GatewayLiveness, GatewayStatus } from "./gateway-status.js";

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
    case "stopped": {
      const { pid, stoppedAt, adapters } = liveness.status;
      // Why it stopped, when an adapter failed (a revoked token, another poller): the last errors.
      const errors = adapters
        .filter((a) => a.lastError)
        .map(
          (a) =>
            `  ${a.channel} last error ${ago(a.lastErrorAt ?? stoppedAt!)}: ${showControlChars(a.lastError!)}`,
        );
      return [`gateway: not running (pid ${pid} stopped ${ago(stoppedAt!)})`, ...errors];
    }
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
