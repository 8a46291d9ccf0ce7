import type { Actor } from "../audit/audit-log.js";
import type { AuthStore } from "../auth/auth-store.js";
import { secretOf } from "../auth/credentials.js";
import { fingerprint } from "../auth/mask.js";
import type { Config } from "../config/schema.js";
import { ownEntry } from "../own-entry.js";
import { decideOrder, decideProfile, type OrderDecision, type ProfileDecision } from "./import-plan.js";

/**
 * Writes one target agent's share of the plan in a single locked update of its store: every
 * decision is taken again under the lock against the store as it is then (another process may have
 * written since the plan), so the report says what really happened. Profiles and orders land
 * together or not at all; each change is audited (surface `import`) after the write.
 */
export async function applyImportToAgent(
  store: AuthStore,
  config: Config,
  profiles: ProfileDecision[],
  orders: OrderDecision[],
  opts: { replace?: boolean },
  who: Actor,
): Promise<{ profiles: ProfileDecision[]; orders: OrderDecision[] }> {
  const result = await store.profilesFile.update((data) => {
    const now = Date.now();
    const doneProfiles = profiles.map((planned) => {
      if (planned.action === "skip" || !planned.credential) return planned;
      const verdict = decideProfile(planned.credential, planned.profileId, config, data, opts);
      if (verdict.action !== "skip")
        data.profiles[planned.profileId] = { ...planned.credential, updatedAt: now };
      return { ...planned, ...verdict };
    });
    const doneOrders = orders.map((planned) => {
      if (planned.action === "skip") return planned;
      const ids = planned.ids.filter((id) => ownEntry(data.profiles, id)?.provider === planned.provider);
      const verdict = decideOrder(planned.provider, ids, data, opts);
      if (verdict.action !== "skip") data.order[planned.provider] = ids;
      return { ...planned, ids, ...verdict };
    });
    return { profiles: doneProfiles, orders: doneOrders };
  });
  for (const p of result.profiles) {
    if (p.action === "skip" || !p.credential) continue;
    if (p.action === "replace") await store.clearUsageMarks(p.profileId);
    await store.auditLog?.append(who, p.action === "replace" ? "profile.replace" : "profile.add", {
      agent: store.agentId,
      target: p.profileId,
      detail: `${p.credential.type} #${fingerprint(secretOf(p.credential))} imported from ${p.file}`,
    });
  }
  for (const o of result.orders) {
    if (o.action === "skip") continue;
    await store.auditLog?.append(who, "order.set", {
      agent: store.agentId,
      target: o.provider,
      detail: `${o.ids.join(",")} imported from ${o.file}`,
    });
  }
  return result;
}
