import type { Config } from "../config/schema.js";
import { code } from "./markup.js";
import type { IncomingMessage, Reply } from "./types.js";

/**
 * The router's access decision for one message (PRODUCT §8), the same for every adapter and for
 * typed, native and button input:
 *
 * - `admit`: handle it; `isOwner` unlocks profile pins and credential lines;
 * - `ignore`: not meant for the bot (a plain group message that does not address it) — no reply,
 *   not a denial;
 * - `deny`: a sender or chat that is not allowed — audited; in a DM one short refusal that tells the
 *   sender their id (`refuse`), in groups silence.
 */
export type AccessDecision =
  | { kind: "admit"; isOwner: boolean }
  | { kind: "ignore" }
  | { kind: "deny"; reason: string; refuse: boolean; subject: "sender" | "chat" };

/**
 * Decides whether the router handles a message.
 *
 * Decisions where PRODUCT is silent:
 * - The console user is always an owner (it runs on the gateway host with access to the files).
 * - `allowFrom` entries are platform user ids, bare (`123456789`) or prefixed (`telegram:123456789`);
 *   `*` admits everyone (an explicit choice to run an open bot). Usernames are not matched: they can
 *   be changed by their holder. An empty `allowFrom` admits only owners.
 * - Owners (`access.owners`, `<channel>:<id>`) are admitted everywhere, even when not in `allowFrom`.
 * - In groups both gates apply: the chat must pass the group policy (Telegram `groups.policy` and
 *   `groups.allow`; Discord `guilds` when non-empty) and the sender must be allowed.
 * - Plain messages in groups must address the bot when Telegram `groups.requireMention` is on, and
 *   always in Discord guild channels (which have no such setting). Commands need no mention:
 *   `/cmd@OtherBot` is already filtered by the parser.
 */
export function decideAccess(config: Config, message: IncomingMessage, isCommand: boolean): AccessDecision {
  if (message.channel === "console") return { kind: "admit", isOwner: true };
  const owner = isOwner(config, message);
  const channel = config.channels[message.channel];
  const allowed = owner || matchesAllowFrom(channel.allowFrom, message);
  const who = `${message.channel}:${message.senderId}`;
  if (message.chatType === "dm") {
    return allowed
      ? { kind: "admit", isOwner: owner }
      : {
          kind: "deny",
          reason: `${who} is not in channels.${message.channel}.allowFrom`,
          refuse: true,
          subject: "sender",
        };
  }
  if (!isCommand && !message.addressed && mentionRequired(config, message)) return { kind: "ignore" };
  const chatProblem = groupProblem(config, message);
  if (chatProblem) return { kind: "deny", reason: chatProblem, refuse: false, subject: "chat" };
  if (!allowed) {
    return {
      kind: "deny",
      reason: `${who} is not in channels.${message.channel}.allowFrom`,
      refuse: false,
      subject: "sender",
    };
  }
  return { kind: "admit", isOwner: owner };
}

/** Owners may pin profiles and see credential lines: `access.owners` entries, and the console user. */
export function isOwner(config: Config, message: Pick<IncomingMessage, "channel" | "senderId">): boolean {
  if (message.channel === "console") return true;
  return config.access.owners.includes(`${message.channel}:${message.senderId}`);
}

function matchesAllowFrom(entries: string[], message: IncomingMessage): boolean {
  const prefixed = `${message.channel}:${message.senderId}`;
  return entries.some((e) => e === "*" || e === message.senderId || e === prefixed);
}

function mentionRequired(config: Config, message: IncomingMessage): boolean {
  if (message.channel === "telegram") return config.channels.telegram.groups.requireMention;
  return message.channel === "discord" && message.guildId !== undefined;
}

function groupProblem(config: Config, message: IncomingMessage): string | undefined {
  if (message.channel === "telegram") {
    const groups = config.channels.telegram.groups;
    if (groups.policy === "disabled") return "groups are disabled (channels.telegram.groups.policy)";
    if (groups.policy === "allowlist" && !groups.allow.includes(message.chatId)) {
      return `chat ${message.chatId} is not in channels.telegram.groups.allow`;
    }
  }
  if (message.channel === "discord" && message.guildId !== undefined) {
    const guilds = config.channels.discord.guilds;
    if (guilds.length > 0 && !guilds.includes(message.guildId)) {
      return `guild ${message.guildId} is not in channels.discord.guilds`;
    }
  }
  return undefined;
}

/** How replies name each platform ("Your Telegram user id is …"). */
export const PLATFORM_NAME = { telegram: "Telegram", discord: "Discord", console: "console" } as const;

/** The one refusal a sender who is not allowed gets in a DM: what happened and their id. */
export function refusalReply(message: IncomingMessage): Reply {
  return {
    text:
      `This bot is private, so it cannot answer you. ` +
      `Your ${PLATFORM_NAME[message.channel]} user id is ${code(message.senderId)}: ` +
      `the bot's owner can add it to ${code(`channels.${message.channel}.allowFrom`)}.`,
  };
}

/**
 * What a refused button press or native command (a Discord slash command) is told, privately: the
 * platform waits for an answer, so silence is not an option there. A sender who is not allowed learns
 * their id (as in a DM); in a chat the bot does not serve, the sender only learns that.
 */
export function refusalNotice(message: IncomingMessage, subject: "sender" | "chat"): Reply {
  if (subject === "sender") return { ...refusalReply(message), notice: true };
  return { text: "This bot does not answer in this chat.", notice: true };
}

/**
 * Remembers who was recently denied, so a stranger gets one refusal (and one audit line) per hour
 * instead of one per message — neither the chat nor the audit log can be flooded. In memory and
 * bounded; a restart forgets, which at worst means one more refusal.
 */
export class DenialMemory {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = 60 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** True the first time `key` is seen within the window. */
  firstIn(key: string, now: number): boolean {
    const last = this.seen.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    this.seen.delete(key);
    this.seen.set(key, now);
    if (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
