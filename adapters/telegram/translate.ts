import type { CallbackQuery, Message, MessageEntity, UserFromGetMe } from "grammy/types";
import type { IncomingMessage } from "../../src/router/index.js";

/**
 * A Telegram message → the router's neutral message, or undefined when it is not for the router:
 * no text or caption, sent by a bot (ours included), or from a channel (no sender).
 *
 * - private chats are DMs; groups and supergroups are groups; a forum topic (`is_topic_message`)
 *   gets its own session through `topicId`;
 * - `addressed`: a DM, a mention of this bot, or a reply to one of its messages;
 * - a leading `@ThisBot` is removed, so `@bot /model list` is the command; `/model@ThisBot` stays as
 *   typed (the router tells it apart from `/model@OtherBot`).
 */
export function incomingFromMessage(msg: Message, me: UserFromGetMe): IncomingMessage | undefined {
  const from = msg.from;
  if (!from || from.is_bot) return undefined;
  if (msg.chat.type === "channel") return undefined;
  const text = msg.text ?? msg.caption;
  if (text === undefined) return undefined;
  const entities = msg.entities ?? msg.caption_entities ?? [];
  const dm = msg.chat.type === "private";
  const mentioned = entities.some((e) => mentionsBot(e, text, me));
  const repliedToBot = msg.reply_to_message?.from?.id === me.id;
  return {
    ...base(msg, from.id, from.username ?? from.first_name, me),
    text: withoutLeadingMention(text, me.username),
    addressed: dm || mentioned || repliedToBot,
    source: "text",
  };
}

/**
 * A pressed inline button → the neutral message of the presser (not of whoever the menu was for),
 * carrying the button's data (a router token) as its text. Undefined when the message the button
 * was on is gone (Telegram then sends no chat).
 */
export function incomingFromCallback(query: CallbackQuery, me: UserFromGetMe): IncomingMessage | undefined {
  const msg = query.message;
  if (!msg || query.data === undefined || query.from.is_bot) return undefined;
  return {
    ...base(msg as Message, query.from.id, query.from.username ?? query.from.first_name, me),
    text: query.data,
    addressed: true,
    source: "button",
  };
}

function base(msg: Message, senderId: number, senderName: string | undefined, me: UserFromGetMe) {
  const topic = msg.is_topic_message && msg.message_thread_id !== undefined;
  return {
    channel: "telegram" as const,
    chatId: String(msg.chat.id),
    chatType: msg.chat.type === "private" ? ("dm" as const) : ("group" as const),
    ...(topic ? { topicId: String(msg.message_thread_id) } : {}),
    senderId: String(senderId),
    ...(senderName ? { senderName } : {}),
    botUsername: me.username,
  };
}

function mentionsBot(entity: MessageEntity, text: string, me: UserFromGetMe): boolean {
  if (entity.type === "text_mention") return entity.user.id === me.id;
  if (entity.type !== "mention") return false;
  return (
    text.slice(entity.offset + 1, entity.offset + entity.length).toLowerCase() === me.username.toLowerCase()
  );
}

function withoutLeadingMention(text: string, username: string): string {
  const match = /^\s*@([A-Za-z0-9_]+)[\s,:]*/.exec(text);
  return match && match[1]!.toLowerCase() === username.toLowerCase() ? text.slice(match[0].length) : text;
}
