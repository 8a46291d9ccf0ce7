import type { ProfileStatus, ProviderStatus, StatusReport } from "../src/auth/status-report.js";
import { byCodePoint } from "../src/code-point-order.js";
import { formatSpan } from "../src/config/duration.js";
import type { Config } from "../src/config/schema.js";
import { type CatalogEntry, isAllowed, listCatalog } from "../src/models/catalog.js";
import { listProviders } from "../src/models/provider-catalog.js";
import { bold, code, escapeMarkup } from "../src/router/markup.js";
import type { CommandContext } from "../src/router/registry.js";
import type { ChoiceMenu, ChoiceOption, Reply } from "../src/router/types.js";
import { type SessionModel, sessionModel } from "../src/sessions/session-model.js";
import type { SessionEntry } from "../src/sessions/session-store.js";
import { isReservedWord, modelLabel } from "./model-input.js";

/** `/model status` lists at most this many problems (the CLI shows them all). */
const MAX_PROBLEMS = 8;
/** …and at most this many candidates per provider, so a store with hundreds stays one message. */
const MAX_CANDIDATES = 10;

interface SessionView {
  entry: SessionEntry | undefined;
  current: SessionModel;
  /** The resolver's report with this session's pinned profile applied. */
  report: StatusReport;
  provider: ProviderStatus | undefined;
}

async function viewOf(ctx: CommandContext): Promise<SessionView> {
  const entry = ctx.session;
  const current = sessionModel(ctx.services.config, entry);
  const report = await ctx.services.statusReport(
    { pin: entry?.profile?.id, provider: current.provider },
    await ctx.authSnapshot(),
  );
  return { entry, current, report, provider: report.providers.find((p) => p.provider === current.provider) };
}

/**
 * `/model`: the compact picker — the current model and credential, a menu of models (aliases first,
 * then the current provider's models, then the others), a menu of the current provider's profiles
 * (owners only, since pinning one is owner-only), and Reset. The current choices are selected. The
 * menus hold every option; the router pages them for each platform.
 */
export async function pickerReply(ctx: CommandContext): Promise<Reply> {
  const { config } = ctx.services;
  const { entry, current, provider } = await viewOf(ctx);
  const lines = [
    `${bold("Model:")} ${modelLabel(config, current.ref)} — ${current.source === "pin" ? "pinned in this chat" : "the default"}`,
    `${bold("Credential:")} ${ctx.isOwner ? ownerCredentialLine(provider, current.provider) : memberCredentialLine(provider)}`,
    "Pick below or type /model <name> to switch. /model status has the details.",
  ];
  const menus: ChoiceMenu[] = [{ placeholder: "Switch the model", options: modelOptions(config, current) }];
  if (ctx.isOwner) {
    const stored = (await ctx.authSnapshot()).profiles.profiles;
    const states = new Map(provider?.profiles.map((p) => [p.id, p]) ?? []);
    const pinned = entry?.profile?.id;
    const options = Object.keys(stored)
      .filter((id) => stored[id]!.provider === current.provider)
      .sort(byCodePoint)
      .map((id) => {
        const status = states.get(id);
        return {
          label: id,
          description: status ? `${status.type} · ${status.state}` : stored[id]!.type,
          action: `/model @${id}`,
          ...(id === pinned ? { selected: true } : {}),
        };
      });
    if (options.length) menus.push({ placeholder: `Pin a credential for ${current.provider}`, options });
  }
  // Ephemeral where the platform can (a Discord slash command): the picker is for whoever asked.
  return {
    text: lines.join("\n"),
    menus,
    buttons: [[{ label: "Reset to defaults", action: "/model reset" }]],
    ephemeral: true,
  };
}

/** Every model this chat may pick, once each: aliases first, then the current provider's, then the rest. */
function modelOptions(config: Config, current: SessionModel): ChoiceOption[] {
  const seen = new Set<string>();
  const options: ChoiceOption[] = [];
  const add = (label: string, ref: string, typed: string, description?: string) => {
    if (seen.has(ref)) return;
    seen.add(ref);
    options.push({
      label,
      action: `/model ${typed}`,
      ...(description ? { description } : {}),
      ...(ref === current.ref ? { selected: true } : {}),
    });
  };
  for (const [alias, target] of Object.entries(config.models.aliases)) {
    if (!isReservedWord(alias) && !/\s/.test(alias) && isAllowed(config, target))
      add(alias, target, alias, target);
  }
  const catalog = listCatalog(config).filter((e) => e.allowed);
  for (const entry of catalog) if (entry.provider === current.provider) add(entry.ref, entry.ref, entry.ref);
  for (const entry of catalog) add(entry.ref, entry.ref, entry.ref);
  return options;
}

function ownerCredentialLine(provider: ProviderStatus | undefined, providerId: string): string {
  const next = provider?.profiles.find((p) => p.next);
  if (!next) return `none usable for ${escapeMarkup(providerId)} — /model status says why.`;
  return `${candidateSummary(next)} — ${next.pinned ? "pinned in this chat" : "next in the default order"}`;
}

function memberCredentialLine(provider: ProviderStatus | undefined): string {
  return provider?.next
    ? "ready (the bot's owners choose which one)."
    : "none usable yet; ask the bot's owner to add one.";
}

/** `anthropic:work · api_key · ok · #3f9c2e` — ids, types, states and fingerprints only, never masks. */
function candidateSummary(p: ProfileStatus): string {
  return `${code(p.id)} · ${p.type} · ${p.state} · ${p.fingerprint}`;
}

/**
 * `/model list`: the models this chat may pick, by provider (the current one first), with aliases,
 * and whether a usable credential exists for each provider (from the resolver's report).
 */
export async function listReply(ctx: CommandContext): Promise<Reply> {
  const { config } = ctx.services;
  const { current, report } = await viewOf(ctx);
  const byProvider = new Map<string, CatalogEntry[]>();
  for (const entry of listCatalog(config)) {
    if (!entry.allowed) continue;
    byProvider.set(entry.provider, [...(byProvider.get(entry.provider) ?? []), entry]);
  }
  // A custom provider without a model list serves whatever ids it knows.
  for (const info of listProviders(config)) {
    if (
      !info.builtIn &&
      info.models.length === 0 &&
      !byProvider.has(info.id) &&
      config.models.allow.length === 0
    ) {
      byProvider.set(info.id, []);
    }
  }
  const providers = [...byProvider.keys()].sort(
    (a, b) => Number(b === current.provider) - Number(a === current.provider) || byCodePoint(a, b),
  );
  const lines = [`${bold("Models you can pick")} (✓ a usable credential exists, ✗ none yet)`];
  for (const provider of providers) {
    const usable = report.providers.find((p) => p.provider === provider)?.next != null;
    lines.push("", `${bold(provider)} ${usable ? "✓" : "✗ no usable credential"}`);
    const entries = byProvider.get(provider)!;
    if (entries.length === 0)
      lines.push(`• ${code(`${provider}/<model id>`)} — any model this provider serves`);
    for (const entry of entries) {
      const aliases = entry.aliases.length ? ` — ${entry.aliases.map(escapeMarkup).join(", ")}` : "";
      lines.push(`• ${code(entry.ref)}${aliases}${entry.ref === current.ref ? " ← this chat" : ""}`);
    }
  }
  lines.push("", "Pin one here with /model <alias or provider/model>.");
  return { text: lines.join("\n") };
}

/**
 * `/model status`: where this chat's model comes from, its pins, and per provider the endpoint and
 * the resolver's candidates in order with state and `next` — the report `tessera models status`
 * renders, so both always agree. Credential lines and the store path are for owners; others see
 * endpoints and whether a usable credential exists. Ephemeral where the platform allows.
 */
export async function statusReply(ctx: CommandContext): Promise<Reply> {
  const { config } = ctx.services;
  const { entry, current, report } = await viewOf(ctx);
  const ago = (at: number) => `${formatSpan(ctx.services.now() - at)} ago`;
  const lines = [`${bold("Model status")} · agent ${code(report.agent)}`];
  lines.push(
    `Model: ${modelLabel(config, current.ref)} — ${
      entry?.model
        ? `pinned in this chat by ${escapeMarkup(entry.model.setBy)}, ${ago(entry.model.setAt)}`
        : "the default (models.default)"
    }`,
  );
  if (entry?.model) lines.push(`Default: ${modelLabel(config, report.defaultModel)}`);
  if (ctx.isOwner) {
    lines.push(
      `Pinned credential: ${
        entry?.profile
          ? `${code(entry.profile.id)} (by ${escapeMarkup(entry.profile.setBy)}, ${ago(entry.profile.setAt)}; a pin never fails over)`
          : "none (the default order decides)"
      }`,
      `Auth store: ${code(ctx.services.displayPath(report.storePath))}`,
    );
  } else {
    lines.push("Credential details are shown to the bot's owners only.");
  }

  const providers = [...report.providers].sort(
    (a, b) => Number(b.provider === current.provider) - Number(a.provider === current.provider),
  );
  for (const p of providers) {
    lines.push("", ...providerBlock(p, p.provider === current.provider, ctx.isOwner));
  }
  if (ctx.isOwner) {
    const problems = report.problems.slice(0, MAX_PROBLEMS);
    if (problems.length) {
      lines.push("", bold("Problems"));
      for (const problem of problems) {
        lines.push(`• ${escapeMarkup(problem.what)} — fix: ${code(problem.fix)}`);
      }
      if (report.problems.length > problems.length) {
        lines.push(
          `… and ${report.problems.length - problems.length} more: ${code("tessera models status")}`,
        );
      }
    }
  }
  return { text: lines.join("\n"), ephemeral: true };
}

function providerBlock(p: ProviderStatus, isCurrent: boolean, isOwner: boolean): string[] {
  const head = `${bold(p.provider)}${isCurrent ? " ← this chat's provider" : ""}${p.inUse ? "" : " (no configured model uses it)"}`;
  const lines = [head, `Endpoint: ${p.endpoint ? code(p.endpoint) : "unknown provider (not configured)"}`];
  if (!isOwner) {
    lines.push(`Usable credential: ${p.next ? "yes" : "no"}`);
    return lines;
  }
  lines.push(`Order: ${ORDER_TEXT[p.orderSource]}`);
  // The next candidate is always shown, even when it sits beyond the cut.
  const shown = p.profiles.filter((c, i) => i < MAX_CANDIDATES || c.next);
  for (const c of shown) {
    const detail = c.state !== "ok" || c.expires ? ` (${escapeMarkup(c.reason)})` : "";
    lines.push(
      `${p.profiles.indexOf(c) + 1}. ${code(c.id)} · ${c.type} · ${c.state}${detail} · ${c.fingerprint} · ${escapeMarkup(c.source)}${c.next ? ` · ${bold("next")}` : ""}`,
    );
  }
  if (shown.length < p.profiles.length) {
    lines.push(`… and ${p.profiles.length - shown.length} more: ${code("tessera models status")}`);
  }
  lines.push(`Next: ${p.next ? code(p.next) : "none"} — ${escapeMarkup(p.nextReason)}`);
  for (const x of p.excluded.slice(0, MAX_CANDIDATES))
    lines.push(`Not used: ${code(x.id)} — ${escapeMarkup(x.reason)}`);
  if (p.excluded.length > MAX_CANDIDATES)
    lines.push(`… and ${p.excluded.length - MAX_CANDIDATES} more not used: ${code("tessera models status")}`);
  return lines;
}

const ORDER_TEXT: Record<ProviderStatus["orderSource"], string> = {
  pin: "pinned profile first, no failover",
  "agent order": "the agent's order override (tessera models auth order)",
  "config order": "config auth.order",
  default: "default (oauth, token, api_key; least recently used first)",
};
