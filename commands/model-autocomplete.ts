import { byCodePoint } from "../src/code-point-order.js";
import { isAllowed, listCatalog, resolveModelInput } from "../src/models/catalog.js";
import type { ArgChoice, AutocompleteContext } from "../src/router/registry.js";
import { sessionModel } from "../src/sessions/session-model.js";
import { isReservedWord } from "./model-input.js";

/**
 * Suggestions for `/model`'s `model` option as it is typed (Discord autocomplete, console Tab):
 * aliases first (`sonnet · anthropic/claude-sonnet-4-5`), then every allowed catalog model, those
 * starting with the typed text before those merely containing it. Values are what `/model` reads.
 */
export async function suggestModels(ctx: AutocompleteContext): Promise<ArgChoice[]> {
  const { config } = ctx.services;
  const choices: ArgChoice[] = [];
  for (const [alias, target] of Object.entries(config.models.aliases)) {
    if (!isReservedWord(alias) && !/\s/.test(alias) && isAllowed(config, target))
      choices.push({ label: `${alias} · ${target}`, value: alias });
  }
  for (const entry of listCatalog(config)) {
    if (entry.allowed) choices.push({ label: entry.ref, value: entry.ref });
  }
  return rank(choices, ctx.typed);
}

/**
 * Suggestions for `/model`'s `profile` option: the stored profiles of the provider of the model
 * typed in the same command (or of this chat's current model), with type — ids only, never a
 * secret. Owners only, like pinning a credential.
 */
export async function suggestProfiles(ctx: AutocompleteContext): Promise<ArgChoice[]> {
  if (!ctx.isOwner) return [];
  const { config } = ctx.services;
  const typedModel = ctx.values.model?.trim();
  const resolved = typedModel ? resolveModelInput(config, typedModel) : undefined;
  const provider = resolved?.ok
    ? resolved.ref.provider
    : sessionModel(config, await ctx.services.sessions.get(ctx.sessionKey)).provider;
  const stored = (await ctx.authSnapshot()).profiles.profiles;
  const choices = Object.keys(stored)
    .filter((id) => stored[id]!.provider === provider)
    .sort(byCodePoint)
    .map((id) => ({ label: `${id} · ${stored[id]!.type}`, value: id }));
  return rank(choices, ctx.typed.replace(/^@/, ""));
}

/** Choices matching `typed` (case-insensitive): prefix matches first, then the rest in list order. */
function rank(choices: ArgChoice[], typed: string): ArgChoice[] {
  const needle = typed.trim().toLowerCase();
  const scored = choices
    .map((c, i) => {
      const label = c.label.toLowerCase();
      const value = c.value.toLowerCase();
      const starts = value.startsWith(needle) || label.startsWith(needle);
      return { c, i, score: starts ? 0 : label.includes(needle) ? 1 : 2 };
    })
    .filter((s) => s.score < 2);
  scored.sort((a, b) => a.score - b.score || a.i - b.i);
  return scored.map((s) => s.c);
}
