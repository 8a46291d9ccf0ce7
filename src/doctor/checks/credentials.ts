import type { AuthStore } from "../../auth/auth-store.js";
import { CLAUDE_CLI_PROFILE_ID, claudeCodeLocation } from "../../auth/claude-code.js";
import { OAuthRefresher } from "../../auth/oauth-refresh.js";
import type { Candidate } from "../../auth/resolver.js";
import {
  buildStatusReport,
  credentialFix,
  type ProfileStatus,
  type StatusReport,
} from "../../auth/status-report.js";
import { describeExpiry, parseDuration } from "../../config/duration.js";
import { providerInfo } from "../../models/provider-catalog.js";
import { agentPrefix, DOCTOR_ACTOR, doctorStore, loadAgentAuth } from "../agent-auth.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { DoctorScope } from "../doctor-scope.js";
import { type Finding, RepairPhase } from "../finding.js";

/**
 * Credential health, read from the status report — the doctor renders the resolver's verdict and
 * never judges a credential its own way. Problems of providers no configured model uses are at most
 * warnings. Every `expiring` credential is listed (not just the one in use), and each `refreshable`
 * oauth credential gets a real refresh under `--fix`: a forced token exchange, proven by the re-check.
 */
export const credentialsCheck: DoctorCheck = {
  name: "credentials",
  async run(scope) {
    const findings: Finding[] = [];
    const warnWithinMs = scope.configValid ? parseDuration(scope.config.auth.warnWithin) : 24 * 3_600_000;
    for (const agent of scope.configuredAgents) {
      const store = doctorStore(scope, agent);
      const auth = await loadAgentAuth(store);
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
      findings.push(...expiringFindings(scope, agent, report));
      findings.push(...refreshableFindings(scope, agent, report, store));
    }
    return dedupeShellProblems(findings);
  },
};

function problemFindings(scope: DoctorScope, agent: string, report: StatusReport): Finding[] {
  const prefix = agentPrefix(scope, agent);
  return report.problems.map((problem) => {
    const provider = report.providers.find((p) => p.provider === problem.provider);
    const unused = provider !== undefined && !provider.inUse;
    const severity = unused && problem.severity === "error" ? "warning" : problem.severity;
    return {
      check: "credentials",
      key: `cred:${agent}:${problem.provider ?? "-"}:${problem.profileId ?? "-"}:${problem.severity}:${problem.exit ?? 0}`,
      severity,
      what: `${prefix}${problem.what}${unused && problem.severity === "error" ? ` (no configured model uses ${problem.provider})` : ""}`,
      fix: problem.fix,
      agent,
      profileId: problem.profileId,
    };
  });
}

/** Static credentials that expire within the warn window, including ones not next in line. */
function expiringFindings(scope: DoctorScope, agent: string, report: StatusReport): Finding[] {
  const reported = new Set(report.problems.map((p) => p.profileId).filter(Boolean));
  const findings: Finding[] = [];
  for (const provider of report.providers) {
    for (const profile of provider.profiles) {
      if (profile.state !== "expiring" || reported.has(profile.id)) continue;
      findings.push({
        check: "credentials",
        key: `cred:${agent}:${provider.provider}:${profile.id}:expiring`,
        severity: "warning",
        what: `${agentPrefix(scope, agent)}${profile.id}: ${profile.reason}`,
        fix: credentialFix(provider.provider, asCandidate(provider.provider, profile)),
        agent,
        profileId: profile.id,
      });
    }
  }
  return findings;
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
      if (!tokenUrl || !scope.configValid) {
        findings.push({
          ...base,
          severity: "warning",
          what: `${agentPrefix(scope, agent)}${profile.id}: ${profile.reason}, but Tessera cannot refresh ${provider.provider} oauth credentials`,
          fix: `store a credential Tessera can use: ${credentialFix(provider.provider, asCandidate(provider.provider, profile))}`,
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

/** The shell-import problem is the same for every agent; report it once. */
function dedupeShellProblems(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = f.profileId === undefined && f.what.includes("login-shell import") ? "shell" : f.key;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `credentialFix` takes a resolver candidate; a status line carries the same facts. */
function asCandidate(provider: string, profile: ProfileStatus): Candidate {
  return {
    ...profile,
    kind: profile.id.startsWith("env:") ? "env" : "profile",
    provider,
    expiresAt: profile.expiresAt ?? undefined,
    canRefresh: false,
  };
}
