import { realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { TesseraError } from "../errors.js";
import { resolveStatePaths, type StatePaths } from "./paths.js";

/**
 * `resolveStatePaths` for everything a person sets: the `--state-dir` and `--config` options and the
 * `TESSERA_STATE_DIR` and `TESSERA_CONFIG` variables. A value that is set but empty (`--state-dir ""`,
 * `TESSERA_STATE_DIR=` from a template whose value never got filled in) resolves to the current
 * directory, and Tessera would then write credentials there and chmod it 0700: such a value is an
 * error, never a fallback. Unset is fine (the default applies). The state dir (and a config file
 * named explicitly) is resolved through symbolic links once, here.
 */
export function resolveStateLocation(
  opts: { stateDir?: string; configPath?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): StatePaths {
  refuseEmpty(
    opts.stateDir,
    "--state-dir",
    "pass a directory, e.g. --state-dir ~/.tessera, or leave the option out",
  );
  refuseEmpty(
    opts.configPath,
    "--config",
    "pass a file, e.g. --config ~/.tessera/config.json, or leave the option out",
  );
  if (opts.stateDir === undefined)
    refuseEmpty(
      env.TESSERA_STATE_DIR,
      "TESSERA_STATE_DIR",
      "set it to a directory, or unset it (unset TESSERA_STATE_DIR) to use ~/.tessera",
    );
  if (opts.configPath === undefined)
    refuseEmpty(
      env.TESSERA_CONFIG,
      "TESSERA_CONFIG",
      "set it to a file, or unset it (unset TESSERA_CONFIG) to use <state dir>/config.json",
    );
  const paths = resolveStatePaths(opts, env);
  // The state dir, and a config file named explicitly, are what a person points Tessera at: when one
  // is a symbolic link (a state dir moved to another disk, a config kept with the dotfiles), it is
  // followed here, once. Everything inside the state dir is then opened without following links.
  const stateDir = realpathIfExists(paths.stateDir);
  const named = (opts.configPath ?? env.TESSERA_CONFIG) !== undefined;
  const configPath = named
    ? realpathIfExists(paths.configPath)
    : join(stateDir, relative(paths.stateDir, paths.configPath));
  return {
    ...paths,
    stateDir,
    configPath,
    envPath: join(stateDir, ".env"),
    auditPath: join(stateDir, "audit.jsonl"),
  };
}

function realpathIfExists(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function refuseEmpty(value: string | undefined, name: string, fix: string): void {
  if (value === undefined || value.trim() !== "") return;
  throw new TesseraError(
    "USAGE",
    `${name} is set but empty; an empty path would mean the current directory, so nothing was read or written`,
    fix,
  );
}
