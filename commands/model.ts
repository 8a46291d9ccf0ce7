import { addCredentialFix, type StatusReport } from "../src/auth/status-report.js";
import { hasControlChars } from "../src/control-chars.js";
import { isTesseraError } from "../src/errors.js";
import { aliasOf } from "../src/models/catalog.js";
import { bold, code, escapeMarkup, quoteInput } from "../src/router/markup.js";
import type { CommandContext, CommandDefinition, CommandUsage } from "../src/router/registry.js";
import type { Reply } from "../src/router/types.js";
import { sessionModel } from "../src/sessions/session-model.js";
import type { PinChange } from "../src/sessions/session-store.js";
import { usageLines } from "./help.js";
import { suggestModels, suggestProfiles } from "./model-autocomplete.js";
import {
  chooseModel,
  chooseProfile,
  isReservedWord,
  modelLabel,
  providerOfProfile,
  readModelTarget,
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
    {
      name: "model",
      description: "Alias or provider/model; or list, status, reset",
      type: "string",
      autocomplete: suggestModels,
    },
    {
      name: "profile",
      description: "Credential profile to pin (owners only)",
      type: "string",
      autocomplete: suggestProfiles,
    },
  ],
  usage: USAGE,
  access: "anyone",
  chats: "any",
  formatArgs: ({ model, profile }) =>
    profile ? `${model ?? ""}@${profile.replace(/^@/, "")}` : (model ?? ""),
  run: runModel,
};

/**
 * A change made by pressing a picker option answers with the result and the picker again (edited in
 * place, with the new choice selected), so a person can pick a model and then a credential.
 */
async function runModel(ctx: CommandContext): Promise<Reply> {
  const reply = await answerModel(ctx);
  if (ctx.message.source !== "button" || reply.notice || ctx.args.length === 0) return reply;
  const word = ctx.args[0]!.toLowerCase();
  if (isReservedWord(word) && word !== "reset" && word !== "default") return reply;
  const session = await ctx.services.sessions.get(ctx.sessionKey);
  const picker = await pickerReply({ ...ctx, session });
  return { ...picker, text: `${reply.text}\n\n${picker.text}` };
}

async function answerModel(ctx: CommandContext): Promise<Reply> {
  const [first, ...rest] = ctx.args;
  if (first === undefined) return pickerReply(ctx);
  // Model refs and profile ids are pinned, audited and shown to others: none holds a control or
  // invisible character (an ESC sequence would act on every terminal that prints it).
  if (ctx.args.some(hasControlChars)) {
    return {
      text: "Model names and profile ids cannot contain control or invisible characters; nothing was changed. /model list shows the models you can pick.",
    };
  }
  const word = first.toLowerCase();
  if (isReservedWord(word)) {
    if (rest.length > 0)
      return { text: `/model ${word} takes nothing after it. /model help shows every form.` };
    if (word === "list") return listReply(ctx);
    if (word === "status") return statusReply(ctx);
    if (word === "help") return helpReply(ctx);
    return resetPins(ctx);
  }
  const target = readModelTarget(ctx.services.config, ctx.args);
  if (!target) {
    return {
      text: "/model takes one model, optionally with @profile: /model sonnet, /model sonnet@anthropic:work. /model help shows every form.",
    };
  }
  const { model, profile } = target;
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
  const { config } = ctx.services;
  const choice = chooseModel(config, typed);
  if (!choice.ok) return choice.reply;
  const snapshot = await ctx.authSnapshot();
  const pinned = ctx.session?.profile?.id;
  const pinnedProvider =
    pinned === undefined ? undefined : providerOfProfile(snapshot.profiles.profiles, pinned);
  const dropProfile = pinned !== undefined && pinnedProvider !== choice.ref.provider;
  const unrecorded = await changePins(
    ctx,
    dropProfile ? { model: choice.text, profile: null } : { model: choice.text },
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
  const report = await ctx.services.statusReport(
    { pin: dropProfile ? undefined : pinned, provider: choice.ref.provider },
    snapshot,
  );
  const warning = credentialWarning(ctx, report, choice.ref.provider);
  if (warning) lines.push(warning);
  lines.push("/model reset goes back to the defaults.");
  if (unrecorded) lines.push(unrecorded);
  return { text: lines.join("\n") };
}

async function pinModelAndProfile(
  ctx: CommandContext,
  typedModel: string,
  typedProfile: string,
): Promise<Reply> {
  const { config } = ctx.services;
  const choice = chooseModel(config, typedModel, `@${typedProfile}`);
  if (!choice.ok) return choice.reply;
  const shortModel = aliasOf(config, choice.text) ?? choice.text;
  const snapshot = await ctx.authSnapshot();
  const picked = chooseProfile(
    snapshot.profiles.profiles,
    typedProfile,
    choice.ref.provider,
    code(choice.text),
    (id) => `/model ${shortModel}@${id}`,
  );
  if (!picked.ok) return picked.reply;
  const unrecorded = await changePins(ctx, { model: choice.text, profile: picked.id });
  const report = await ctx.services.statusReport({ pin: picked.id, provider: choice.ref.provider }, snapshot);
  return withNote(
    unrecorded,
    pinnedReply(
      ctx,
      report,
      choice.ref.provider,
      picked.id,
      (credential) =>
        `This chat now uses ${modelLabel(config, choice.text)} with the credential ${credential}.`,
    ),
  );
}

async function pinProfileOnly(ctx: CommandContext, typedProfile: string): Promise<Reply> {
  const { config } = ctx.services;
  const current = sessionModel(config, ctx.session);
  const snapshot = await ctx.authSnapshot();
  const picked = chooseProfile(
    snapshot.profiles.profiles,
    typedProfile,
    current.provider,
    `this chat's model ${code(current.ref)}`,
    (id) => `/model @${id}`,
  );
  if (!picked.ok) return picked.reply;
  const unrecorded = await changePins(ctx, { profile: picked.id });
  const report = await ctx.services.statusReport({ pin: picked.id, provider: current.provider }, snapshot);
  return withNote(
    unrecorded,
    pinnedReply(
      ctx,
      report,
      current.provider,
      picked.id,
      (credential) =>
        `This chat's ${escapeMarkup(current.provider)} requests now use ${credential}; the model stays ${modelLabel(config, current.ref)}.`,
    ),
  );
}

/**
 * The answer to a credential pin: `headline` with the credential as the resolver sees it with the
 * pin (`anthropic:work (api_key · ok · #3f9c2e)`), and a warning when it cannot answer.
 */
function pinnedReply(
  ctx: CommandContext,
  report: StatusReport,
  provider: string,
  profileId: string,
  headline: (credential: string) => string,
): Reply {
  const status = report.providers
    .find((p) => p.provider === provider)
    ?.profiles.find((c) => c.id === profileId);
  const credential = status
    ? `${code(profileId)} (${status.type} · ${status.state} · ${status.fingerprint})`
    : code(profileId);
  const lines = [
    headline(credential),
    "A pinned credential never fails over to another one. /model reset goes back to the defaults.",
  ];
  const warning = credentialWarning(ctx, report, provider);
  if (warning) lines.push(warning);
  return { text: lines.join("\n") };
}

async function resetPins(ctx: CommandContext): Promise<Reply> {
  const { config } = ctx.services;
  const before = { model: ctx.session?.model?.ref, profile: ctx.session?.profile?.id };
  const unrecorded = await changePins(ctx, { model: null, profile: null });
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
  return withNote(unrecorded, { text: `Unpinned ${what}. This chat now uses ${defaults}.` });
}

/**
 * Applies a pin change. The session file is written before the audit line, so a failure after the
 * write (an unwritable audit log) leaves the pin applied: the reply then says so and what was not
 * recorded, instead of "Something went wrong" over a change that was made. Returns that note, or
 * undefined when everything was written. A failure before the pin landed is thrown as it is.
 */
async function changePins(ctx: CommandContext, change: PinChange): Promise<string | undefined> {
  try {
    await ctx.services.sessions.setPins(ctx.sessionKey, change, ctx.actor);
    return undefined;
  } catch (err) {
    const entry = await ctx.services.sessions.get(ctx.sessionKey).catch(() => undefined);
    const landed =
      (change.model === undefined || (entry?.model?.ref ?? null) === change.model) &&
      (change.profile === undefined || (entry?.profile?.id ?? null) === change.profile);
    if (!landed) throw err;
    if (!ctx.isOwner)
      return "(Done, but the gateway could not record this change in its audit log; its owner can see why with `tessera doctor`.)";
    const why = err instanceof Error ? err.message : String(err);
    const fix = isTesseraError(err) && err.hint ? ` Fix: ${escapeMarkup(err.hint)}` : "";
    return `(Done, but this change could not be recorded in the audit log: ${escapeMarkup(why)}.${fix})`;
  }
}

function withNote(note: string | undefined, reply: Reply): Reply {
  return note ? { ...reply, text: `${reply.text}\n${note}` } : reply;
}

function helpReply(ctx: CommandContext): Reply {
  const lines = [bold("/model forms"), ...usageLines(USAGE, ctx.isOwner)];
  if (!ctx.isOwner) lines.push("Pinning a credential (@profile) is for the bot's owners.");
  return { text: lines.join("\n") };
}

/**
 * A warning when the chat's provider has no usable credential after a change (in `report`, built
 * with the pin applied), so the person learns now rather than on the next message. Owners get the fix.
 */
function credentialWarning(ctx: CommandContext, report: StatusReport, provider: string): string | undefined {
  const status = report.providers.find((p) => p.provider === provider);
  if (status?.next) return undefined;
  if (!ctx.isOwner) {
    return `${bold("Warning:")} there is no usable ${escapeMarkup(provider)} credential yet; ask the bot's owner to add one.`;
  }
  // The report lists the session's provider and its problems even when nothing else uses it.
  const problem = report.problems.find((p) => p.provider === provider && p.severity === "error");
  const why = status?.profiles.length ? status.nextReason : "none is stored or set in the environment";
  return `${bold("Warning:")} this chat has no usable ${escapeMarkup(provider)} credential (${escapeMarkup(why)}). Fix: ${code(problem?.fix ?? addCredentialFix(provider))}`;
}
