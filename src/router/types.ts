import { z } from "zod";
import type { SessionEntry } from "../sessions/session-store.js";

/**
 * The platform-neutral message every adapter (Telegram, Discord, console) builds from a platform event
 * and hands to the router. The router knows nothing else about the platform.
 *
 * Adapter duties, so the router can stay simple:
 * - `text` is what the person typed, with a leading mention of this bot removed (Discord `<@id> /model`
 *   becomes `/model`). Telegram's `/model@BotName` stays as typed: the router checks the name.
 * - `addressed` is true when the bot was mentioned, the message replies to the bot, or the chat is a DM.
 * - A button press is fed back as a message whose `text` is the button's `action` and whose `source`
 *   is `"button"`, sent by the person who pressed it, so it goes through access control again.
 * - Extra fields an adapter adds for itself (a platform message id to reply to) are passed through to
 *   the plain-message handler untouched.
 */
export const IncomingMessageSchema = z.object({
  channel: z.enum(["telegram", "discord", "console"]),
  /** Telegram chat id, Discord channel id (the parent channel for a thread), `local` for the console. */
  chatId: z.string().min(1),
  chatType: z.enum(["dm", "group", "channel"]),
  /** Telegram forum topic id; gives the topic its own session. */
  topicId: z.string().min(1).optional(),
  /** Discord thread id (with `chatId` the parent channel); gives the thread its own session. */
  threadId: z.string().min(1).optional(),
  /** Discord guild id, checked against `channels.discord.guilds`. */
  guildId: z.string().min(1).optional(),
  /** Stable platform user id (never a username: those can change). */
  senderId: z.string().min(1),
  senderName: z.string().optional(),
  text: z.string(),
  addressed: z.boolean(),
  /** This bot's username, so `/cmd@OtherBot` can be told apart from `/cmd@ThisBot`. */
  botUsername: z.string().optional(),
  /** `button` when the text is a pressed button's action; the reply then edits that message. */
  source: z.enum(["text", "button", "native"]).optional(),
});
export type IncomingMessage = z.infer<typeof IncomingMessageSchema>;
export type Channel = IncomingMessage["channel"];

/**
 * A button under a reply. `action` is a router-level command (`/model sonnet`): pressing the button
 * feeds it back as a message, so every adapter supports every button without knowing what it does.
 * Actions are kept short; an adapter whose platform limits callback data (Telegram: 64 bytes) maps
 * long ones to opaque tokens itself.
 */
export const ButtonSchema = z.object({ label: z.string().min(1), action: z.string().min(1) });
export type Button = z.infer<typeof ButtonSchema>;

/**
 * What the router answers. `text` is in Tessera's small markup (see `markup.ts`: `**bold**`,
 * `` `code` ``, backslash escapes, spans end at a line break) unless `format` is `plain`, which
 * adapters render literally (model output).
 *
 * Every reply's `text` is at most `REPLY_TEXT_LIMIT` (4096) characters and never empty; longer
 * answers arrive as several replies. Adapters with smaller limits (Discord: 2000) split further.
 */
export const ReplySchema = z.object({
  text: z.string(),
  format: z.enum(["markup", "plain"]).optional(),
  /** Rows of buttons, top to bottom. */
  buttons: z.array(z.array(ButtonSchema)).optional(),
  /** Only the sender should see it (Discord ephemeral); adapters without the notion ignore it. */
  ephemeral: z.boolean().optional(),
  /** Replace the message whose button was pressed instead of sending a new one. */
  edit: z.boolean().optional(),
});
export type Reply = z.infer<typeof ReplySchema>;

/**
 * Receives every message that is not a command (after access control) and answers it — the agent
 * turn. `sessionKey` names the session whose pins and history apply; `session` is that session as the
 * router just read it (stale pins already cleared; undefined for a new one), so the handler need not
 * read it again; `isOwner` says whether the sender may see credential details.
 */
export type PlainMessageHandler = (input: {
  message: IncomingMessage;
  sessionKey: string;
  session: SessionEntry | undefined;
  isOwner: boolean;
}) => Promise<Reply>;
