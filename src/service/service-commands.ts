import { LAUNCHD_LABEL, launchdLogPaths } from "./launchd-plist.js";
import type { ServiceLocation } from "./service-location.js";
import { shellWord } from "./shell-word.js";

/** `tessera-gateway`: how systemctl and journalctl name the unit. */
const UNIT = "tessera-gateway";

/**
 * The service-manager commands the operator runs after `install` or `uninstall`. Tessera prints
 * them and never runs them: enabling a service is the operator's decision (and tests must never touch
 * a real user session). One place for them, so the CLI's advice and its errors quote the same lines.
 */
export interface ServiceCommands {
  /** Starts the service now and at every login/boot. */
  enable: string;
  /** After the file changed: makes the manager read it again, then restarts with it. */
  reload: string[];
  /** Stops and un-enables it; for systemd it must run before the unit file is removed. */
  disable: string;
  /** Stops a running service whose file is already gone, and makes the manager forget it. */
  forget: string[];
  /** Follows the log. */
  logs: string;
}

export function serviceCommands(location: ServiceLocation, stateDir: string): ServiceCommands {
  if (location.manager === "launchd") {
    const target = `gui/$(id -u)/${LAUNCHD_LABEL}`;
    const bootstrap = `launchctl bootstrap gui/$(id -u) ${shellWord(location.path)}`;
    return {
      enable: bootstrap,
      reload: [`launchctl bootout ${target}`, bootstrap],
      disable: `launchctl bootout ${target}`,
      forget: [`launchctl bootout ${target}`],
      logs: `tail -f ${shellWord(launchdLogPaths(stateDir).stderr)}`,
    };
  }
  const systemctl = location.manager === "systemd-user" ? "systemctl --user" : "systemctl";
  const journalctl = location.manager === "systemd-user" ? "journalctl --user" : "journalctl";
  return {
    enable: `${systemctl} enable --now ${UNIT}`,
    reload: [`${systemctl} daemon-reload`, `${systemctl} restart ${UNIT}`],
    disable: `${systemctl} disable --now ${UNIT}`,
    forget: [`${systemctl} stop ${UNIT}`, `${systemctl} daemon-reload`],
    logs: `${journalctl} -u ${UNIT} -f`,
  };
}

/**
 * For a user unit: lets the user's systemd run without a login session, so the gateway starts at
 * boot and survives logging out. Without it, a user unit stops with the last session.
 */
export function lingerCommand(user: string): string {
  return `loginctl enable-linger ${shellWord(user)}`;
}
