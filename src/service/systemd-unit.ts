import { type GatewayServiceSpec, gatewayArgv, gatewayEnvironment } from "./gateway-service-spec.js";
import { SYSTEMD_MARKER_LINE } from "./service-marker.js";

/** The unit's file name; `systemctl … tessera-gateway` names it without the suffix. */
export const SYSTEMD_UNIT_NAME = "tessera-gateway.service";

/** Seconds between a failure and the restart: long enough not to spin on a bad token or config. */
const RESTART_SEC = 5;
/** At most this many starts within `START_LIMIT_INTERVAL_SEC`; then systemd gives up (see the unit). */
const START_LIMIT_BURST = 5;
const START_LIMIT_INTERVAL_SEC = 300;
/**
 * Seconds systemd waits after SIGTERM before SIGKILL. The gateway gives answers in flight 10 s, then
 * its platform libraries up to 2 s more to let go (`EXIT_GRACE_MS`); 30 s leaves room on a slow box
 * and still stops a hung process.
 */
const TIMEOUT_STOP_SEC = 30;

/**
 * The systemd unit for `spec`: a user unit (`WantedBy=default.target`, started by the user's own
 * manager — with `loginctl enable-linger` also at boot) or, with `spec.runAs`, a system unit
 * (`WantedBy=multi-user.target`, `User=`/`Group=` numeric, as `tessera gateway install --system`
 * decides). Deterministic: the same spec always renders the same bytes, which is what lets a re-run
 * of `install` see that nothing changed.
 *
 * `ExecReload` sends SIGHUP because the gateway re-reads its config on SIGHUP; `systemctl reload` then
 * works without a restart. No `EnvironmentFile=`: the gateway reads `<state>/.env` itself, so the
 * secrets in it reach the process without systemd (or this file) seeing them.
 */
export function renderSystemdUnit(spec: GatewayServiceSpec): string {
  const lines = [
    SYSTEMD_MARKER_LINE,
    "# No secret belongs here: the gateway reads its tokens from .env in its state dir.",
    "[Unit]",
    "Description=Tessera chat gateway (Telegram/Discord)",
    // Only the system manager has network-online.target; a user unit naming it waits for nothing.
    ...(spec.runAs ? ["After=network-online.target", "Wants=network-online.target"] : []),
    // A failure that repeats (a revoked token, a broken config) stops the restarts after five tries
    // within five minutes, so `systemctl status` shows it failed instead of a restart every 5 s forever.
    `StartLimitIntervalSec=${START_LIMIT_INTERVAL_SEC}`,
    `StartLimitBurst=${START_LIMIT_BURST}`,
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${gatewayArgv(spec)
      .map((word, i) => (i === 0 ? unitWord(word) : execArgWord(word)))
      .join(" ")}`,
    ...gatewayEnvironment(spec).map(([name, value]) => `Environment=${unitWord(`${name}=${value}`)}`),
    ...(spec.runAs ? [`User=${spec.runAs.uid}`, `Group=${spec.runAs.gid}`] : []),
    "ExecReload=/bin/kill -HUP $MAINPID",
    "Restart=on-failure",
    `RestartSec=${RESTART_SEC}`,
    `TimeoutStopSec=${TIMEOUT_STOP_SEC}`,
    "KillSignal=SIGTERM",
    // Journal lines say tessera-gateway instead of node.
    "SyslogIdentifier=tessera-gateway",
    "",
    "[Install]",
    `WantedBy=${spec.runAs ? "multi-user.target" : "default.target"}`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * One word of a unit setting, as systemd.syntax(7) reads it back: `%` starts a specifier, so it is
 * doubled; a word with whitespace, a quote or a backslash goes in double quotes, inside which `\` and
 * `"` are escaped (systemd applies C-style unescaping). Used as is for `Environment=`, where `$` has
 * no meaning.
 */
export function unitWord(word: string): string {
  const escaped = word.replaceAll("%", "%%");
  if (escaped !== "" && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * An argument of `ExecStart=` (not the executable): as `unitWord`, and `$` doubled, since systemd
 * substitutes `${NAME}` in arguments and reads `$$` as one `$`. The executable path itself is taken
 * literally (`$` and all; systemd 252 reports `a$$b` as not found), and systemd refuses one with a
 * quote or a backslash, which `buildGatewayServiceSpec` turns away first.
 */
export function execArgWord(word: string): string {
  return unitWord(word.replaceAll("$", () => "$$"));
}
