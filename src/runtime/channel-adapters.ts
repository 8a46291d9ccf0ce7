import { displayPath } from "../config/paths.js";
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
    const tokenSetting = tokenSettingOf(
      services,
      telegram.botToken,
      "channels.telegram.botToken",
      "TELEGRAM_BOT_TOKEN",
    );
    const { TelegramAdapter } = await import("../../adapters/telegram/index.js");
    adapters.push(new TelegramAdapter({ token, apiRoot: telegram.apiRoot, tokenSetting }));
  }
  const discord = config.channels.discord;
  if (discord.enabled) {
    const token = discord.token || env.get("DISCORD_BOT_TOKEN")?.value;
    if (!token) throw missingToken("discord", "channels.discord.token", "DISCORD_BOT_TOKEN", services);
    const { DiscordAdapter } = await import("../../adapters/discord/index.js");
    adapters.push(
      new DiscordAdapter({
        token,
        tokenSetting: tokenSettingOf(services, discord.token, "channels.discord.token", "DISCORD_BOT_TOKEN"),
        apiBase: discord.apiBase,
        commands: discord.commands,
        guilds: discord.guilds,
      }),
    );
  }
  return adapters;
}

/**
 * Where the bot token in use was set, as the fix of a rejected token names it: the config key, or the
 * variable and its source. A variable in the gateway's own environment overrides `.env` (PRODUCT §3),
 * so its fix must say to change it there (a service unit, a shell profile), not in `.env`.
 */
function tokenSettingOf(
  services: AgentServices,
  configValue: string | undefined,
  configKey: string,
  envName: string,
): string {
  const home = services.processEnv.HOME || undefined;
  if (configValue) return `${configKey} in ${displayPath(services.paths.configPath, home)}`;
  const origin = services.env.get(envName)?.origin;
  if (origin === "process")
    return `${envName} in the gateway's environment, where it is set now (it overrides ${displayPath(services.paths.envPath, home)}), or unset it there and put it in that file`;
  if (origin === "shell")
    return `${envName} in your login shell's profile, or in ${displayPath(services.paths.envPath, home)}`;
  if (origin === "config") return `env.vars.${envName} in ${displayPath(services.paths.configPath, home)}`;
  return `${envName} in ${displayPath(services.paths.envPath, home)}`;
}

function missingToken(channel: string, key: string, envName: string, services: AgentServices): TesseraError {
  return new TesseraError(
    "CHANNEL_FAILED",
    `channels.${channel}.enabled is true, but no bot token is set (${key} or ${envName})`,
    `put ${envName}=<token> in ${services.paths.envPath}, or run \`tessera onboard\``,
  );
}
