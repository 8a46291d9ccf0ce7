import { type AgentServices, statusReportFor } from "./services.js";

/**
 * Proactive owner notices (PRODUCT §5/§8): when a credential that an in-use provider depends on
 * enters the warn window without being able to refresh itself, expires, or needs re-authentication,
 * the owners are told once — with the fix — instead of finding out from a failed reply. Each notice
 * is remembered in `auth-state.json` (`notified`), so every process of the agent sends it at most
 * once; when the problem goes away its mark is dropped, so a later recurrence is announced again.
 */
export async function takeOwnerNotices(services: AgentServices, now = Date.now()): Promise<string[]> {
  const report = await statusReportFor(services, { now });
  const current = new Map<string, string>();
  for (const provider of report.providers) {
    if (!provider.inUse) continue;
    for (const problem of report.problems) {
      if (problem.provider !== provider.provider || !problem.exit) continue;
      const key = `${problem.profileId ?? provider.provider}:${problem.exit === 2 ? "expiring" : "broken"}`;
      current.set(key, `${problem.what}\n  fix: ${problem.fix}`);
    }
  }
  const snapshot = await services.store.stateFile.read();
  const known = Object.keys(snapshot.notified);
  const fresh = [...current.keys()].filter((key) => !(key in snapshot.notified));
  const stale = known.filter((key) => !current.has(key));
  if (fresh.length === 0 && stale.length === 0) return [];
  const toSend = await services.store.stateFile.update((state) => {
    for (const key of stale) delete state.notified[key];
    const newlyClaimed = fresh.filter((key) => !(key in state.notified));
    for (const key of newlyClaimed) state.notified[key] = now;
    return newlyClaimed;
  });
  return toSend.map((key) => `credential notice: ${current.get(key)}`);
}
