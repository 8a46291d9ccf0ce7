import type { HistoryMessage } from "./session-schema.js";

/** At most this many messages of history are kept per session (oldest dropped first). */
export const HISTORY_MAX_MESSAGES = 40;
/** …and at most this many characters in total, so a session's context stays affordable. */
export const HISTORY_MAX_CHARS = 32_000;
/** One message longer than this is stored cut, with a marker, so one paste cannot evict everything. */
export const HISTORY_MAX_MESSAGE_CHARS = 16_000;
const CUT_MARKER = "\n[… cut: message too long to keep in history]";

/**
 * Applies the history limits: at most `HISTORY_MAX_MESSAGES` messages and `HISTORY_MAX_CHARS`
 * characters, oldest first out, over-long messages cut, and never starting with an assistant message
 * (provider APIs expect the user to speak first).
 */
export function capHistory(messages: HistoryMessage[]): HistoryMessage[] {
  const out = messages.map((m) =>
    m.content.length > HISTORY_MAX_MESSAGE_CHARS ? { ...m, content: cut(m.content) } : m,
  );
  let total = out.reduce((sum, m) => sum + m.content.length, 0);
  let start = 0;
  while (start < out.length && (out.length - start > HISTORY_MAX_MESSAGES || total > HISTORY_MAX_CHARS)) {
    total -= out[start]!.content.length;
    start++;
  }
  while (start < out.length && out[start]!.role === "assistant") start++;
  return out.slice(start);
}

function cut(text: string): string {
  let end = HISTORY_MAX_MESSAGE_CHARS - CUT_MARKER.length;
  // Do not leave half of a surrogate pair at the cut.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + CUT_MARKER;
}
