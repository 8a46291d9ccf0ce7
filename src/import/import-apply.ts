import type { Actor } from "../audit/audit-log.js";
import type { AuthStore } from "../auth/auth-store.js";
import { secretOf } from "../auth/credentials.js";
import { fingerprint } from "../auth/mask.js";
import type { Config } from "../config/schema.js";
import { ownEntry } from "../own-entry.js";
import { decideOrder, decideProfile, type OrderDecision, type ProfileDecision } from "./import-plan.js";

/** A step after the import's write that failed; the imported profiles stay. */
export interface BookkeepingFailure {
  what: string;
  err: unknown;
}

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
): Promise<{ profiles: ProfileDecision[]; orders: OrderDecision[]; bookkeeping: BookkeepingFailure[] }> {
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
  // The import has landed; what follows is bookkeeping. A failure there (an unwritable audit log)
  // is collected for the report, and every other step still runs.
  const bookkeeping: BookkeepingFailure[] = [];
  const step = async (what: string, run: () => Promise<unknown>) => {
    await run().catch((err: unknown) => bookkeeping.push({ what, err }));
  };
  for (const p of result.profiles) {
    if (p.action === "skip" || !p.credential) continue;
    const credential = p.credential;
    if (p.action === "replace")
      await step(`clearing the old marks of ${p.profileId}`, () => store.clearUsageMarks(p.profileId));
    await step(`the audit log entry for ${p.profileId}`, async () =>
      store.auditLog?.append(who, p.action === "replace" ? "profile.replace" : "profile.add", {
        agent: store.agentId,
        target: p.profileId,
        detail: `${credential.type} #${fingerprint(secretOf(credential))} imported from ${p.file}`,
      }),
    );
  }
  for (const o of result.orders) {
    if (o.action === "skip") continue;
    await step(`the audit log entry for the ${o.provider} order`, async () =>
      store.auditLog?.append(who, "order.set", {
        agent: store.agentId,
        target: o.provider,
        detail: `${o.ids.join(",")} imported from ${o.file}`,
      }),
    );
  }
  return { ...result, bookkeeping };
}
