import type { Api } from "grammy";
import type { BotCommand, BotCommandScope } from "grammy/types";
import type { MenuCommand } from "../../src/router/index.js";

/**
 * Publishes the command registry as Telegram's command menu: everyone's commands in the default
 * scope and, when some commands are for owners only, the full list in each owner's private chat.
 * Each scope is compared first and written only when it changed, so a restart costs one read per
 * scope and no write. Returns how many scopes were written.
 */
export async function syncBotCommands(api: Api, commands: MenuCommand[], owners: string[]): Promise<number> {
  const everyone = commands.filter((c) => !c.ownersOnly).map(toBotCommand);
  const scopes: { scope: BotCommandScope; list: BotCommand[] }[] = [
    { scope: { type: "default" }, list: everyone },
  ];
  if (commands.some((c) => c.ownersOnly)) {
    const all = commands.map(toBotCommand);
    for (const owner of owners) {
      const chatId = Number(owner);
      if (Number.isSafeInteger(chatId)) scopes.push({ scope: { type: "chat", chat_id: chatId }, list: all });
    }
  }
  let written = 0;
  for (const { scope, list } of scopes) {
    const current = await api.getMyCommands({ scope });
    if (sameCommands(current, list)) continue;
    await api.setMyCommands(list, { scope });
    written++;
  }
  return written;
}

/** Telegram shows a menu description of up to 256 characters; the registry already keeps them short. */
function toBotCommand(command: MenuCommand): BotCommand {
  return { command: command.name, description: command.description.slice(0, 256) };
}

function sameCommands(a: BotCommand[], b: BotCommand[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => c.command === b[i]!.command && c.description === b[i]!.description)
  );
}
