import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { TesseraError } from "../errors.js";
import { LAUNCHD_LABEL } from "./launchd-plist.js";
import { SYSTEMD_UNIT_NAME } from "./systemd-unit.js";

/** Which service manager runs the gateway, and so which file format and which commands apply. */
export type ServiceManager = "systemd-user" | "systemd-system" | "launchd";

export interface ServiceLocation {
  manager: ServiceManager;
  /** The unit or plist file. */
  path: string;
  /** The directory systemd looks in (and keeps `*.wants/` enablement links in). */
  dir: string;
}

/** Where systemd reads system units an administrator adds. */
export const SYSTEMD_SYSTEM_DIR = "/etc/systemd/system";

/**
 * Where the service file goes on `platform`: on Linux a systemd user unit in
 * `$XDG_CONFIG_HOME/systemd/user` (else `~/.config/systemd/user`), or with `system` in
 * `/etc/systemd/system`; on macOS a LaunchAgent in `~/Library/LaunchAgents`. The platform is a
 * parameter so that tests can ask for the macOS answer on Linux; the CLI passes `process.platform`.
 * `env` is the caller's environment (HOME, XDG_CONFIG_HOME).
 */
export function serviceLocation(opts: {
  platform: NodeJS.Platform;
  system: boolean;
  env: NodeJS.ProcessEnv;
}): ServiceLocation {
  if (opts.platform === "darwin") {
    if (opts.system)
      throw new TesseraError(
        "USAGE",
        "--system is for systemd (Linux); on macOS the gateway runs as a LaunchAgent of your user",
        "tessera gateway install (without --system), as the user who runs Tessera",
      );
    const dir = join(homeOf(opts.env), "Library", "LaunchAgents");
    return { manager: "launchd", dir, path: join(dir, `${LAUNCHD_LABEL}.plist`) };
  }
  if (opts.platform !== "linux")
    throw new TesseraError(
      "USAGE",
      `tessera gateway install supports systemd (Linux) and launchd (macOS), not ${opts.platform}`,
      "run tessera gateway under your platform's service manager by hand: node bin/tessera.js gateway, with TESSERA_STATE_DIR set",
    );
  if (opts.system) {
    return {
      manager: "systemd-system",
      dir: SYSTEMD_SYSTEM_DIR,
      path: join(SYSTEMD_SYSTEM_DIR, SYSTEMD_UNIT_NAME),
    };
  }
  const dir = join(userConfigHome(opts.env), "systemd", "user");
  return { manager: "systemd-user", dir, path: join(dir, SYSTEMD_UNIT_NAME) };
}

/**
 * `$XDG_CONFIG_HOME`, or `~/.config` when it is unset or empty (as the XDG spec and systemd have it).
 * A relative value is an error here: the spec says to ignore one, and systemd would, so writing there
 * would put the unit where systemd never looks; ignoring it silently would surprise whoever set it.
 */
function userConfigHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg === undefined || xdg === "") return join(homeOf(env), ".config");
  if (!isAbsolute(xdg))
    throw new TesseraError(
      "USAGE",
      `XDG_CONFIG_HOME is a relative path (${xdg}); systemd ignores a relative XDG_CONFIG_HOME, so a unit written there would never be found`,
      "set XDG_CONFIG_HOME to an absolute path (export XDG_CONFIG_HOME=$HOME/.config), or unset it",
    );
  return xdg;
}

function homeOf(env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  return home !== undefined && isAbsolute(home) ? home : homedir();
}
