import type { Reply } from "./types.js";

/**
 * The longest reply text the router hands out: Telegram's message limit, the largest of the chat
 * platforms. Discord (2000) splits further in its adapter.
 */
export const REPLY_TEXT_LIMIT = 4096;

/** Buttons beyond these limits are dropped (Telegram allows 100 per message; rows stay readable). */
const MAX_BUTTONS = 100;
const MAX_LABEL = 40;

/**
 * Makes replies safe to send anywhere: long text is split into several replies between lines
 * (markup spans never cross a line, so nothing breaks), a single over-long line is cut between
 * characters; buttons go with the last part, `edit` with the first; empty text becomes `(no text)`.
 */
export function fitReplies(replies: Reply[], limit = REPLY_TEXT_LIMIT): Reply[] {
  return replies.flatMap((reply) => {
    const parts = splitText(reply.text.trim() === "" ? "(no text)" : reply.text, limit);
    const buttons = capButtons(reply.buttons);
    return parts.map((text, i) => {
      const part: Reply = { text };
      if (reply.format) part.format = reply.format;
      if (reply.ephemeral) part.ephemeral = true;
      if (reply.edit && i === 0) part.edit = true;
      if (buttons && i === parts.length - 1) part.buttons = buttons;
      return part;
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
      at = limit;
      const code = rest.charCodeAt(at - 1);
      if (code >= 0xd800 && code <= 0xdbff) at--;
      next = at;
    }
    parts.push(rest.slice(0, at).trimEnd() || rest.slice(0, at));
    rest = rest.slice(next).replace(/^\n+/, "");
  }
  if (rest.trim() !== "" || parts.length === 0) parts.push(rest);
  return parts;
}

function capButtons(rows: Reply["buttons"]): Reply["buttons"] {
  if (!rows) return undefined;
  let left = MAX_BUTTONS;
  const out = rows
    .map((row) =>
      row.slice(0, Math.max(0, left)).map((b) => {
        left--;
        const chars = [...b.label];
        return chars.length > MAX_LABEL ? { ...b, label: `${chars.slice(0, MAX_LABEL - 1).join("")}…` } : b;
      }),
    )
    .filter((row) => row.length > 0);
  return out.length > 0 ? out : undefined;
}
