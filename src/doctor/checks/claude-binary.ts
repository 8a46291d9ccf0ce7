import { CLAUDE_INSTALL_HINT } from "../../auth/claude-code.js";
import { findOnPath } from "../../executable-on-path.js";
import type { DoctorCheck } from "../doctor-check.js";

/**
 * Whether the `claude` binary is on `PATH`. Information only: Tessera needs it just for
 * `tessera models auth setup-token`; a setup-token made on another machine works as well.
 */
export const claudeBinaryCheck: DoctorCheck = {
  name: "claude-binary",
  async run(scope) {
    const found = await findOnPath("claude", scope.processEnv.PATH ?? "");
    return [
      found
        ? {
            check: "claude-binary",
            key: "claude-binary:found",
            severity: "info",
            what: `claude (Claude Code) found at ${found}`,
            fix: "none needed",
          }
        : {
            check: "claude-binary",
            key: "claude-binary:missing",
            severity: "info",
            what: "claude (Claude Code) is not on PATH; only `tessera models auth setup-token` needs it",
            fix: `${CLAUDE_INSTALL_HINT}   (or run \`claude setup-token\` on another machine and paste the token: tessera models auth paste-token --provider anthropic)`,
          },
    ];
  },
};
