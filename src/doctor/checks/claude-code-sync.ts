import { claudeCodeLocation } from "../../auth/claude-code.js";
import { agentPrefix } from "../agent-auth.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { Finding } from "../finding.js";

/**
 * Claude Code sync (PRODUCT §3.4, §5): like `models status` and the gateway, the doctor brings
 * Claude Code's current login into `anthropic:claude-cli` of each configured agent when it loads the
 * store (`scope.agentAuth`); this check says what happened — synced, kept ours (and why), or shadowed by a credential the user stored under that id.
 * Skipped when the config is invalid (it may be the very file that turns sync off).
 */
export const claudeCodeSyncCheck: DoctorCheck = {
  name: "claude-code",
  async run(scope) {
    if (!scope.configValid) {
      return [
        {
          check: "claude-code",
          key: "claude-code:skipped",
          severity: "info",
          what: "Claude Code sync skipped: the config is invalid (it may turn sync off)",
          fix: "fix the config errors, then run `tessera doctor` again",
        },
      ];
    }
    if (!scope.config.auth.claudeCode.sync) return [];
    const location = claudeCodeLocation(scope.processEnv, process.platform, scope.home);
    const findings: Finding[] = [];
    for (const agent of scope.configuredAgents) {
      const { snapshot, claudeCode: result } = await scope.agentAuth(agent);
      if (!snapshot || !result) continue;
      const prefix = agentPrefix(scope, agent);
      if (result.status === "error") {
        findings.push({
          check: "claude-code",
          key: `claude-code:${agent}:error`,
          severity: "warning",
          what: `${prefix}Claude Code sync failed: ${result.message}`,
          fix: result.hint ?? "set auth.claudeCode.sync to false to stop syncing",
          agent,
        });
        continue;
      }
      const base = { check: "claude-code", key: `claude-code:${agent}:${result.status}`, agent };
      if (result.status === "created" || result.status === "updated") {
        findings.push({
          ...base,
          severity: "info",
          what: `${prefix}${result.status === "created" ? "added" : "updated"} anthropic:claude-cli (${result.type}) from Claude Code's login (${location.filePath})`,
          fix: "none needed",
          profileId: "anthropic:claude-cli",
        });
      } else if (result.status === "shadowed") {
        findings.push({
          ...base,
          severity: "info",
          what: `${prefix}anthropic:claude-cli holds a credential you stored yourself; Claude Code's login (${location.filePath}) is not used`,
          fix: `none needed if that is what you want; to use Claude Code's login instead: tessera models auth remove anthropic:claude-cli --agent ${agent}`,
          profileId: "anthropic:claude-cli",
        });
      } else if (result.status === "kept") {
        findings.push({
          ...base,
          severity: "info",
          what: `${prefix}kept the stored anthropic:claude-cli rather than Claude Code's: ${result.why}`,
          fix: "none needed",
          profileId: "anthropic:claude-cli",
        });
      }
    }
    return findings;
  },
};
