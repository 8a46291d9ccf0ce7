import { providerOfProfileId } from "../src/auth/credentials.js";
import { byCodePoint } from "../src/code-point-order.js";
import type { Config } from "../src/config/schema.js";
import {
  aliasOf,
  editDistance,
  formatRef,
  isInCatalog,
  type ModelRef,
  resolveModelInput,
} from "../src/models/catalog.js";
import { listProviders } from "../src/models/provider-catalog.js";
import { ownEntry } from "../src/own-entry.js";
import { code, escapeMarkup, quoteInput } from "../src/router/markup.js";
import type { Button, Reply } from "../src/router/types.js";

/** `/model` sub-commands; never read as model names, whatever the aliases say. */
const RESERVED_WORDS = ["list", "status", "reset", "default", "help"] as const;

export function isReservedWord(word: string): boolean {
  return (RESERVED_WORDS as readonly string[]).includes(word.toLowerCase());
}

/**
 * Reads the words after `/model` (reserved words aside) as a model and an optional profile:
 * `sonnet`, `sonnet@anthropic:work`, `@anthropic:work`, `sonnet @work` (the spaced part is the
 * profile, whatever it looks like) and `sonnet@work` (a bare profile name). Profile ids may contain
 * `@` (`anthropic:me@example.com`) and so may model ids, so the split is at the first `@` whose
 * remainder looks like a profile id; a remainder without `:` is a bare profile name when what comes
 * before it is a known model, or when the whole text is not a model. Undefined when the words fit no form.
 */
export function readModelTarget(
  config: Config,
  args: string[],
): { model: string; profile?: string } | undefined {
  const [text = "", ...rest] = args;
  if (rest.length > 0) {
    const spaced = rest.length === 1 && rest[0]!.startsWith("@") && !text.includes("@");
    return spaced ? { model: text, profile: rest[0]!.slice(1) } : undefined;
  }
  if (text.startsWith("@")) return { model: "", profile: text.slice(1) };
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    const profile = text.slice(at + 1);
    if (/^[a-z0-9][a-z0-9._-]*:\S/i.test(profile)) return { model: text.slice(0, at), profile };
  }
  // A model we know (an alias or a catalog model) before an `@`: the rest is a bare profile name,
  // whether the model was typed as an alias (`opus@work`) or as a full ref (`anthropic/…@work`).
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    if (isKnownModel(config, text.slice(0, at)))
      return { model: text.slice(0, at), profile: text.slice(at + 1) };
  }
  const at = text.lastIndexOf("@");
  if (at === -1 || resolveModelInput(config, text).ok) return { model: text };
  return { model: text.slice(0, at), profile: text.slice(at + 1) };
}

/** An alias or a model Tessera lists — not merely a ref on a known provider, pinned as typed. */
function isKnownModel(config: Config, text: string): boolean {
  const resolved = resolveModelInput(config, text);
  return resolved.ok && (resolved.via === "alias" || isInCatalog(config, formatRef(resolved.ref)));
}

/** `sonnet · anthropic/claude-sonnet-4-5` in markup, or just the ref when it has no alias. */
export function modelLabel(config: Config, ref: string): string {
  const alias = aliasOf(config, ref);
  return alias ? `**${escapeMarkup(alias)}** · ${code(ref)}` : code(ref);
}

export type ModelChoice =
  | { ok: true; ref: ModelRef; text: string; inCatalog: boolean }
  | { ok: false; reply: Reply };

/**
 * Reads a typed model (alias, `provider/model`, or a bare id on the default provider). Never applies a
 * guess: an unknown name gets "did you mean" with a button per suggestion (keeping `@profile` when
 * one was typed), an unknown provider names the known ones, a model outside `models.allow` says how
 * to see the allowed ones.
 */
export function chooseModel(config: Config, typed: string, profileSuffix = ""): ModelChoice {
  const input = typed.trim();
  if (isReservedWord(input)) {
    return {
      ok: false,
      reply: {
        text: `${quoteInput(input)} is a /model sub-command, not a model. /model help shows the forms.`,
      },
    };
  }
  const resolved = resolveModelInput(config, input);
  if (resolved.ok) {
    const ref = formatRef(resolved.ref);
    return { ok: true, ref: resolved.ref, text: ref, inCatalog: isInCatalog(config, ref) };
  }
  if (resolved.reason === "not-allowed") {
    return {
      ok: false,
      reply: {
        text: `${quoteInput(input)} is not allowed here: it is not in the gateway's models.allow list. /model list shows the models you can pick.`,
      },
    };
  }
  const suggestions = resolved.suggestions.filter((s) => !isReservedWord(s));
  const didYouMean = suggestions.length
    ? ` Did you mean ${suggestions.map((s) => code(s)).join(", ")}?`
    : " /model list shows the models you can pick.";
  const buttons = suggestionButtons(suggestions, profileSuffix);
  if (resolved.reason === "unknown-provider") {
    const slash = input.indexOf("/");
    const provider = slash > 0 ? input.slice(0, slash) : input;
    const known = listProviders(config).map((p) => p.id);
    return {
      ok: false,
      reply: {
        text: `There is no provider ${quoteInput(provider)}; the providers are ${known.map((p) => code(p)).join(", ")}.${didYouMean}`,
        buttons,
      },
    };
  }
  return { ok: false, reply: { text: `There is no model ${quoteInput(input)}.${didYouMean}`, buttons } };
}

function suggestionButtons(suggestions: string[], profileSuffix: string): Button[][] | undefined {
  if (suggestions.length === 0) return undefined;
  return [suggestions.map((s) => ({ label: s, action: `/model ${s}${profileSuffix}` }))];
}

export type ProfileChoice = { ok: true; id: string } | { ok: false; reply: Reply };

/**
 * Reads a typed profile for `provider`: an exact id, the same id in other letter case, or a bare
 * name (`work` for `anthropic:work`). Unknown ids list that provider's profiles, closest first;
 * a profile of another provider names both providers. `pinWith` builds the action of each offered
 * button (`/model sonnet@<id>` or `/model @<id>`).
 */
export function chooseProfile(
  stored: Record<string, { provider: string }>,
  typed: string,
  provider: string,
  modelText: string,
  pinWith: (id: string) => string,
): ProfileChoice {
  const ids = Object.keys(stored);
  const id =
    (Object.hasOwn(stored, typed) ? typed : undefined) ??
    unique(ids.filter((x) => x.toLowerCase() === typed.toLowerCase())) ??
    (typed.includes(":")
      ? undefined
      : unique(ids.filter((x) => x.toLowerCase() === `${provider}:${typed}`.toLowerCase())));
  const ofProvider = ids
    .filter((x) => stored[x]!.provider === provider)
    .sort((a, b) => editDistance(typed, a) - editDistance(typed, b) || byCodePoint(a, b));
  const offer = ofProvider.slice(0, 6);
  // One row; fitReplies wraps it to each platform's width.
  const buttons = offer.length ? [offer.map((x) => ({ label: x, action: pinWith(x) }))] : undefined;
  const listText = offer.length
    ? `${escapeMarkup(provider)} profiles: ${offer.map((x) => code(x)).join(", ")}${ofProvider.length > offer.length ? ", …" : ""}.`
    : `No ${escapeMarkup(provider)} profile is stored; add one with ${code(`tessera models auth paste-api-key --provider ${provider}`)}.`;
  if (id === undefined) {
    return { ok: false, reply: { text: `There is no profile ${quoteInput(typed)}. ${listText}`, buttons } };
  }
  const owner = stored[id]!.provider;
  if (owner !== provider) {
    return {
      ok: false,
      reply: {
        text:
          `${code(id)} is a credential for ${escapeMarkup(owner)}, but ${modelText} runs on ${escapeMarkup(provider)}. ` +
          `Pin it together with a ${escapeMarkup(owner)} model (/model <model>@${escapeMarkup(id)}), ` +
          `or use a credential for ${escapeMarkup(provider)}. ${listText}`,
        buttons,
      },
    };
  }
  return { ok: true, id };
}

/** The provider a profile belongs to, from the store when it is there, else from its id. */
export function providerOfProfile(stored: Record<string, { provider: string }>, id: string): string {
  return ownEntry(stored, id)?.provider ?? providerOfProfileId(id);
}

function unique(list: string[]): string | undefined {
  return list.length === 1 ? list[0] : undefined;
}
