import { byCodePoint } from "../code-point-order.js";
import type { Config } from "../config/schema.js";
import { listProviders, providerInfo } from "./provider-catalog.js";

/** A model as Tessera addresses it: `provider/model` (the model part may itself contain `/`). */
export interface ModelRef {
  provider: string;
  model: string;
}

export function formatRef(ref: ModelRef): string {
  return `${ref.provider}/${ref.model}`;
}

/** Splits `provider/model` at the first `/`; undefined when there is none. */
export function parseRef(text: string): ModelRef | undefined {
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return { provider: text.slice(0, slash), model: text.slice(slash + 1) };
}

/** One entry of the model catalog as views list it. */
export interface CatalogEntry {
  ref: string;
  provider: string;
  model: string;
  aliases: string[];
  allowed: boolean;
}

/**
 * Every model Tessera can address: the built-in catalog, custom providers' models, and alias
 * targets (an alias may name a model the catalog does not list yet). `allowed` follows
 * `models.allow` (empty = all).
 */
export function listCatalog(config: Config): CatalogEntry[] {
  const refs = new Map<string, CatalogEntry>();
  const add = (ref: string) => {
    const parsed = parseRef(ref);
    if (!parsed || refs.has(ref)) return;
    refs.set(ref, { ref, ...parsed, aliases: [], allowed: isAllowed(config, ref) });
  };
  for (const provider of listProviders(config))
    for (const model of provider.models) add(`${provider.id}/${model}`);
  add(config.models.default);
  for (const target of Object.values(config.models.aliases)) add(target);
  for (const ref of config.models.allow) add(ref);
  for (const [alias, target] of Object.entries(config.models.aliases)) refs.get(target)?.aliases.push(alias);
  return [...refs.values()];
}

export function isAllowed(config: Config, ref: string): boolean {
  return config.models.allow.length === 0 || config.models.allow.includes(ref);
}

export type RefResolution =
  | { ok: true; ref: ModelRef; via: "alias" | "ref" | "bare"; alias?: string }
  | {
      ok: false;
      reason: "unknown" | "not-allowed" | "unknown-provider";
      input: string;
      suggestions: string[];
    };

/**
 * Reads what a person typed as a model: an alias (`sonnet`), a full ref (`openai/gpt-5`), or a bare
 * model id on the default model's provider (`claude-opus-4-5`). Case-insensitive for aliases. Never
 * applies a fuzzy guess: an unknown name returns the closest matches for a "did you mean".
 */
export function resolveModelInput(config: Config, input: string): RefResolution {
  const text = input.trim();
  const aliasKey = Object.keys(config.models.aliases).find((a) => a.toLowerCase() === text.toLowerCase());
  const catalog = listCatalog(config);
  const known = new Set(catalog.map((e) => e.ref));
  let candidate: { ref: ModelRef; via: "alias" | "ref" | "bare"; alias?: string } | undefined;
  if (aliasKey) {
    const ref = parseRef(config.models.aliases[aliasKey]!);
    if (ref) candidate = { ref, via: "alias", alias: aliasKey };
  } else {
    const typed = parseRef(text);
    // Provider ids are lower-case (`Anthropic/claude-…` means anthropic); model ids keep their case.
    const full = typed && { ...typed, provider: typed.provider.toLowerCase() };
    if (full && providerInfo(config, full.provider)) {
      candidate = { ref: full, via: "ref" };
    } else {
      const defaultProvider = parseRef(config.models.default)?.provider;
      if (defaultProvider && known.has(`${defaultProvider}/${text}`)) {
        candidate = { ref: { provider: defaultProvider, model: text }, via: "bare" };
      } else if (full && !providerInfo(config, full.provider)) {
        return {
          ok: false,
          reason: "unknown-provider",
          input: text,
          suggestions: suggest(text, catalog, config),
        };
      }
    }
  }
  if (!candidate)
    return { ok: false, reason: "unknown", input: text, suggestions: suggest(text, catalog, config) };
  const refText = formatRef(candidate.ref);
  // A custom or built-in provider may serve models we do not list; only `allow` restricts them.
  if (!isAllowed(config, refText)) return { ok: false, reason: "not-allowed", input: text, suggestions: [] };
  return { ok: true, ...candidate };
}

/**
 * Up to three names closest to `input` by edit distance, best first, each in a form a person can
 * type back as is: an alias, a full ref, or a bare model id only when it is on the default model's
 * provider (elsewhere a bare id is matched but offered as its alias or full ref). Only names that
 * would be accepted: nothing outside `models.allow`.
 */
export function suggest(input: string, catalog: CatalogEntry[], config: Config): string[] {
  const needle = input.toLowerCase();
  const defaultProvider = parseRef(config.models.default)?.provider;
  const names: { match: string; typed: string }[] = [];
  for (const [alias, target] of Object.entries(config.models.aliases)) {
    if (isAllowed(config, target)) names.push({ match: alias, typed: alias });
  }
  for (const entry of catalog.filter((e) => e.allowed)) {
    names.push({ match: entry.ref, typed: entry.ref });
    const bare = entry.provider === defaultProvider ? entry.model : (entry.aliases[0] ?? entry.ref);
    names.push({ match: entry.model, typed: bare });
  }
  const scored = names
    .map(({ match, typed }) => {
      const lower = match.toLowerCase();
      return { typed, score: editDistance(needle, lower) - (lower.includes(needle) ? 3 : 0) };
    })
    .filter((s) => s.score <= Math.max(3, Math.floor(needle.length / 2)))
    .sort((a, b) => a.score - b.score || byCodePoint(a.typed, b.typed));
  return [...new Set(scored.map((s) => s.typed))].slice(0, 3);
}

/** Levenshtein distance with a rolling row; inputs are short model names. */
export function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Providers that configured models use (default, alias targets, allow list) and which models use
 * each. Only these count for `models status --check`; a provider nobody uses cannot fail it.
 */
export function providersInUse(config: Config): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const refs = [config.models.default, ...Object.values(config.models.aliases), ...config.models.allow];
  for (const text of refs) {
    const ref = parseRef(text);
    if (!ref) continue;
    const list = used.get(ref.provider) ?? [];
    if (!list.includes(text)) list.push(text);
    used.set(ref.provider, list);
  }
  return used;
}

/** The first alias naming `ref`, if any; views show `sonnet` before `anthropic/claude-sonnet-4-5`. */
export function aliasOf(config: Config, ref: string): string | undefined {
  return Object.entries(config.models.aliases).find(([, target]) => target === ref)?.[0];
}

/** Whether `ref` (`provider/model`) is listed by the catalog, or only accepted because its provider is known. */
export function isInCatalog(config: Config, ref: string): boolean {
  return listCatalog(config).some((e) => e.ref === ref);
}
