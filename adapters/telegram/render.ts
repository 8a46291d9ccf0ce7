import type { InlineKeyboardButton } from "grammy/types";
import { PLATFORM_LIMITS, parseMarkup, type Reply, toPlainText } from "../../src/router/index.js";

/** A reply as Telegram's `sendMessage` takes it: text, parse mode and inline keyboard. */
export interface TelegramMessage {
  text: string;
  parse_mode?: "HTML";
  reply_markup?: { inline_keyboard: InlineKeyboardButton[][] };
}

/**
 * Renders a fitted reply for Telegram: Tessera markup as HTML (`<b>`, `<code>`, everything else
 * escaped), model output (`format: plain`) as literal text with no parse mode, menus and buttons as
 * an inline keyboard whose `callback_data` are the router's tokens.
 */
export function renderMessage(reply: Reply): TelegramMessage {
  const keyboard = inlineKeyboard(reply);
  const markup = keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {};
  if (reply.format === "plain") return { text: reply.text, ...markup };
  return { text: markupToHtml(reply.text), parse_mode: "HTML", ...markup };
}

/** The same reply without formatting, for when Telegram refuses the HTML ("can't parse entities"). */
export function renderPlain(reply: Reply): TelegramMessage {
  const rendered = renderMessage(reply);
  const text = reply.format === "plain" ? reply.text : toPlainText(reply.text);
  return rendered.reply_markup ? { text, reply_markup: rendered.reply_markup } : { text };
}

/** Tessera markup → Telegram HTML. Only `&`, `<` and `>` need escaping outside tags. */
export function markupToHtml(text: string): string {
  return parseMarkup(text)
    .map((line) =>
      line
        .map((span) => {
          let out = escapeHtml(span.text);
          if (span.code) out = `<code>${out}</code>`;
          if (span.bold) out = `<b>${out}</b>`;
          return out;
        })
        .join(""),
    )
    .join("\n");
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Menus first (options two to a row, then a ‹ › row when paged), then the button rows. */
function inlineKeyboard(reply: Reply): InlineKeyboardButton[][] {
  const rows: InlineKeyboardButton[][] = [];
  const perRow = PLATFORM_LIMITS.telegram.menuOptionsPerRow;
  for (const menu of reply.menus ?? []) {
    const options = menu.options.map((o) => ({
      text: `${o.selected ? "✓ " : ""}${o.label}`,
      callback_data: o.action,
    }));
    for (let i = 0; i < options.length; i += perRow) rows.push(options.slice(i, i + perRow));
    if (menu.page) {
      const nav: InlineKeyboardButton[] = [];
      if (menu.page.previous) nav.push({ text: "‹ Back", callback_data: menu.page.previous });
      if (menu.page.next)
        nav.push({
          text: `More › (${menu.page.index + 1}/${menu.page.count})`,
          callback_data: menu.page.next,
        });
      rows.push(nav);
    }
  }
  for (const row of reply.buttons ?? [])
    rows.push(row.map((b) => ({ text: b.label, callback_data: b.action })));
  return rows;
}
