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
  /**
   * `button` when the text is a pressed button's or menu option's action (or its token, as the
   * platform carried it back); the reply then edits that message.
   */
  source: z.enum(["text", "button", "native"]).optional(),
});
export type IncomingMessage = z.infer<typeof IncomingMessageSchema>;
export type Channel = IncomingMessage["channel"];

/**
 * A button under a reply. `action` is a router-level command (`/model sonnet`): pressing the button
 * feeds it back as a message, so every adapter supports every button without knowing what it does.
 * On platforms that limit what a button carries (Telegram, Discord), the router replaces each action
 * with a short opaque token before the adapter sees it (`ActionTokens`), and reads it back on press.
 */
export const ButtonSchema = z.object({ label: z.string().min(1), action: z.string().min(1) });
export type Button = z.infer<typeof ButtonSchema>;

/** One choice of a menu: pressing it feeds `action` back like a button. */
export const ChoiceOptionSchema = z.object({
  label: z.string().min(1),
  /** A second line where the platform shows one (Discord select menus); dropped elsewhere. */
  description: z.string().optional(),
  action: z.string().min(1),
  /** The current choice; shown with a check mark or as the menu's default. */
  selected: z.boolean().optional(),
});
export type ChoiceOption = z.infer<typeof ChoiceOptionSchema>;

/**
 * Where a paged menu is: which page of how many, and the actions of the ‹ and › controls (absent
 * at either end). Set by `fitReplies`, never by a command.
 */
export const MenuPageSchema = z.object({
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  previous: z.string().min(1).optional(),
  next: z.string().min(1).optional(),
});
export type MenuPage = z.infer<typeof MenuPageSchema>;

/**
 * A list to pick one item from — models, profiles. Commands put every option in; `fitReplies` pages
 * it for the platform (Discord renders a page as a select menu, Telegram as inline-keyboard rows
 * with ‹ › buttons, the console as numbered choices), so no command thinks about page sizes.
 */
export const ChoiceMenuSchema = z.object({
  /** What picking does, shown as the select menu's placeholder or above the choices. */
  placeholder: z.string().min(1),
  options: z.array(ChoiceOptionSchema),
  /** Present on menus an adapter receives when they have more than one page. */
  page: MenuPageSchema.optional(),
});
export type ChoiceMenu = z.infer<typeof ChoiceMenuSchema>;

/**
 * What the router answers. `text` is in Tessera's small markup (see `markup.ts`: `**bold**`,
 * `` `code` ``, backslash escapes, spans end at a line break) unless `format` is `plain`, which
 * adapters render literally (model output).
 *
 * Replies an adapter receives went through `fitReplies` for its platform: text within the platform's
 * limit and never empty (longer answers arrive as several replies), menus paged, button rows within
 * the platform's rows and widths, every action within the platform's size (a token where needed).
 */
export const ReplySchema = z.object({
  text: z.string(),
  format: z.enum(["markup", "plain"]).optional(),
  /** Rows of buttons, top to bottom, below the menus. */
  buttons: z.array(z.array(ButtonSchema)).optional(),
  /** Choice menus, drawn above the buttons. */
  menus: z.array(ChoiceMenuSchema).optional(),
  /** Only the sender should see it (Discord ephemeral); adapters without the notion ignore it. */
  ephemeral: z.boolean().optional(),
  /** Replace the message whose button was pressed instead of sending a new one. */
  edit: z.boolean().optional(),
  /**
   * A short word to whoever pressed a button — "this menu expired", "only owners can…" — which
   * changes no message: Telegram shows it as the callback answer, Discord as an ephemeral reply.
   */
  notice: z.boolean().optional(),
});
export type Reply = z.infer<typeof ReplySchema>;

/** Per-message extras a surface passes with a message: live text and cancellation. */
export interface HandleOptions {
  /** Receives each new piece of an answer's text as the model streams it, in order. */
  onDelta?: (text: string) => void;
  /** Aborts the model call this message started (shutdown, or the person cancelled). */
  signal?: AbortSignal;
}

/**
 * Receives every message that is not a command (after access control) and answers it — the agent
 * turn. `sessionKey` names the session whose pins and history apply; `session` is that session as the
 * router just read it (stale pins already cleared; undefined for a new one), so the handler need not
 * read it again; `isOwner` says whether the sender may see credential details.
 */
export type PlainMessageHandler = (
  input: {
    message: IncomingMessage;
    sessionKey: string;
    session: SessionEntry | undefined;
    isOwner: boolean;
  } & HandleOptions,
) => Promise<Reply>;
