import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIComponentInMessageActionRow,
  type APIStringSelectComponent,
  ButtonStyle,
  ComponentType,
  escapeMarkdown,
} from "discord.js";
import { parseMarkup, type Reply, splitText } from "../../src/router/index.js";

/** Discord's message content limit. */
export const DISCORD_TEXT_MAX = 2000;

/** A reply as Discord's message endpoints take it. */
export interface DiscordMessage {
  content: string;
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
}

/**
 * Renders a fitted reply for Discord: Tessera markup as Discord markdown (what a person typed is
 * escaped, so it cannot turn into formatting or masked links), model output as it came (models
 * write markdown); menus as string selects (the option value is the router's token; the select's
 * own id is `menu:<n>`), a paged menu's ‹ › and the reply's buttons as buttons whose `custom_id` is
 * the token. Mentions are never resolved into pings (see `NO_PINGS`). The router already fits
 * replies to 1800 characters; escaping can add a little, so an over-long render is split again.
 */
export function renderMessages(reply: Reply): DiscordMessage[] {
  const content = reply.format === "plain" ? reply.text : markupToMarkdown(reply.text);
  const parts = content.length > DISCORD_TEXT_MAX ? splitText(content, DISCORD_TEXT_MAX) : [content];
  const components = componentsOf(reply);
  return parts.map((part, i) => ({ content: part, components: i === parts.length - 1 ? components : [] }));
}

/** No `@everyone`, role or user pings from anything the bot says, replies included. */
export const NO_PINGS = { parse: [] as never[], repliedUser: false };

/** Tessera markup → Discord markdown. */
export function markupToMarkdown(text: string): string {
  return parseMarkup(text)
    .map((line) =>
      line
        .map((span) => {
          let out = span.code ? inlineCode(span.text) : escapeMarkdown(span.text);
          if (span.bold) out = `**${out}**`;
          return out;
        })
        .join(""),
    )
    .join("\n");
}

/** Inline code that survives backticks inside: `` `a` `` with double backticks and padding when needed. */
function inlineCode(text: string): string {
  if (!text.includes("`")) return `\`${text}\``;
  return `\`\` ${text.replace(/``+/g, "`\u200b`")} \`\``;
}

function componentsOf(reply: Reply): DiscordMessage["components"] {
  const rows: DiscordMessage["components"] = [];
  const used = new Set<string>();
  const unique = (id: string) => {
    if (used.has(id)) return false;
    used.add(id);
    return true;
  };
  const navButtons: APIButtonComponent[] = [];
  (reply.menus ?? []).forEach((menu, i) => {
    const options = menu.options.filter((o) => unique(o.action));
    if (options.length === 0) return;
    const select: APIStringSelectComponent = {
      type: ComponentType.StringSelect,
      custom_id: `menu:${i}`,
      placeholder: menu.page
        ? `${menu.placeholder} (${menu.page.index + 1}/${menu.page.count})`
        : menu.placeholder,
      options: options.map((o) => ({
        label: o.label,
        value: o.action,
        ...(o.description ? { description: o.description } : {}),
        ...(o.selected ? { default: true } : {}),
      })),
    };
    rows.push({ type: ComponentType.ActionRow, components: [select] });
    if (menu.page?.previous && unique(menu.page.previous))
      navButtons.push(button("‹ Back", menu.page.previous));
    if (menu.page?.next && unique(menu.page.next)) navButtons.push(button("More ›", menu.page.next));
  });
  // The fitter counts a nav row per paged menu; sharing one row leaves room to spare.
  if (navButtons.length) rows.push({ type: ComponentType.ActionRow, components: navButtons.slice(0, 5) });
  for (const row of reply.buttons ?? []) {
    const buttons = row.filter((b) => unique(b.action)).map((b) => button(b.label, b.action));
    if (buttons.length) rows.push({ type: ComponentType.ActionRow, components: buttons });
  }
  return rows.slice(0, 5);
}

function button(label: string, customId: string): APIButtonComponent {
  return { type: ComponentType.Button, style: ButtonStyle.Secondary, label, custom_id: customId };
}
