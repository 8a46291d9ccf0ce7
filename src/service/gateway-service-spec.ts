/**
 * What a service file says, whatever the service manager: the command that starts the gateway and the
 * environment it starts with. Only paths and the user to run as, never a value from the caller's
 * environment: the tokens stay in `<state>/.env`, which the gateway reads itself, so a unit file
 * (0644, readable by every local user, shown by `systemctl cat`) never holds a secret.
 */
export interface GatewayServiceSpec {
  /** The absolute node binary (`process.execPath` of the install run). */
  nodePath: string;
  /** The absolute `bin/tessera.js` of this install (see `findTesseraLauncher`). */
  binPath: string;
  /** The resolved absolute state dir, passed as `TESSERA_STATE_DIR`. */
  stateDir: string;
  /** Set only when the config is not `<state>/config.json`; passed as `TESSERA_CONFIG`. */
  configPath?: string;
  /** For a system unit: the numeric user and group the gateway runs as (the state dir's owner). */
  runAs?: { uid: number; gid: number };
}

/** The gateway's command line: node, our bin, `gateway`. */
export function gatewayArgv(spec: GatewayServiceSpec): string[] {
  return [spec.nodePath, spec.binPath, "gateway"];
}

/** The environment the service sets, in a fixed order (so a re-install renders the same bytes). */
export function gatewayEnvironment(spec: GatewayServiceSpec): [name: string, value: string][] {
  const vars: [string, string][] = [["TESSERA_STATE_DIR", spec.stateDir]];
  if (spec.configPath !== undefined) vars.push(["TESSERA_CONFIG", spec.configPath]);
  return vars;
}
