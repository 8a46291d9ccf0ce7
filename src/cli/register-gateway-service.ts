import type { Command } from "commander";
import type { GatewayInstallFlags, GatewayUninstallFlags } from "./gateway-service-command.js";
import type { Runner } from "./main.js";

/**
 * Adds `tessera gateway install` and `tessera gateway uninstall` to the `gateway` command. Commander
 * runs a subcommand when the first operand names one and the gateway itself otherwise, so
 * `tessera gateway` still starts the gateway. The implementation is imported inside the actions.
 */
export function registerGatewayServiceCommands(gateway: Command, run: Runner): void {
  gateway
    .command("install")
    .description(
      "Write a service that runs the gateway: a systemd user unit (Linux) or a LaunchAgent (macOS)",
    )
    .option("--print", "write the unit (or plist) to stdout and change nothing")
    .option("--system", "a system unit in /etc/systemd/system (as root), running as the state dir's owner")
    .addHelpText(
      "after",
      `
Linux: writes $XDG_CONFIG_HOME/systemd/user/tessera-gateway.service (default ~/.config/systemd/user),
or with --system /etc/systemd/system/tessera-gateway.service. macOS: writes
~/Library/LaunchAgents/dev.tessera.gateway.plist. The file names this install's node and
bin/tessera.js and the state dir (TESSERA_STATE_DIR, and TESSERA_CONFIG for a config elsewhere);
no token goes into it: the gateway reads them from <state dir>/.env. Prints the systemctl (or
launchctl) lines to run; runs none of them. Re-running with nothing changed writes nothing; after
moving the install or the state dir, run it again.`,
    )
    .action(
      run(async (ctx, flags: GatewayInstallFlags) => {
        const { runGatewayInstall } = await import("./gateway-service-command.js");
        return runGatewayInstall(ctx, flags);
      }),
    );

  gateway
    .command("uninstall")
    .description("Remove the service file tessera gateway install wrote (never one it did not write)")
    .option("--system", "the system unit in /etc/systemd/system (as root)")
    .addHelpText(
      "after",
      `
systemd: disable the unit first (systemctl --user disable --now tessera-gateway); uninstall refuses
while it is enabled, since systemctl disable reads the unit file to know what to undo.`,
    )
    .action(
      run(async (ctx, flags: GatewayUninstallFlags) => {
        const { runGatewayUninstall } = await import("./gateway-service-command.js");
        return runGatewayUninstall(ctx, flags);
      }),
    );
}
