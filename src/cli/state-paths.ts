import type { StatePaths } from "../config/paths.js";
import { resolveStateLocation } from "../config/state-location.js";
import type { CliContext } from "./cli-context.js";

/**
 * The state paths the global options (`--state-dir`, `--config`) and the environment name, for
 * commands that work on the files without opening an agent (`audit`, `onboard`, `gateway status`,
 * `gateway install`). Its own file so that `--help` and `--version` never load the path rules.
 */
export function statePathsOf(ctx: CliContext): StatePaths {
  return resolveStateLocation({ stateDir: ctx.globals.stateDir, configPath: ctx.globals.config }, ctx.env);
}
