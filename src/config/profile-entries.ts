import { isRecord } from "./migrations.js";

/**
 * Takes profile `id` out of a raw config (for `updateConfigFile`): its `auth.profiles` metadata and
 * its place in every `auth.order` list (a list left empty goes, so the provider falls back to the
 * default order). `tessera models auth remove` does this after removing the profile from the store;
 * doctor `--fix` does it when that command stopped before this step.
 */
export function removeProfileFromConfig(raw: Record<string, unknown>, id: string): void {
  const auth = raw.auth;
  if (!isRecord(auth)) return;
  if (isRecord(auth.profiles)) delete auth.profiles[id];
  if (isRecord(auth.order)) {
    for (const [provider, ids] of Object.entries(auth.order)) {
      if (!Array.isArray(ids) || !ids.includes(id)) continue;
      const kept = ids.filter((x) => x !== id);
      if (kept.length === 0) delete auth.order[provider];
      else auth.order[provider] = kept;
    }
  }
}
