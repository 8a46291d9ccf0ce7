import { join } from "node:path";
import { type GatewayServiceSpec, gatewayArgv, gatewayEnvironment } from "./gateway-service-spec.js";
import { PLIST_MARKER_LINE } from "./service-marker.js";

/** The job's launchd label, and the plist's file name without `.plist`. */
export const LAUNCHD_LABEL = "dev.tessera.gateway";

/**
 * Where launchd writes the gateway's output: beside its other files in the state dir. The log is on
 * stderr; stdout stays empty unless something prints there. Neither holds a secret (the gateway's log
 * redacts them).
 */
export function launchdLogPaths(stateDir: string): { stdout: string; stderr: string } {
  return { stdout: join(stateDir, "gateway.out.log"), stderr: join(stateDir, "gateway.err.log") };
}

/** Same meaning as the systemd unit's RestartSec and TimeoutStopSec (see systemd-unit.ts). */
const THROTTLE_INTERVAL_SEC = 5;
const EXIT_TIMEOUT_SEC = 30;

/**
 * The LaunchAgent for `spec` (macOS): starts at login (`RunAtLoad`) and again only when the gateway
 * exits with a failure (`KeepAlive` → `SuccessfulExit` false, systemd's `Restart=on-failure`); a clean
 * exit after SIGTERM stays stopped. Every string is XML-escaped; deterministic like the unit.
 */
export function renderLaunchdPlist(spec: GatewayServiceSpec): string {
  const logs = launchdLogPaths(spec.stateDir);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    PLIST_MARKER_LINE,
    "<!-- No secret belongs here: the gateway reads its tokens from .env in its state dir. -->",
    '<plist version="1.0">',
    "<dict>",
    ...entry("Label", string(LAUNCHD_LABEL)),
    ...entry("ProgramArguments", [
      "<array>",
      ...gatewayArgv(spec).map((arg) => `  ${string(arg)}`),
      "</array>",
    ]),
    ...entry("EnvironmentVariables", [
      "<dict>",
      ...gatewayEnvironment(spec).flatMap(([name, value]) => entry(name, string(value))),
      "</dict>",
    ]),
    ...entry("RunAtLoad", "<true/>"),
    ...entry("KeepAlive", ["<dict>", ...entry("SuccessfulExit", "<false/>"), "</dict>"]),
    ...entry("ThrottleInterval", `<integer>${THROTTLE_INTERVAL_SEC}</integer>`),
    ...entry("ExitTimeOut", `<integer>${EXIT_TIMEOUT_SEC}</integer>`),
    ...entry("StandardOutPath", string(logs.stdout)),
    ...entry("StandardErrorPath", string(logs.stderr)),
    "</dict>",
    "</plist>",
  ];
  return `${lines.join("\n")}\n`;
}

/** A `<key>` and its value, indented one level inside a `<dict>`. */
function entry(key: string, value: string | string[]): string[] {
  const values = typeof value === "string" ? [value] : value;
  return [`<key>${xmlText(key)}</key>`, ...values].map((line) => `  ${line}`);
}

function string(value: string): string {
  return `<string>${xmlText(value)}</string>`;
}

/** Escapes text for an XML element: `&` first, then the characters that would end or open markup. */
export function xmlText(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
