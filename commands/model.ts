import { addCredentialFix } from "../src/auth/status-report.js";
import { aliasOf, resolveModelInput } from "../src/models/catalog.js";
import { bold, code, escapeMarkup, quoteInput } from "../src/router/markup.js";
import type { CommandContext, CommandDefinition, CommandUsage } from "../src/router/registry.js";
import type { Reply } from "../src/router/types.js";
import { sessionModel } from "../src/sessions/session-model.js";
import {
  chooseModel,
  chooseProfile,
  isReservedWord,
  modelLabel,
  providerOfProfile,
  splitModelAndProfile,
} from "./model-input.js";
import { listReply, pickerReply, statusReply } from "./model-views.js";

const USAGE: CommandUsage[] = [
  { form: "/model", description: "this chat's model and credential, with buttons to switch" },
  { form: "/model list", description: "the models you can pick, by provider" },
  { form: "/model status", description: "where the model and credential come from, and which is next" },
  { form: "/model <name>", description: "pin a model for this chat (alias, provider/model or model id)" },
  {
    form: "/model <name>@<profile>",
    description: "pin a model and the credential it uses",
    ownersOnly: true,
  },
  {
    form: "/model @<profile>",
    description: "pin only the credential, for the current model",
    ownersOnly: true,
  },
  { form: "/model reset", description: "unpin both; back to the configured defaults (also /model default)" },
];

/**
 * `/model` and its forms (PRODUCT §8). Decisions where the spec is silent:
 * - Pinning the default model is a real pin: it stays if the configured default changes later;
 *   `/model reset` is how a chat follows the default again.
 * - `/model <name>` keeps a credential pin of the same provider and unpins one of another provider
 *   (saying so). Anyone allowed may switch models or reset (clearing an owner's credential pin
 *   falls back to the default order, which is never an escalation); only owners pin credentials.
 * - `/model sonnet @anthropic:work` (with a space) is read as `sonnet@anthropic:work`; a profile may
 *   be given by its bare name (`@work` for the current provider's `anthropic:work`).
 * - A `provider/model` whose provider is known but whose model Tessera does not list is pinned as
 *   typed, with a note (providers serve models our list does not know yet).
 */
export const modelCommand: CommandDefinition = {
  name: "model",
  description: "Show or switch this chat's model and credential",
  args: [
    { name: "model", description: "Alias or provider/model; or list, status, reset" },
    { name: "profile", description: "Credential profile to pin (owners only)" },
  ],
  usage: USAGE,
  access: "anyone",
  chats: "any",
  formatArgs: ({ model, profile }) =>
    profile ? `${model ?? ""}@${profile.replace(/^@/, "")}` : (model ?? ""),
  run: runModel,
};

async function runModel(ctx: CommandContext): Promise<Reply> {
  const [first, ...rest] = ctx.args;
  if (first === undefined) return pickerReply(ctx);
  const word = first.toLowerCase();
  if (isReservedWord(word)) {
    if (rest.length > 0)
      return { text: `/model ${word} takes nothing after it. /model help shows every form.` };
    if (word === "list") return listReply(ctx);
    if (word === "status") return statusReply(ctx);
    if (word === "help") return helpReply(ctx);
    return resetPins(ctx);
  }
  let target = first;
  if (rest.length === 1 && rest[0]!.startsWith("@") && !first.includes("@")) target = first + rest[0];
  else if (rest.length > 0) {
    return {
      text: "/model takes one model, optionally with @profile: /model sonnet, /model sonnet@anthropic:work. /model help shows every form.",
    };
  }
  let { model, profile } = splitModelAndProfile(target);
  if (rest.length === 1 && profile === undefined) {
    // `/model opus @work`: the spaced part is the profile, whatever it looks like.
    model = first;
    profile = rest[0]!.slice(1);
  } else if (
    profile === undefined &&
    model.includes("@") &&
    !resolveModelInput(ctx.services.config, model).ok
  ) {
    // `opus@work`: not a model id with an @ in it, so a bare profile name.
    const at = model.lastIndexOf("@");
    profile = model.slice(at + 1);
    model = model.slice(0, at);
  }
  if (profile !== undefined && !ctx.isOwner) {
    const instead = model
      ? `You can still switch the model: /model ${quoteInput(model)}.`
      : "You can switch models with /model <name>.";
    return ctx.refuseOwnerOnly("pin a credential", instead);
  }
  if (profile === "")
    return { text: "Put a profile id after @, like /model @anthropic:work. /model status lists them." };
  if (profile === undefined) return pinModel(ctx, model);
  if (model === "") return pinProfileOnly(ctx, profile);
  return pinModelAndProfile(ctx, model, profile);
}

async function pinModel(ctx: CommandContext, typed: string): Promise<Reply> {
  const { config, sessions, auth } = ctx.services;
  const choice = chooseModel(config, typed);
  if (!choice.ok) return choice.reply;
  const stored = (await auth.load()).profiles.profiles;
  const pinned = (await sessions.get(ctx.sessionKey))?.profile?.id;
  const pinnedProvider = pinned === undefined ? undefined : providerOfProfile(stored, pinned);
  const dropProfile = pinned !== undefined && pinnedProvider !== choice.ref.provider;
  await sessions.setPins(
    ctx.sessionKey,
    dropProfile ? { model: choice.text, profile: null } : { model: choice.text },
    ctx.actor,
  );

  const lines = [`This chat now uses ${modelLabel(config, choice.text)}.`];
  if (!choice.inCatalog) {
    lines.push(
      `(${code(choice.text)} is not in Tessera's model list, so it was pinned as typed; if ${escapeMarkup(choice.ref.provider)} does not serve it, the next message will say so.)`,
    );
  }
  if (dropProfile) {
    lines.push(
      ctx.isOwner
        ? `The pinned credential ${code(pinned!)} was unpinned: it is for ${escapeMarkup(pinnedProvider!)}, not ${escapeMarkup(choice.ref.provider)}.`
        : "The credential an owner pinned here was for another provider, so it was unpinned.",
    );
  } else if (pinned !== undefined) {
    lines.push(
      ctx.isOwner
        ? `It keeps the pinned credential ${code(pinned)}.`
        : "It keeps the credential an owner pinned here.",
    );
  }
  const warning = await credentialWarning(ctx, choice.ref.provider, dropProfile ? undefined : pinned);
  if (warning) lines.push(warning);
  lines.push("/model reset goes back to the defaults.");
  return { text: lines.join("\n") };
}

async function pinModelAndProfile(
  ctx: CommandContext,
  typedModel: string,
  typedProfile: string,
): Promise<Reply> {
  const { config, sessions, auth } = ctx.services;
  const choice = chooseModel(config, typedModel, `@${typedProfile}`);
  if (!choice.ok) return choice.reply;
  const shortModel = aliasOf(config, choice.text) ?? choice.text;
  const stored = (await auth.load()).profiles.profiles;
  const picked = chooseProfile(
    stored,
    typedProfile,
    choice.ref.provider,
    code(choice.text),
    (id) => `/model ${shortModel}@${id}`,
  );
  if (!picked.ok) return picked.reply;
  await sessions.setPins(ctx.sessionKey, { model: choice.text, profile: picked.id }, ctx.actor);
  const lines = [
    `This chat now uses ${modelLabel(config, choice.text)} with the credential ${await credentialDetail(ctx, choice.ref.provider, picked.id)}.`,
    "A pinned credential never fails over to another one. /model reset goes back to the defaults.",
  ];
  const warning = await credentialWarning(ctx, choice.ref.provider, picked.id);
  if (warning) lines.push(warning);
  return { text: lines.join("\n") };
}

async function pinProfileOnly(ctx: CommandContext, typedProfile: string): Promise<Reply> {
  const { config, sessions, auth } = ctx.services;
  const current = sessionModel(config, await sessions.get(ctx.sessionKey));
  const stored = (await auth.load()).profiles.profiles;
  const picked = chooseProfile(
    stored,
    typedProfile,
    current.provider,
    `this chat's model ${code(current.ref)}`,
    (id) => `/model @${id}`,
  );
  if (!picked.ok) return picked.reply;
  await sessions.setPins(ctx.sessionKey, { profile: picked.id }, ctx.actor);
  const lines = [
    `This chat's ${escapeMarkup(current.provider)} requests now use ${await credentialDetail(ctx, current.provider, picked.id)}; the model stays ${modelLabel(config, current.ref)}.`,
    "A pinned credential never fails over to another one. /model reset goes back to the defaults.",
  ];
  const warning = await credentialWarning(ctx, current.provider, picked.id);
  if (warning) lines.push(warning);
  return { text: lines.join("\n") };
}

async function resetPins(ctx: CommandContext): Promise<Reply> {
  const { config, sessions } = ctx.services;
  const { before } = await sessions.reset(ctx.sessionKey, ctx.actor);
  const defaults = `the default model ${modelLabel(config, config.models.default)} and the default credential order`;
  if (before.model === undefined && before.profile === undefined) {
    return { text: `Nothing was pinned here; this chat already uses ${defaults}.` };
  }
  const what = [
    before.model !== undefined ? `the model ${code(before.model)}` : undefined,
    before.profile !== undefined
      ? ctx.isOwner
        ? `the credential ${code(before.profile)}`
        : "the credential"
      : undefined,
  ]
    .filter(Boolean)
    .join(" and ");
  return { text: `Unpinned ${what}. This chat now uses ${defaults}.` };
}

function helpReply(ctx: CommandContext): Reply {
  const lines = [bold("/model forms")];
  for (const usage of USAGE) {
    if (usage.ownersOnly && !ctx.isOwner) continue;
    lines.push(`${code(usage.form)} — ${escapeMarkup(usage.description)}`);
  }
  if (!ctx.isOwner) lines.push("Pinning a credential (@profile) is for the bot's owners.");
  return { text: lines.join("\n") };
}

/** `anthropic:work (api_key · ok · #3f9c2e)`, as the resolver sees it with this pin. */
async function credentialDetail(ctx: CommandContext, provider: string, profileId: string): Promise<string> {
  const report = await ctx.services.statusReport(profileId);
  const status = report.providers
    .find((p) => p.provider === provider)
    ?.profiles.find((c) => c.id === profileId);
  return status
    ? `${code(profileId)} (${status.type} · ${status.state} · ${status.fingerprint})`
    : code(profileId);
}

/**
 * A warning when the chat's provider has no usable credential after a change (with the pin
 * applied), so the person learns now rather than on the next message. Owners get the fix.
 */
async function credentialWarning(
  ctx: CommandContext,
  provider: string,
  pin: string | undefined,
): Promise<string | undefined> {
  const report = await ctx.services.statusReport(pin);
  const status = report.providers.find((p) => p.provider === provider);
  if (status?.next) return undefined;
  if (!ctx.isOwner) {
    return `${bold("Warning:")} there is no usable ${escapeMarkup(provider)} credential yet; ask the bot's owner to add one.`;
  }
  const problem = report.problems.find((p) => p.provider === provider && p.severity === "error");
  const why =
    status && status.profiles.length > 0 ? status.nextReason : "none is stored or set in the environment";
  return `${bold("Warning:")} this chat has no usable ${escapeMarkup(provider)} credential (${escapeMarkup(why)}). Fix: ${code(problem?.fix ?? addCredentialFix(provider))}`;
}
