import { PLATFORM_NAME } from "../src/router/access.js";
import { code, escapeMarkup } from "../src/router/markup.js";
import type { CommandDefinition } from "../src/router/registry.js";

/**
 * `/whoami`: the sender's platform id and the exact config entries that would admit them
 * (`allowFrom`) or make them an owner (`access.owners`). DMs only, so ids are not read out in groups.
 */
export const whoamiCommand: CommandDefinition = {
  name: "whoami",
  description: "Your user id, for allowFrom and owners (DMs only)",
  usage: [
    { form: "/whoami", description: "your user id, for channels.<channel>.allowFrom and access.owners" },
  ],
  access: "anyone",
  chats: "dm",
  async run(ctx) {
    const { channel, senderId, senderName } = ctx.message;
    const name = senderName ? ` (${escapeMarkup(senderName)})` : "";
    if (channel === "console") {
      return {
        text: `You are ${code(`console:${senderId}`)}${name} on the local console, which is always an owner. (Set the id with tessera chat --as <id>.)`,
      };
    }
    return {
      text: [
        `Your ${PLATFORM_NAME[channel]} user id is ${code(senderId)}${name}.`,
        `To let you use the bot: add ${code(senderId)} to ${code(`channels.${channel}.allowFrom`)}.`,
        `To make you an owner: add ${code(`${channel}:${senderId}`)} to ${code("access.owners")}.`,
        ctx.isOwner ? "You are an owner of this bot." : "You may use this bot; you are not an owner.",
      ].join("\n"),
    };
  },
};
