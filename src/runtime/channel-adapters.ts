import { TesseraError } from "../errors.js";
import type { ChatAdapter } from "../router/adapter.js";
import type { AgentServices } from "./services.js";

/**
 * The adapters of the channels enabled in config, each with its token (config first, then
 * `TELEGRAM_BOT_TOKEN` / `DISCORD_BOT_TOKEN` from the environment or `<state>/.env`). A platform
 * library is imported only when its channel is enabled, so a Telegram-only gateway never loads
 * discord.js.
 */
export async function channelAdapters(services: AgentServices): Promise<ChatAdapter[]> {
  const { config, env } = services;
  const adapters: ChatAdapter[] = [];
  const telegram = config.channels.telegram;
  if (telegram.enabled) {
    const token = telegram.botToken || env.get("TELEGRAM_BOT_TOKEN")?.value;
    if (!token) throw missingToken("telegram", "channels.telegram.botToken", "TELEGRAM_BOT_TOKEN", services);
    const { TelegramAdapter } = await import("../../adapters/telegram/index.js");
    adapters.push(new TelegramAdapter({ token, apiRoot: telegram.apiRoot }));
  }
  const discord = config.channels.discord;
  if (discord.enabled) {
    const token = discord.token || env.get("DISCORD_BOT_TOKEN")?.value;
    if (!token) throw missingToken("discord", "channels.discord.token", "DISCORD_BOT_TOKEN", services);
    const { DiscordAdapter } = await import("../../adapters/discord/index.js");
    adapters.push(
      new DiscordAdapter({
        token,
        apiBase: discord.apiBase,
        commands: discord.commands,
        guilds: discord.guilds,
      }),
    );
  }
  return adapters;
}

function missingToken(channel: string, key: string, envName: string, services: AgentServices): TesseraError {
  return new TesseraError(
    "CHANNEL_FAILED",
    `channels.${channel}.enabled is true, but no bot token is set (${key} or ${envName})`,
    `put ${envName}=<token> in ${services.paths.envPath}, or run \`tessera onboard\``,
  );
}
