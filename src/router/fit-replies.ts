import { showControlChars } from "../control-chars.js";
import type { ActionTarget } from "./action-tokens.js";
import { escapeMarkup } from "./markup.js";
import { PLATFORM_LIMITS, type PlatformLimits, usesActionTokens } from "./platform-limits.js";
import type { Button, ChoiceMenu, Reply } from "./types.js";

/** The largest message any platform takes (Telegram's); the console uses it too. */
export const REPLY_TEXT_LIMIT = PLATFORM_LIMITS.telegram.textChars;

export interface FitOptions {
  /**
   * Turns an action into what the platform carries back (a router token). Required for paging: the
   * ‹ › controls of a menu are tokens for "the same command, showing page N".
   */
  encode?: (target: ActionTarget) => string;
  /** The command whose answer this is; re-run with other pages when a menu's ‹ › is pressed. */
  source?: string;
  /** Page to show per menu index (from a pressed ‹ ›); otherwise the page holding the selected option. */
  pages?: Record<string, number>;
}

/**
 * Makes replies fit one platform (`PLATFORM_LIMITS`), so adapters only translate:
 * - text is split between lines (markup spans never cross a line) into replies of at most
 *   `textChars`, a single over-long line between characters; empty text becomes `(no text)`;
 *   a notice is one short reply, cut to `noticeChars`;
 * - menus are paged (`menuOptionsPerPage`) with ‹ › actions, button rows re-wrapped to
 *   `buttonsPerRow`, labels shortened, and controls dropped from the end beyond `maxRows`/`maxButtons`;
 * - control characters in text and labels are shown as escapes (`\x1b`), never passed on;
 * - on platforms with an action size limit every action becomes a token (`encode`);
 * - controls go with the last part, `edit` with the first.
 */
export function fitReplies(
  replies: Reply[],
  limits: PlatformLimits = PLATFORM_LIMITS.console,
  opts: FitOptions = {},
): Reply[] {
  return replies.flatMap((reply) => {
    // Nothing a reply carries acts on the screen it lands on: control characters (an echoed ESC
    // sequence, a bidi override in a model's answer or a stored id) are shown as escapes.
    const shown = showControlChars(reply.text, {
      keepLayout: true,
      escape: reply.format === "plain" ? undefined : escapeMarkup,
    });
    const text = shown.trim() === "" ? "(no text)" : shown;
    const parts = reply.notice ? [cutUnits(text, limits.noticeChars)] : splitText(text, limits.textChars);
    const controls = fitControls(reply, limits, opts);
    return parts.map((part, i) => {
      const out: Reply = { text: part };
      if (reply.format) out.format = reply.format;
      if (reply.ephemeral) out.ephemeral = true;
      if (reply.notice) out.notice = true;
      if (reply.edit && i === 0) out.edit = true;
      if (i === parts.length - 1) {
        if (controls.menus.length) out.menus = controls.menus;
        if (controls.buttons.length) out.buttons = controls.buttons;
      }
      return out;
    });
  });
}

/** Splits text into pieces of at most `limit` UTF-16 units, preferring paragraph, line, then word breaks. */
export function splitText(text: string, limit = REPLY_TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    let at = window.lastIndexOf("\n\n");
    if (at < limit / 2) at = window.lastIndexOf("\n");
    if (at < limit / 2) at = window.lastIndexOf(" ");
    let next: number;
    if (at >= limit / 2) {
      next = at + 1;
    } else {
      at = cutIndex(rest, limit);
      next = at;
    }
    // A piece of only whitespace (a long run of blanks cut at the limit) is dropped: platforms refuse
    // a message that is empty once trimmed (found by test/router/platform-fit.property.test.ts).
    const piece = rest.slice(0, at).trimEnd();
    if (piece.trim() !== "") parts.push(piece);
    rest = rest.slice(next).replace(/^\n+/, "");
  }
  if (rest.trim() !== "" || parts.length === 0) parts.push(rest);
  return parts;
}

function fitControls(
  reply: Reply,
  limits: PlatformLimits,
  opts: FitOptions,
): { menus: ChoiceMenu[]; buttons: Button[][] } {
  const tokens = usesActionTokens(limits);
  const action = (target: ActionTarget) => (tokens && opts.encode ? opts.encode(target) : target.action);
  let rowsLeft = limits.maxRows;
  let buttonsLeft = limits.maxButtons;

  const menus: ChoiceMenu[] = [];
  const allMenus = reply.menus ?? [];
  const chosen = allMenus.map((menu, i) => pageOf(menu, limits, opts.pages?.[String(i)]));
  allMenus.forEach((menu, i) => {
    if (menu.options.length === 0) return;
    const count = Math.ceil(menu.options.length / limits.menuOptionsPerPage);
    // Without an encoder there is no way back for ‹ ›: show the first page only.
    const index = opts.encode && opts.source ? chosen[i]! : 0;
    const pageOptions = menu.options.slice(
      index * limits.menuOptionsPerPage,
      (index + 1) * limits.menuOptionsPerPage,
    );
    const paged = count > 1 && opts.encode !== undefined && opts.source !== undefined;
    const rows =
      (limits.menuStyle === "select" ? 1 : Math.ceil(pageOptions.length / limits.menuOptionsPerRow)) +
      (paged ? 1 : 0);
    const buttonsUsed = (limits.menuStyle === "buttons" ? pageOptions.length : 0) + (paged ? 2 : 0);
    if (rows > rowsLeft || buttonsUsed > buttonsLeft) return;
    rowsLeft -= rows;
    buttonsLeft -= buttonsUsed;
    const fitted: ChoiceMenu = {
      placeholder: cutChars(menu.placeholder, limits.labelChars),
      options: pageOptions.map((o) => {
        const option: ChoiceMenu["options"][number] = {
          label: cutChars(o.label, limits.labelChars),
          action: action({ action: o.action }),
        };
        if (o.description && limits.descriptionChars > 0)
          option.description = cutChars(o.description, limits.descriptionChars);
        if (o.selected) option.selected = true;
        return option;
      }),
    };
    if (paged) {
      const to = (page: number) => opts.encode!({ action: opts.source!, pages: pagesWith(chosen, i, page) });
      fitted.page = { index, count };
      if (index > 0) fitted.page.previous = to(index - 1);
      if (index < count - 1) fitted.page.next = to(index + 1);
    }
    menus.push(fitted);
  });

  const buttons: Button[][] = [];
  for (const row of reply.buttons ?? []) {
    for (let at = 0; at < row.length; at += limits.buttonsPerRow) {
      if (rowsLeft === 0 || buttonsLeft === 0) break;
      const piece = row.slice(at, at + Math.min(limits.buttonsPerRow, buttonsLeft)).map((b) => ({
        label: cutChars(b.label, limits.labelChars),
        action: action({ action: b.action }),
      }));
      buttons.push(piece);
      rowsLeft--;
      buttonsLeft -= piece.length;
    }
  }
  return { menus, buttons };
}

/** The page to show: the one asked for (clamped), else the one holding the selected option. */
function pageOf(menu: ChoiceMenu, limits: PlatformLimits, asked: number | undefined): number {
  const count = Math.max(1, Math.ceil(menu.options.length / limits.menuOptionsPerPage));
  if (asked !== undefined) return Math.min(Math.max(0, asked), count - 1);
  const selected = menu.options.findIndex((o) => o.selected);
  return selected === -1 ? 0 : Math.floor(selected / limits.menuOptionsPerPage);
}

/** Every menu's current page, with menu `i` moved to `page`: ‹ › on one menu keeps the others where they are. */
function pagesWith(current: number[], i: number, page: number): Record<string, number> {
  const pages: Record<string, number> = {};
  current.forEach((p, at) => {
    pages[String(at)] = at === i ? page : p;
  });
  return pages;
}

/** `text` cut to `max` characters (code points) with `…`. */
/** A label (button, menu option, placeholder) shown safely and cut to `max` characters. */
function cutChars(label: string, max: number): string {
  const text = showControlChars(label);
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, Math.max(1, max - 1)).join("")}…` : text;
}

/**
 * `text` cut to `max` UTF-16 units with `…`, never inside a surrogate pair. Notices are counted like
 * message text (the platforms count UTF-16 units): cutting them by code points let a notice of emoji
 * reach twice `noticeChars` (found by test/router/platform-fit.property.test.ts).
 */
function cutUnits(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, cutIndex(text, Math.max(1, max - 1)))}…` : text;
}

/** A cut at or below `limit` that does not split a surrogate pair. */
function cutIndex(text: string, limit: number): number {
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}
