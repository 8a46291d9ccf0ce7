/**
 * The Discord adapter (discord.js). The gateway imports it only when `channels.discord.enabled` is on.
 */
export { DiscordAdapter, type DiscordAdapterOptions } from "./discord-adapter.js";
