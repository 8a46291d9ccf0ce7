import { stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { TesseraError } from "../errors.js";
import { buildGatewayServiceSpec } from "../service/build-service-spec.js";
import { type GatewayServiceSpec, gatewayArgv } from "../service/gateway-service-spec.js";
import { renderLaunchdPlist } from "../service/launchd-plist.js";
import { lingerCommand, serviceCommands } from "../service/service-commands.js";
import {
  readServiceFile,
  refuseForeignServiceFile,
  removeServiceFile,
  writeServiceFile,
} from "../service/service-file.js";
import { type ServiceLocation, serviceLocation } from "../service/service-location.js";
import { shellWord } from "../service/shell-word.js";
import { enablementLinks } from "../service/systemd-enablement.js";
import { renderSystemdUnit, SYSTEMD_UNIT_NAME } from "../service/systemd-unit.js";
import { findTesseraLauncher } from "../service/tessera-launcher.js";
import type { CliContext } from "./cli-context.js";
import { statePathsOf } from "./state-paths.js";

/** When an enabled service starts, in the words of the line above the enable command. */
const STARTS: Record<ServiceLocation["manager"], string> = {
  "systemd-user": "start it now and whenever your systemd user session starts",
  "systemd-system": "start it now and at every boot",
  launchd: "load it now; it then starts at every login",
};

export interface GatewayInstallFlags {
  print?: boolean;
  system?: boolean;
}

export interface GatewayUninstallFlags {
  system?: boolean;
}

/**
 * `tessera gateway install`: writes the service file that runs `tessera gateway` under systemd (a user
 * unit, or with `--system` a system unit) or launchd (macOS), then prints the commands that enable it.
 * `--print` only writes the file's text to stdout. A re-run with nothing changed writes nothing.
 * `platform` is `process.platform` from the CLI; tests pass `darwin` to run the launchd path on Linux.
 */
export async function runGatewayInstall(
  ctx: CliContext,
  flags: GatewayInstallFlags,
  platform: NodeJS.Platform = process.platform,
): Promise<number> {
  const location = serviceLocation({ platform, system: Boolean(flags.system), env: ctx.env });
  const paths = statePathsOf(ctx);
  const spec = await buildGatewayServiceSpec({ paths, manager: location.manager });
  const text = location.manager === "launchd" ? renderLaunchdPlist(spec) : renderSystemdUnit(spec);
  if (flags.print) {
    ctx.stdout.write(text);
    return 0;
  }
  if (location.manager === "systemd-system") refuseUnlessRoot(location, "install", spec);
  const outcome = await writeServiceFile(location.path, text);
  const commands = serviceCommands(location, spec.stateDir);
  const out: string[] = [];
  if (outcome === "unchanged") {
    out.push(`unchanged: ${location.path} already holds this service; nothing was written`);
    out.push("if it is not running yet, start it:", `  ${commands.enable}`);
  } else {
    out.push(`${outcome === "created" ? "wrote" : "updated"} ${location.path}`);
    out.push(`  runs: ${gatewayArgv(spec).map(shellWord).join(" ")}`);
    out.push(`  state dir: ${spec.stateDir}`);
    if (spec.runAs)
      out.push(`  as user: uid ${spec.runAs.uid}, gid ${spec.runAs.gid} (the owner of the state dir)`);
    if (outcome === "updated") {
      out.push("the service manager still has the old version loaded; to use this one:");
      out.push(...commands.reload.map((line) => `  ${line}`));
    } else {
      out.push(`${STARTS[location.manager]}:`, `  ${commands.enable}`);
      if (location.manager === "systemd-user")
        out.push(
          "keep it running after you log out, and start it at boot without a login:",
          `  ${lingerCommand(userInfo().username)}`,
        );
    }
  }
  out.push("its log:", `  ${commands.logs}`);
  ctx.stdout.write(`${out.join("\n")}\n`);
  for (const note of await installNotes(ctx, location, spec)) ctx.stderr.write(`note: ${note}\n`);
  return 0;
}

/**
 * `tessera gateway uninstall`: removes the service file if Tessera wrote it. For systemd it refuses
 * while the unit is still enabled and says to disable it first (see `enablementLinks` for why the
 * order matters); nothing installed is a no-op with exit 0.
 */
export async function runGatewayUninstall(
  ctx: CliContext,
  flags: GatewayUninstallFlags,
  platform: NodeJS.Platform = process.platform,
): Promise<number> {
  const location = serviceLocation({ platform, system: Boolean(flags.system), env: ctx.env });
  const current = await readServiceFile(location.path);
  if (current === undefined) {
    ctx.stdout.write(`nothing to remove: there is no ${location.path} (tessera gateway install writes it)\n`);
    return 0;
  }
  // Before the enabled check: a file that is not ours is refused whether or not it is enabled.
  refuseForeignServiceFile(location.path, current, "remove");
  const commands = serviceCommands(location, "");
  if (location.manager !== "launchd") {
    const links = await enablementLinks(location.dir, SYSTEMD_UNIT_NAME);
    if (links.length > 0)
      throw new TesseraError(
        "USAGE",
        `tessera-gateway is still enabled (${links.join(", ")}); disable it before its unit file goes, since systemctl disable reads the file to know what to undo. Nothing was removed`,
        `${commands.disable} && tessera gateway uninstall${flags.system ? " --system" : ""}`,
      );
  }
  if (location.manager === "systemd-system") refuseUnlessRoot(location, "uninstall");
  await removeServiceFile(location.path);
  const out = [`removed ${location.path}`];
  if (location.manager === "launchd")
    out.push("if the gateway is still loaded, stop it (it will not start at login any more):");
  else out.push("if the gateway is still running, stop it; then let systemd forget the unit:");
  out.push(...commands.forget.map((line) => `  ${line}`));
  ctx.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

/**
 * Writing `/etc/systemd/system` takes root. The fix repeats the command under sudo with this install's
 * node and bin (sudo's `PATH` may not find `tessera`) and, for install, the resolved state dir (and
 * config): under sudo, `~` is root's home, and the default state dir would be root's.
 */
function refuseUnlessRoot(
  location: ServiceLocation,
  verb: "install" | "uninstall",
  spec?: GatewayServiceSpec,
): void {
  if (process.getuid?.() === 0) return;
  const argv = [process.execPath, spec?.binPath ?? findTesseraLauncher()];
  if (spec) argv.push("--state-dir", spec.stateDir);
  if (spec?.configPath) argv.push("--config", spec.configPath);
  argv.push("gateway", verb, "--system");
  throw new TesseraError(
    "USAGE",
    `--system ${verb === "install" ? "writes" : "removes"} ${location.path}, which only root may do; nothing was changed`,
    `sudo ${argv.map(shellWord).join(" ")} (or leave out --system for a user unit)`,
  );
}

/** Things worth knowing that do not stop the install (stderr, so stdout stays the report). */
async function installNotes(
  ctx: CliContext,
  location: ServiceLocation,
  spec: GatewayServiceSpec,
): Promise<string[]> {
  const notes: string[] = [];
  if (!(await exists(spec.stateDir)))
    notes.push(
      `the state dir ${spec.stateDir} does not exist yet; set Tessera up before starting the service: tessera --state-dir ${shellWord(spec.stateDir)} onboard`,
    );
  if (location.manager === "systemd-user" && ctx.env.XDG_CONFIG_HOME)
    notes.push(
      `XDG_CONFIG_HOME is set, so the unit went to ${location.dir}; systemd reads that directory only if its user manager has the same XDG_CONFIG_HOME (check: systemctl --user show-environment)`,
    );
  if (spec.runAs?.uid === 0)
    notes.push(
      `root owns ${spec.stateDir}, so the gateway runs as root; to run it as another user, set Tessera up as that user and install with their --state-dir`,
    );
  return notes;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
