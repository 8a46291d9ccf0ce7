import { ChannelType, type Interaction, type Message } from "discord.js";
import type { IncomingMessage } from "../../src/router/index.js";

/**
 * A Discord message → the router's neutral message, or undefined when it is not for the router
 * (a bot's message, ours included; a system message; no text).
 *
 * - DMs are `dm`; guild text channels are `channel` (one shared session); a thread is its own
 *   session (`threadId`, with its parent as `chatId`);
 * - `addressed`: a DM, a mention of this bot, or a reply to one of its messages;
 * - a leading mention of this bot is removed, so `@Bot /model list` is the command.
 */
export function incomingFromMessage(message: Message, botId: string): IncomingMessage | undefined {
  if (message.author.bot || message.system) return undefined;
  const text = message.content;
  if (!text) return undefined;
  const dm = message.channel.type === ChannelType.DM;
  const mentioned = message.mentions.users.has(botId);
  const repliedToBot = message.mentions.repliedUser?.id === botId;
  return {
    ...where(message.channel, message.guildId, message.author.id, message.author.username),
    text: withoutLeadingMention(text, botId),
    addressed: dm || mentioned || repliedToBot,
    source: "text",
  };
}

/**
 * An interaction (slash command, autocomplete, button, select) → the neutral message of the person
 * who used it, with `text` left for the caller to fill (the command line or the pressed token).
 */
export function senderOf(interaction: Interaction): IncomingMessage | undefined {
  const { channelId, guildId, user } = interaction;
  if (!channelId) return undefined;
  const base = {
    channel: "discord" as const,
    senderId: user.id,
    senderName: user.username,
    text: "",
    addressed: true,
  };
  // A DM channel is often not cached when its first interaction arrives: without a guild it is a DM.
  if (!guildId) return { ...base, chatId: channelId, chatType: "dm" };
  const channel = interaction.channel;
  if (channel?.isThread() && channel.parentId) {
    return { ...base, guildId, chatId: channel.parentId, threadId: channel.id, chatType: "channel" };
  }
  return { ...base, guildId, chatId: channelId, chatType: "channel" };
}

function where(
  channel: NonNullable<Interaction["channel"]>,
  guildId: string | null,
  senderId: string,
  senderName: string,
): Omit<IncomingMessage, "text" | "addressed"> {
  const base = { channel: "discord" as const, senderId, senderName, ...(guildId ? { guildId } : {}) };
  if (channel.type === ChannelType.DM) return { ...base, chatId: channel.id, chatType: "dm" };
  if (channel.isThread() && channel.parentId) {
    return { ...base, chatId: channel.parentId, threadId: channel.id, chatType: "channel" };
  }
  return { ...base, chatId: channel.id, chatType: "channel" };
}

function withoutLeadingMention(text: string, botId: string): string {
  const match = /^\s*<@!?(\d+)>[\s,:]*/.exec(text);
  return match && match[1] === botId ? text.slice(match[0].length) : text;
}
