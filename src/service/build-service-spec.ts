import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { StatePaths } from "../config/paths.js";
import { TesseraError } from "../errors.js";
import { fsFailure } from "../files/fs-errors.js";
import type { GatewayServiceSpec } from "./gateway-service-spec.js";
import { refuseUnsafePath } from "./path-safety.js";
import type { ServiceManager } from "./service-location.js";
import { findTesseraLauncher } from "./tessera-launcher.js";

/**
 * The service spec for this install and these state paths, with every path checked
 * (`refuseUnsafePath`). The node binary is `process.execPath`: the node that runs this install now
 * is the one known to run it (a bare `node` would be whatever the service manager's `PATH` finds,
 * often none under nvm). `TESSERA_CONFIG` is set only when the config is not `<state>/config.json`.
 *
 * A system unit runs as the **owner of the state dir** (`User=`/`Group=` numeric ids). The gateway
 * must read and write that dir's 0600 files and 0700 directories, and whatever it creates must stay
 * readable by the `tessera` CLI of the person who set it up; running it as root would leave root-owned
 * files there, running it as anyone else could not open them. So the state dir must already exist
 * (set up with `tessera onboard` by the user who will run the gateway). A state dir owned by root
 * means the gateway runs as root: allowed, since root set it up, and the install says so.
 */
export async function buildGatewayServiceSpec(opts: {
  paths: StatePaths;
  manager: ServiceManager;
  nodePath?: string;
  binPath?: string;
}): Promise<GatewayServiceSpec> {
  const { paths } = opts;
  const nodePath = opts.nodePath ?? process.execPath;
  const binPath = opts.binPath ?? findTesseraLauncher();
  const configPath = paths.configPath === join(paths.stateDir, "config.json") ? undefined : paths.configPath;
  const runAs = opts.manager === "systemd-system" ? await stateDirOwner(paths.stateDir) : undefined;
  // Who may own what the unit names: root, and the user the service runs as.
  const trusted = [0, runAs?.uid ?? process.getuid?.() ?? 0];
  await refuseUnsafePath(nodePath, "the node binary", trusted);
  if (opts.manager !== "launchd" && /["'\\]/.test(nodePath))
    throw new TesseraError(
      "USAGE",
      `the node binary ${nodePath} has a quote or a backslash in its path, and systemd refuses to run an executable named so`,
      "put node in a directory whose path has no quote or backslash (copy or reinstall it there; a link does not help, node reports its real path), then run tessera gateway install with that node",
    );
  await refuseUnsafePath(binPath, "Tessera's launcher", trusted);
  await refuseUnsafePath(paths.stateDir, "the state dir", trusted);
  if (configPath !== undefined) await refuseUnsafePath(configPath, "the config file", trusted);
  const spec: GatewayServiceSpec = { nodePath, binPath, stateDir: paths.stateDir, configPath };
  return runAs ? { ...spec, runAs } : spec;
}

/** The state dir's owner, whom a system unit runs as; the dir must exist (see `buildGatewayServiceSpec`). */
async function stateDirOwner(stateDir: string): Promise<{ uid: number; gid: number }> {
  const owner = await stat(stateDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw fsFailure(err, stateDir, "look at");
    throw new TesseraError(
      "USAGE",
      `the state dir ${stateDir} does not exist; a system service runs as the user who owns the state dir, so it must be set up first`,
      "as the user who will run the gateway, run tessera onboard; then name that state dir: sudo tessera --state-dir /home/<user>/.tessera gateway install --system",
    );
  });
  return { uid: owner.uid, gid: owner.gid };
}
