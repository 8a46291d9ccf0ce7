import { displayPath } from "../config/paths.js";
import { describeLiveness } from "../runtime/describe-gateway-status.js";
import { gatewayStatusPath, readGatewayLiveness } from "../runtime/gateway-status.js";
import type { CliContext } from "./cli-context.js";
import { statePathsOf } from "./state-paths.js";
import { writeTerminalJson } from "./terminal-output.js";

/**
 * `tessera gateway status [--json]`: whether the state dir's gateway runs, read from the status file
 * it keeps beside its lock, with its pid checked. Exit 0 when running, 1 otherwise (scripts and
 * health checks test the code). Reads no config: it answers even when the config is broken.
 */
export async function runGatewayStatus(ctx: CliContext, opts: { json?: boolean }): Promise<number> {
  const { stateDir } = statePathsOf(ctx);
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
