import type { AuthSnapshot } from "../../auth/auth-store.js";
import { CLAUDE_CLI_PROFILE_ID } from "../../auth/claude-code.js";
import { providerOfProfileId } from "../../auth/credentials.js";
import { resolveCandidates } from "../../auth/resolver.js";
import { envSnapshotOf } from "../../config/env.js";
import { objectAt, updateConfigFile } from "../../config/load.js";
import type { AuthProfileMeta } from "../../config/schema.js";
import { providerInfo } from "../../models/provider-catalog.js";
import { agentPrefix } from "../agent-auth.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { DoctorScope } from "../doctor-scope.js";
import { type Finding, RepairPhase } from "../finding.js";
import { removedProfileIds } from "./removed-profiles.js";

/**
 * Profiles that exist but can never be used, or are described but do not exist:
 * - config `auth.profiles` entries that no agent stores (orphaned metadata);
 * - stored profiles of a provider Tessera does not know (e.g. brought over from another tool);
 * - stored profiles whose id names another provider than the credential;
 * - order lists (the agent's override or config `auth.order`) naming missing profiles, and stored
 *   profiles an order leaves out — the resolver's own `excluded` list, so the reasons match status.
 * Also agents that have files on disk but are not in the config.
 */
export const profilesCheck: DoctorCheck = {
  name: "profiles",
  async run(scope) {
    const findings: Finding[] = [];
    const stores = new Map<string, AuthSnapshot>();
    for (const agent of scope.configuredAgents) {
      const { snapshot } = await scope.agentAuth(agent);
      if (snapshot) stores.set(agent, snapshot);
    }
    // Config entries of a profile removed by a command that did not finish are that check's findings.
    const removed = await removedProfileIds(scope);
    findings.push(...orphanedMetadata(scope, stores).filter((f) => !removed.has(f.profileId!)));
    findings.push(...missingMetadata(scope, stores));
    for (const [agent, auth] of stores) findings.push(...storedProfileFindings(scope, agent, auth, removed));
    for (const agent of scope.agents) {
      if (scope.configuredAgents.includes(agent)) continue;
      findings.push({
        check: "profiles",
        key: `agent-unconfigured:${agent}`,
        severity: "warning",
        what: `${scope.paths.stateDir}/agents/${agent} exists but agent ${agent} is not in the config; its credentials are never used`,
        fix: `add { "id": "${agent}" } to agents.list in ${scope.paths.configPath}, or move the directory away`,
        agent,
      });
    }
    return findings;
  },
};

function orphanedMetadata(scope: DoctorScope, stores: Map<string, AuthSnapshot>): Finding[] {
  if (!scope.configValid) return [];
  const findings: Finding[] = [];
  for (const [id, meta] of Object.entries(scope.config.auth.profiles)) {
    const holders = [...stores].filter(([, auth]) => Object.hasOwn(auth.profiles.profiles, id));
    if (providerOfProfileId(id) !== meta.provider) {
      findings.push({
        check: "profiles",
        key: `meta-provider:${id}`,
        severity: "warning",
        what: `config auth.profiles["${id}"] says provider ${meta.provider}, but the id names ${providerOfProfileId(id)}`,
        fix: `correct auth.profiles["${id}"].provider in ${scope.paths.configPath}`,
        profileId: id,
      });
    }
    if (holders.length === 0 && stores.size > 0) {
      const claude = id === CLAUDE_CLI_PROFILE_ID;
      findings.push({
        check: "profiles",
        key: `orphan-meta:${id}`,
        severity: "warning",
        what: `config auth.profiles["${id}"] describes a profile that no agent stores`,
        fix: claude
          ? "log in with Claude Code (`claude`) so it is synced, or remove the entry from auth.profiles"
          : `store it (tessera models auth ${meta.mode === "api_key" ? "paste-api-key" : "paste-token"} --provider ${meta.provider} --profile-id ${id}), or remove auth.profiles["${id}"] from ${scope.paths.configPath}`,
        profileId: id,
      });
    }
    for (const [agent, auth] of holders) {
      const stored = auth.profiles.profiles[id]!;
      const accepts = meta.mode === stored.type || (meta.mode === "oauth" && stored.type === "token");
      if (!accepts) {
        findings.push({
          check: "profiles",
          key: `meta-mode:${agent}:${id}`,
          severity: "info",
          what: `${agentPrefix(scope, agent)}config auth.profiles["${id}"].mode is ${meta.mode}, but the stored credential is ${stored.type} (the stored one is what is used)`,
          fix: `set auth.profiles["${id}"].mode to "${stored.type}" in ${scope.paths.configPath}`,
          agent,
          profileId: id,
        });
      }
    }
  }
  return findings;
}

/** Origins of profiles the CLI stores together with their config metadata (`storeUserProfile`). */
const WITH_METADATA = new Set(["user", "login", "onboard"]);

/**
 * Profiles a person stored whose config `auth.profiles[id]` metadata is missing: the command that
 * stored them failed (or was killed) between the store write and the config write. `--fix` writes
 * the metadata, which finishes what the command started.
 */
function missingMetadata(scope: DoctorScope, stores: Map<string, AuthSnapshot>): Finding[] {
  if (!scope.configValid) return [];
  const findings: Finding[] = [];
  const written = new Set<string>();
  for (const [agent, auth] of stores) {
    for (const [id, credential] of Object.entries(auth.profiles.profiles)) {
      if (!credential.origin || !WITH_METADATA.has(credential.origin)) continue;
      if (Object.hasOwn(scope.config.auth.profiles, id) || written.has(id)) continue;
      written.add(id);
      const meta: AuthProfileMeta = {
        provider: credential.provider,
        mode: id === CLAUDE_CLI_PROFILE_ID ? "oauth" : credential.type,
        ...(credential.email ? { email: credential.email } : {}),
      };
      findings.push({
        check: "profiles",
        key: `missing-meta:${id}`,
        severity: "warning",
        what: `${agentPrefix(scope, agent)}${id} is stored, but config auth.profiles["${id}"] is missing (the command that stored it did not finish)`,
        fix: `tessera doctor --fix   (writes auth.profiles["${id}"] = ${JSON.stringify(meta)} to ${scope.paths.configPath})`,
        agent,
        profileId: id,
        repair: {
          describe: `write auth.profiles["${id}"] to ${scope.paths.configPath}`,
          phase: RepairPhase.config,
          async apply() {
            await updateConfigFile(
              scope.paths.configPath,
              (raw) => {
                const profiles = objectAt(raw, "auth", "profiles");
                if (!Object.hasOwn(profiles, id)) profiles[id] = meta;
              },
              { stateDir: scope.paths.stateDir },
            );
            return `wrote auth.profiles["${id}"] to ${scope.paths.configPath}`;
          },
        },
      });
    }
  }
  return findings;
}

function storedProfileFindings(
  scope: DoctorScope,
  agent: string,
  auth: AuthSnapshot,
  removed: Set<string>,
): Finding[] {
  const findings: Finding[] = [];
  const prefix = agentPrefix(scope, agent);
  const providers = new Set<string>();
  for (const [id, credential] of Object.entries(auth.profiles.profiles)) {
    providers.add(credential.provider);
    if (!providerInfo(scope.config, credential.provider)) {
      findings.push({
        check: "profiles",
        key: `unknown-provider:${agent}:${id}`,
        severity: "warning",
        what: `${prefix}${id} is a ${credential.provider} credential, a provider Tessera does not know; it is never used`,
        fix: `declare models.providers.${credential.provider} (baseUrl, api) in ${scope.paths.configPath}, or: tessera models auth remove ${id} --agent ${agent}`,
        agent,
        profileId: id,
      });
    }
    if (providerOfProfileId(id) !== credential.provider) {
      findings.push({
        check: "profiles",
        key: `id-provider:${agent}:${id}`,
        severity: "warning",
        what: `${prefix}profile id ${id} names ${providerOfProfileId(id)}, but the credential is for ${credential.provider}`,
        fix: `store it again as ${credential.provider}:<name> and remove it: tessera models auth remove ${id} --agent ${agent}`,
        agent,
        profileId: id,
      });
    }
  }
  for (const provider of Object.keys(auth.profiles.order)) providers.add(provider);
  if (scope.configValid) for (const provider of Object.keys(scope.config.auth.order)) providers.add(provider);
  for (const provider of providers) {
    // Pure and offline: only the order logic matters here, not the environment.
    const resolution = resolveCandidates({
      provider,
      auth,
      config: scope.config,
      env: envSnapshotOf({}),
      now: scope.now,
      warnWithinMs: 0,
    });
    const agentOrder = auth.profiles.order[provider] !== undefined;
    for (const excluded of resolution.excluded) {
      const stored = auth.profiles.profiles[excluded.id];
      const missing = !stored || stored.provider !== provider;
      if (missing && !agentOrder && removed.has(excluded.id)) continue;
      findings.push({
        check: "profiles",
        key: `order:${agent}:${provider}:${excluded.id}:${missing ? "missing" : "left-out"}`,
        severity: missing ? "warning" : "info",
        what: missing
          ? `${prefix}${excluded.id} is ${excluded.reason}`
          : `${prefix}${excluded.id} is never used: ${excluded.reason}`,
        fix: agentOrder
          ? `tessera models auth order set --provider ${provider} --agent ${agent} <ids…>   (or: tessera models auth order clear --provider ${provider} --agent ${agent})`
          : `edit auth.order.${provider} in ${scope.paths.configPath}`,
        agent,
        profileId: excluded.id,
      });
    }
  }
  return findings;
}
