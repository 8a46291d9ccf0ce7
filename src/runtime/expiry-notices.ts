import { type AgentServices, statusReportFor } from "./services.js";

/**
 * Proactive owner notices (PRODUCT §5/§8): when a credential that an in-use provider depends on
 * enters the warn window without being able to refresh itself, expires, or needs re-authentication,
 * the owners are told once — with the fix — instead of finding out from a failed reply. Each notice
 * is remembered in `auth-state.json` (`notified`), so every process of the agent sends it at most
 * once; when the problem goes away its mark is dropped, so a later recurrence is announced again.
 */
export async function takeOwnerNotices(services: AgentServices, now = Date.now()): Promise<string[]> {
  const { auth, current } = await credentialProblems(services, now);
  const notified = auth.state.notified;
  const fresh = [...current.keys()].filter((key) => !Object.hasOwn(notified, key));
  const stale = Object.keys(notified).filter((key) => !current.has(key));
  if (fresh.length === 0 && stale.length === 0) return [];
  // Claimed under the lock, so two processes that saw the same problem send it once between them.
  const toSend = await services.store.stateFile.update((state) => {
    for (const key of stale) delete state.notified[key];
    const claimed = fresh.filter((key) => !Object.hasOwn(state.notified, key));
    for (const key of claimed) state.notified[key] = now;
    return claimed;
  });
  return toSend.map((key) => `credential notice: ${current.get(key)}`);
}

/**
 * The credential problems owners are told about, keyed as `notified` remembers them, without
 * claiming any: the gateway logs them at start for the operator, and owners still get each in chat.
 */
export async function credentialProblems(services: AgentServices, now = Date.now()) {
  const auth = await services.store.load();
  const report = await statusReportFor(services, { now, auth });
  const inUse = new Set(report.providers.filter((p) => p.inUse).map((p) => p.provider));
  const current = new Map<string, string>();
  for (const problem of report.problems) {
    if (!problem.exit || !problem.provider || !inUse.has(problem.provider)) continue;
    const key = `${problem.profileId ?? problem.provider}:${problem.exit === 2 ? "expiring" : "broken"}`;
    current.set(key, `${problem.what}\n  fix: ${problem.fix}`);
  }
  return { auth, current };
}
