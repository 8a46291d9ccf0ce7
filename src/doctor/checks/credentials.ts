import type { AuthStore } from "../../auth/auth-store.js";
import { CLAUDE_CLI_PROFILE_ID, claudeCodeLocation } from "../../auth/claude-code.js";
import { OAuthRefresher } from "../../auth/oauth-refresh.js";
import { addCredentialFix, buildStatusReport, type StatusReport } from "../../auth/status-report.js";
import { describeExpiry, parseDuration } from "../../config/duration.js";
import { providerInfo } from "../../models/provider-catalog.js";
import { agentPrefix, DOCTOR_ACTOR } from "../agent-auth.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { DoctorScope } from "../doctor-scope.js";
import { type Finding, RepairPhase } from "../finding.js";

/**
 * Credential health, read from the status report — the doctor renders the resolver's verdict and
 * never judges a credential its own way. Problems of providers no configured model uses are at most
 * warnings. The report lists every `expiring` credential (not just the one in use); each
 * `refreshable` oauth credential gets a real refresh under `--fix`: a forced token exchange, proven
 * by the re-check.
 */
export const credentialsCheck: DoctorCheck = {
  name: "credentials",
  async run(scope) {
    const findings: Finding[] = [];
    // On an invalid config, scope.config holds the defaults (24h).
    const warnWithinMs = parseDuration(scope.config.auth.warnWithin);
    for (const agent of scope.configuredAgents) {
      const { store, snapshot: auth } = await scope.agentAuth(agent);
      if (!auth) continue;
      const report = buildStatusReport({
        config: scope.config,
        configPath: scope.paths.configPath,
        agent,
        storePath: store.path,
        auth,
        env: scope.env,
        now: scope.now,
        warnWithinMs,
      });
      findings.push(...problemFindings(scope, agent, report));
      findings.push(...refreshableFindings(scope, agent, report, store));
    }
    return dedupeByKey(findings);
  },
};

function problemFindings(scope: DoctorScope, agent: string, report: StatusReport): Finding[] {
  const prefix = agentPrefix(scope, agent);
  return report.problems.map((problem) => {
    // A problem of no provider (the login-shell import) is the same for every agent: keyed once.
    if (problem.provider === undefined) {
      const { severity, what, fix } = problem;
      return { check: "credentials", key: `cred:env:${what}`, severity, what, fix };
    }
    const provider = report.providers.find((p) => p.provider === problem.provider);
    const unused = provider !== undefined && !provider.inUse;
    const severity = unused && problem.severity === "error" ? "warning" : problem.severity;
    return {
      check: "credentials",
      key: `cred:${agent}:${problem.provider}:${problem.profileId ?? "-"}:${problem.severity}:${problem.exit ?? 0}`,
      severity,
      what: `${prefix}${problem.what}${unused && problem.severity === "error" ? ` (no configured model uses ${problem.provider})` : ""}`,
      fix: problem.fix,
      agent,
      profileId: problem.profileId,
    };
  });
}

function refreshableFindings(
  scope: DoctorScope,
  agent: string,
  report: StatusReport,
  store: AuthStore,
): Finding[] {
  const findings: Finding[] = [];
  for (const provider of report.providers) {
    const tokenUrl = providerInfo(scope.config, provider.provider)?.oauthTokenUrl;
    for (const profile of provider.profiles) {
      if (profile.state !== "refreshable" || !profile.id.includes(":") || profile.id.startsWith("env:"))
        continue;
      const base = {
        check: "credentials",
        // The expiry is part of the key: a refresh proves itself by replacing the access token, even
        // when the new one (8h for Anthropic) still falls inside a 24h warn window.
        key: `refresh:${agent}:${profile.id}:${profile.expiresAt ?? "-"}`,
        agent,
        profileId: profile.id,
      };
      if (!scope.configValid) {
        findings.push({
          ...base,
          severity: "warning",
          what: `${agentPrefix(scope, agent)}${profile.id}: ${profile.reason}; not refreshed while the config is invalid (it names the token endpoint)`,
          fix: "fix the config errors above, then: tessera doctor --fix",
        });
        continue;
      }
      if (!tokenUrl) {
        findings.push({
          ...base,
          severity: "warning",
          what: `${agentPrefix(scope, agent)}${profile.id}: ${profile.reason}, but Tessera cannot refresh ${provider.provider} oauth credentials`,
          fix: `store a credential Tessera can use: ${addCredentialFix(provider.provider)}`,
        });
        continue;
      }
      findings.push({
        ...base,
        severity: "info",
        what: `${agentPrefix(scope, agent)}${profile.id}: ${profile.reason}`,
        fix: "none needed; `tessera doctor --fix` refreshes it now",
        repair: {
          describe: `refresh ${profile.id} at ${tokenUrl}`,
          phase: RepairPhase.refresh,
          async apply() {
            const refresher = new OAuthRefresher({
              store,
              tokenUrl,
              claudeCode:
                profile.id === CLAUDE_CLI_PROFILE_ID
                  ? claudeCodeLocation(scope.processEnv, process.platform, scope.home)
                  : undefined,
              who: DOCTOR_ACTOR,
            });
            const fresh = await refresher.fresh(profile.id, { force: true });
            const left = fresh.expires === undefined ? "" : `; ${describeExpiry(fresh.expires, Date.now())}`;
            return `refreshed ${profile.id}${agentPrefix(scope, agent) ? ` (agent ${agent})` : ""}${left}`;
          },
        },
      });
    }
  }
  return findings;
}

/** A finding several agents share (keyed without the agent) is listed once. */
function dedupeByKey(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (seen.has(f.key)) return false;
    seen.add(f.key);
    return true;
  });
}
