import { type EnvSnapshot, KNOWN_ENV_KEYS } from "../config/env.js";
import type { Config } from "../config/schema.js";

/** How deep `changedKeys` names a change: `channels.telegram.allowFrom`, `models.aliases.fast`. */
const KEY_DEPTH = 3;

/**
 * The dotted config keys whose values differ between two configs, for the reload's log line. Names
 * only, never values: a changed bot token is `channels.telegram.botToken`, nothing more.
 */
export function changedKeys(before: unknown, after: unknown, prefix = "", depth = KEY_DEPTH): string[] {
  if (depth > 0 && isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      changedKeys(before[key], after[key], prefix ? `${prefix}.${key}` : key, depth - 1),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix || "(root)"];
}

/** The credential and channel variables whose values differ (names only), e.g. `ANTHROPIC_API_KEY`. */
export function changedEnvKeys(before: EnvSnapshot, after: EnvSnapshot, configs: Config[]): string[] {
  const names = new Set<string>(KNOWN_ENV_KEYS);
  for (const config of configs) {
    for (const provider of Object.values(config.models.providers)) {
      if (provider.apiKeyEnv) names.add(provider.apiKeyEnv);
    }
    for (const name of Object.keys(config.env.vars)) names.add(name);
  }
  return [...names].filter((name) => before.get(name)?.value !== after.get(name)?.value).sort();
}

/**
 * What a running adapter was built with and cannot change while connected: turning a channel on or
 * off, its bot token (from the config or the environment), its API address, and how Discord's slash
 * commands are registered. Keyed by the setting a person would edit.
 */
function adapterSettings(config: Config, env: EnvSnapshot): Record<string, unknown> {
  const { telegram, discord } = config.channels;
  const settings: Record<string, unknown> = {
    "channels.telegram.enabled": telegram.enabled,
    "channels.discord.enabled": discord.enabled,
  };
  if (telegram.enabled) {
    settings["telegram bot token"] = telegram.botToken || env.get("TELEGRAM_BOT_TOKEN")?.value;
    settings["channels.telegram.apiRoot"] = telegram.apiRoot;
  }
  if (discord.enabled) {
    settings["discord bot token"] = discord.token || env.get("DISCORD_BOT_TOKEN")?.value;
    settings["channels.discord.apiBase"] = discord.apiBase;
    settings["channels.discord.commands"] = discord.commands;
    // Guild-scoped slash commands are registered in these guilds at start (access reads them live).
    if (discord.commands === "guild") settings["channels.discord.guilds"] = discord.guilds;
  }
  return settings;
}

/** A bot token is named by where the new one comes from: the config key, or the variable. */
function settingName(key: string, config: Config): string {
  if (key === "telegram bot token")
    return config.channels.telegram.botToken ? "channels.telegram.botToken" : "TELEGRAM_BOT_TOKEN";
  if (key === "discord bot token")
    return config.channels.discord.token ? "channels.discord.token" : "DISCORD_BOT_TOKEN";
  return key;
}

/**
 * The settings that differ from those the running gateway started with and need a restart to take
 * effect (see `adapterSettings`), plus the agent when `agents.default` picked it. Compared with the
 * start-up values, so a change undone on disk is no longer listed.
 */
export function restartNeeded(
  started: { config: Config; env: EnvSnapshot; agentId: string },
  now: { config: Config; env: EnvSnapshot; agentId: string },
): string[] {
  const before = adapterSettings(started.config, started.env);
  const after = adapterSettings(now.config, now.env);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const raw = keys.filter((key) => before[key] !== after[key] && !sameArray(before[key], after[key]));
  // A channel turned on or off is the one change to name; its token and address come with it.
  const toggled = ["telegram", "discord"].filter((ch) => raw.includes(`channels.${ch}.enabled`));
  const differing = raw
    .filter((key) => key.endsWith(".enabled") || !toggled.some((ch) => key.includes(ch)))
    .map((key) => settingName(key, now.config));
  if (started.agentId !== now.agentId) differing.push("agents.default");
  return [...new Set(differing)].sort();
}

function sameArray(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && JSON.stringify(a) === JSON.stringify(b);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
