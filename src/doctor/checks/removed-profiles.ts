import { AuditLog } from "../../audit/audit-log.js";
import type { AuthStateFile } from "../../auth/auth-state.js";
import { forgetUsage } from "../../auth/auth-store.js";
import { updateConfigFile } from "../../config/load.js";
import { removeProfileFromConfig } from "../../config/profile-entries.js";
import { agentPrefix } from "../agent-auth.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { DoctorScope } from "../doctor-scope.js";
import { type Finding, RepairPhase } from "../finding.js";

/**
 * What a `tessera models auth remove` that stopped half way leaves behind. It removes the profile
 * from the store first, then its usage record, its audit line and its config entries, so:
 * - config `auth.profiles[id]` and `auth.order` entries for a profile no agent stores, when the
 *   audit log's last word on that id is its removal: `--fix` removes them, finishing the command.
 *   Without that record (the audit line failed too, or the entry was written by hand ahead of a
 *   Claude Code login) it stays the `profiles` check's orphaned-metadata warning: only a person can
 *   tell those apart.
 * - usage records (cooldowns, marks, `lastGood`) in an agent's auth-state.json for
 *   profiles its store no longer holds: harmless but stale, and `--fix` drops them.
 */
export const removedProfilesCheck: DoctorCheck = {
  name: "removed-profiles",
  async run(scope) {
    return [...(await configLeftovers(scope)), ...(await usageLeftovers(scope))];
  },
};

/**
 * Ids whose last `profile.*` audit entry is `profile.remove` and that no configured agent stores
 * now: removed on purpose, so config entries naming them are leftovers. Empty when a store or the
 * audit log cannot be read (other checks report those; nothing is judged without them). Memoised
 * per doctor run: the `profiles` check asks too, to leave these ids to this check.
 */
export function removedProfileIds(scope: DoctorScope): Promise<Set<string>> {
  let ids = memo.get(scope);
  if (!ids) {
    ids = findRemoved(scope).catch(() => new Set<string>());
    memo.set(scope, ids);
  }
  return ids;
}

const memo = new WeakMap<DoctorScope, Promise<Set<string>>>();

async function findRemoved(scope: DoctorScope): Promise<Set<string>> {
  const stored = new Set<string>();
  for (const agent of scope.configuredAgents) {
    const { snapshot } = await scope.agentAuth(agent);
    if (!snapshot) return new Set();
    for (const id of Object.keys(snapshot.profiles.profiles)) stored.add(id);
    for (const id of Object.keys(snapshot.profiles.unsupported ?? {})) stored.add(id);
  }
  const last = new Map<string, string>();
  for (const entry of (await new AuditLog(scope.paths.auditPath).read()).entries) {
    if (entry.target !== undefined && entry.action.startsWith("profile."))
      last.set(entry.target, entry.action);
  }
  return new Set(
    [...last].filter(([id, action]) => action === "profile.remove" && !stored.has(id)).map(([id]) => id),
  );
}

async function configLeftovers(scope: DoctorScope): Promise<Finding[]> {
  if (!scope.configValid) return [];
  const { profiles, order } = scope.config.auth;
  const findings: Finding[] = [];
  for (const id of await removedProfileIds(scope)) {
    const places = [
      ...(Object.hasOwn(profiles, id) ? [`auth.profiles["${id}"]`] : []),
      ...Object.entries(order)
        .filter(([, ids]) => ids.includes(id))
        .map(([provider]) => `auth.order.${provider}`),
    ];
    if (places.length === 0) continue;
    const { configPath, stateDir } = scope.paths;
    findings.push({
      check: "removed-profiles",
      key: `removed-in-config:${id}`,
      severity: "warning",
      what: `${id} was removed (the audit log says so, and no agent stores it), but the config still names it in ${places.join(" and ")} (the \`tessera models auth remove\` did not finish)`,
      fix: `tessera doctor --fix   (removes ${id} from ${places.join(" and ")} in ${configPath})`,
      path: configPath,
      profileId: id,
      repair: {
        describe: `remove ${id} from ${places.join(" and ")} in ${configPath}`,
        phase: RepairPhase.config,
        async apply() {
          await updateConfigFile(configPath, (raw) => removeProfileFromConfig(raw, id), { stateDir });
          return `removed ${id} from ${places.join(" and ")} in ${configPath}`;
        },
      },
    });
  }
  return findings;
}

/** Ids of usage kept for environment credentials (`env:NAME`): those have no stored profile. */
const ENV_ID = /^env:/;

async function usageLeftovers(scope: DoctorScope): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const agent of scope.agents) {
    const { store, snapshot } = await scope.agentAuth(agent);
    if (!snapshot) continue;
    const held = (id: string) =>
      ENV_ID.test(id) ||
      Object.hasOwn(snapshot.profiles.profiles, id) ||
      Object.hasOwn(snapshot.profiles.unsupported ?? {}, id);
    const stale = staleIds(snapshot.state, held);
    if (stale.length === 0) continue;
    findings.push({
      check: "removed-profiles",
      key: `stale-usage:${agent}`,
      severity: "info",
      what: `${agentPrefix(scope, agent)}${store.stateFile.path} keeps usage records for ${stale.length} profile(s) the store no longer holds (${stale.slice(0, 5).join(", ")}${stale.length > 5 ? ", …" : ""}); they are never used`,
      fix: "tessera doctor --fix   (drops them)",
      path: store.stateFile.path,
      agent,
      repair: {
        describe: `drop the usage records of ${stale.length} removed profile(s) from ${store.stateFile.path}`,
        phase: RepairPhase.config,
        async apply() {
          // Judged again under the state file's lock, against the store as it is now.
          const now = await store.profilesFile.read();
          const stillHeld = (id: string) =>
            ENV_ID.test(id) || Object.hasOwn(now.profiles, id) || Object.hasOwn(now.unsupported ?? {}, id);
          const dropped = await store.stateFile.update((state) => {
            const ids = staleIds(state, stillHeld);
            for (const id of ids) forgetUsage(state, id);
            return ids.length;
          });
          return `dropped the usage records of ${dropped} removed profile(s) from ${store.stateFile.path}`;
        },
      },
    });
  }
  return findings;
}

/**
 * Profile ids auth-state.json keeps usage or `lastGood` for that `held` says are gone. (Owner
 * notices are not looked at: the runtime drops those whose problem is gone by itself.)
 */
function staleIds(state: AuthStateFile, held: (id: string) => boolean): string[] {
  const ids = new Set([...Object.keys(state.usage), ...Object.values(state.lastGood)]);
  return [...ids].filter((id) => !held(id)).sort();
}
