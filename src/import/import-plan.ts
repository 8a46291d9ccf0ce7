import type { AuthProfilesFile, Credential } from "../auth/credentials.js";
import { sameCredential, secretOf } from "../auth/credentials.js";
import { maskSecret } from "../auth/mask.js";
import type { Config } from "../config/schema.js";
import { providerInfo } from "../models/provider-catalog.js";
import { ownEntry } from "../own-entry.js";
import type { SourceProfile, SourceScan } from "./clawdbot-source.js";

export interface ImportOptions {
  /** Target agent for the source's `main` (or for `fromAgent`); default: the configured default agent. */
  agent?: string;
  /** Import only this source agent. */
  fromAgent?: string;
  /** Overwrite profiles (and orders) that exist here with different contents. */
  replace?: boolean;
}

/** What happens to one source profile. `import` adds, `replace` overwrites (only with `--replace`). */
export type ImportAction = "import" | "replace" | "skip";

export interface ProfileDecision {
  sourceAgent: string;
  file: string;
  sourceId: string;
  /** Undefined when the source agent has no target here. */
  targetAgent?: string;
  profileId: string;
  provider: string | null;
  type: string | null;
  /** Masked secret (last 4 + fingerprint); null for entries that could not be read. */
  masked: string | null;
  action: ImportAction;
  reason: string;
  /** Not printed; what would be written. */
  credential?: Credential;
}

export interface OrderDecision {
  sourceAgent: string;
  file: string;
  targetAgent?: string;
  provider: string;
  ids: string[];
  action: "import" | "replace" | "skip";
  reason: string;
}

/**
 * Which Tessera agent a source agent goes to. `main` (and the legacy single-agent dir and
 * `credentials/oauth.json`) → `--agent`, else the configured default; any other source agent → the
 * Tessera agent of the same id when configured; `--from-agent X --agent Y` maps just X to Y.
 */
export function targetAgentFor(
  sourceAgent: string,
  config: Config,
  opts: ImportOptions,
): { agent?: string; reason?: string } {
  const configured = new Set([config.agents.default, ...config.agents.list.map((a) => a.id)]);
  if (opts.fromAgent !== undefined) {
    if (sourceAgent !== opts.fromAgent) return { reason: `only --from-agent ${opts.fromAgent} is imported` };
    return { agent: opts.agent ?? (configured.has(sourceAgent) ? sourceAgent : config.agents.default) };
  }
  if (sourceAgent === "main") return { agent: opts.agent ?? config.agents.default };
  if (configured.has(sourceAgent)) return { agent: sourceAgent };
  return {
    reason: `source agent ${sourceAgent} has no agent here: add { "id": "${sourceAgent}" } to agents.list, or import it alone: --from-agent ${sourceAgent} --agent <id>`,
  };
}

/**
 * Decides every source profile and order against the target stores as they are now (`targets`:
 * agent → its `auth-profiles.json`). Pure, so the dry run and `--apply` (which decides again under
 * the store lock) agree. Rules: an identical profile is skipped; a different one under the same id is
 * kept unless `--replace`; a provider Tessera does not speak, an oauth credential it cannot refresh
 * (non-anthropic), or an invalid entry is skipped with the reason. An order is imported when the
 * agent has none for that provider, limited to profiles that exist after the import.
 */
export function planImport(
  scan: SourceScan,
  config: Config,
  targets: Map<string, AuthProfilesFile>,
  opts: ImportOptions,
): { profiles: ProfileDecision[]; orders: OrderDecision[] } {
  const profiles: ProfileDecision[] = [];
  const planned = new Map<string, ProfileDecision>(); // `${agent}\0${id}` → first decision that writes it
  for (const source of scan.profiles) {
    const target = targetAgentFor(source.sourceAgent, config, opts);
    const decision = describeSource(source, target.agent);
    if (!target.agent) Object.assign(decision, { action: "skip", reason: target.reason });
    else if (source.problem || !source.credential)
      Object.assign(decision, { action: "skip", reason: source.problem });
    else {
      const verdict = decideProfile(
        source.credential,
        source.profileId,
        config,
        targets.get(target.agent),
        opts,
      );
      const key = `${target.agent}\0${source.profileId}`;
      const earlier = planned.get(key);
      if (earlier && verdict.action !== "skip") {
        Object.assign(decision, {
          action: "skip",
          reason: `${earlier.file} already provides ${source.profileId}`,
        });
      } else {
        Object.assign(decision, verdict);
        if (verdict.action !== "skip") planned.set(key, decision);
      }
    }
    profiles.push(decision);
  }

  const orders: OrderDecision[] = [];
  for (const order of scan.orders) {
    const target = targetAgentFor(order.sourceAgent, config, opts);
    const base = {
      sourceAgent: order.sourceAgent,
      file: order.file,
      targetAgent: target.agent,
      provider: order.provider,
    };
    if (!target.agent) {
      orders.push({ ...base, ids: order.ids, action: "skip", reason: target.reason ?? "no target agent" });
      continue;
    }
    const store = targets.get(target.agent);
    const willExist = (id: string) =>
      ownEntry(store?.profiles, id)?.provider === order.provider ||
      planned.get(`${target.agent}\0${id}`)?.credential?.provider === order.provider;
    const ids = order.ids.filter(willExist);
    orders.push({ ...base, ids, ...decideOrder(order.provider, ids, store, opts) });
  }
  return { profiles, orders };
}

function describeSource(source: SourceProfile, targetAgent: string | undefined): ProfileDecision {
  return {
    sourceAgent: source.sourceAgent,
    file: source.file,
    sourceId: source.sourceId,
    targetAgent,
    profileId: source.profileId,
    provider: source.provider ?? null,
    type: source.type ?? null,
    masked: source.credential ? maskSecret(secretOf(source.credential)) : null,
    action: "skip",
    reason: "",
    credential: source.credential,
  };
}

/** The decision for one valid credential against one target store; also used under the lock. */
export function decideProfile(
  credential: Credential,
  profileId: string,
  config: Config,
  store: AuthProfilesFile | undefined,
  opts: Pick<ImportOptions, "replace">,
): { action: ImportAction; reason: string } {
  if (!providerInfo(config, credential.provider)) {
    return {
      action: "skip",
      reason: `unsupported provider ${credential.provider} (Tessera speaks anthropic, openai, openrouter and providers declared in models.providers)`,
    };
  }
  if (credential.type === "oauth" && credential.provider !== "anthropic") {
    return {
      action: "skip",
      reason: `Tessera can refresh oauth credentials of anthropic only, not ${credential.provider}`,
    };
  }
  if (
    secretOf(credential).trim() === "" &&
    !(credential.type === "oauth" && credential.refresh.trim() !== "")
  ) {
    return { action: "skip", reason: "the secret is empty" };
  }
  const existing = ownEntry(store?.profiles, profileId);
  if (!existing) return { action: "import", reason: "new" };
  if (sameCredential(existing, credential)) return { action: "skip", reason: "already present (identical)" };
  if (opts.replace) return { action: "replace", reason: `replaces the stored ${existing.type} (--replace)` };
  return {
    action: "skip",
    reason: `a different ${existing.type} credential is stored as ${profileId}; kept it (--replace overwrites)`,
  };
}

/** The decision for one order list; also used under the lock. */
export function decideOrder(
  provider: string,
  ids: string[],
  store: AuthProfilesFile | undefined,
  opts: Pick<ImportOptions, "replace">,
): { action: "import" | "replace" | "skip"; reason: string } {
  if (ids.length === 0)
    return { action: "skip", reason: "none of its profiles exists here after the import" };
  const existing = ownEntry(store?.order, provider);
  if (!existing) return { action: "import", reason: "new" };
  if (existing.join("\0") === ids.join("\0")) return { action: "skip", reason: "already set (identical)" };
  if (opts.replace) return { action: "replace", reason: `replaces ${existing.join(", ")} (--replace)` };
  return {
    action: "skip",
    reason: `the agent already has an order for ${provider} (${existing.join(", ")}); kept it`,
  };
}
