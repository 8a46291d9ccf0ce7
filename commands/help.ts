import { code, escapeMarkup } from "../src/router/markup.js";
import type { CommandDefinition, CommandUsage } from "../src/router/registry.js";

/**
 * `/help`: the commands this sender may use in this chat, straight from the registry (so it never
 * drifts from what parsing accepts). Also answers Telegram's `/start`, which a new DM sends first.
 */
export const helpCommand: CommandDefinition = {
  name: "help",
  aliases: ["start"],
  description: "The commands you can use here",
  usage: [{ form: "/help", description: "the commands you can use here" }],
  access: "anyone",
  chats: "any",
  async run(ctx) {
    const available = ctx.registry.availableTo({ isOwner: ctx.isOwner, chatType: ctx.message.chatType });
    const lines = ["**Commands you can use here**"];
    for (const def of available) lines.push(...usageLines(def.usage, ctx.isOwner));
    if (ctx.message.chatType !== "dm") lines.push("/whoami answers in a direct message with the bot.");
    lines.push("", "Anything else you write goes to this chat's model.");
    return { text: lines.join("\n") };
  },
};

/** One line per form of a command the sender may use: owner-only forms are shown to owners only. */
export function usageLines(usage: CommandUsage[], isOwner: boolean): string[] {
  return usage
    .filter((u) => isOwner || !u.ownersOnly)
    .map((u) => `${code(u.form)} — ${escapeMarkup(u.description)}`);
}
