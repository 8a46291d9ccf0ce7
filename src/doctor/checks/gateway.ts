import { describeLiveness } from "../../runtime/describe-gateway-status.js";
import { gatewayStatusPath, RESTART_FIX, readGatewayLiveness } from "../../runtime/gateway-status.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { Finding } from "../finding.js";

const START_FIX =
  "start it: `systemctl --user start tessera-gateway` when installed as a service (`tessera gateway install`), else `tessera gateway`";

/**
 * The line `tessera gateway status` prints, as a finding: whether this state dir's gateway runs. A
 * gateway that is not running is information (the CLI works without one); a stale status file (the
 * gateway was killed) and a running gateway that could not load the latest config change are warnings.
 */
export const gatewayCheck: DoctorCheck = {
  name: "gateway",
  async run(scope) {
    const liveness = await readGatewayLiveness(scope.paths.stateDir);
    const path = gatewayStatusPath(scope.paths.stateDir);
    const [line = ""] = describeLiveness(liveness, { path, home: scope.home, now: scope.now });
    const finding = (key: string, severity: Finding["severity"], fix: string): Finding[] => [
      { check: "gateway", key: `gateway:${key}`, severity, what: line, fix, path },
    ];
    switch (liveness.state) {
      case "running": {
        const { configError, restartNeeded } = liveness.status;
        if (configError)
          return finding(
            "config-not-loaded",
            "warning",
            `the running gateway could not load the latest config change: ${configError}`,
          );
        if (restartNeeded.length > 0) {
          return finding(
            "restart-needed",
            "warning",
            `to use the changed ${restartNeeded.join(", ")}, ${RESTART_FIX}`,
          );
        }
        return finding("running", "info", "none needed");
      }
      case "stale":
        return finding("stale", "warning", START_FIX);
      case "unreadable":
        return finding("unreadable", "warning", liveness.fix);
      default:
        return finding("not-running", "info", `none needed unless you want it running: ${START_FIX}`);
    }
  },
};
