import { BOT_TOKEN_SOURCE, looksLikeBotToken } from "../bot-token-shape.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { DoctorScope } from "../doctor-scope.js";
import type { Finding } from "../finding.js";

interface ChannelSpec {
  id: "telegram" | "discord";
  envName: string;
  configKey: string;
  /** A shape check that catches pasting the wrong thing, without contacting the platform. */
  looksValid: (token: string) => boolean;
  where: string;
}

const CHANNELS: ChannelSpec[] = [
  {
    id: "telegram",
    envName: "TELEGRAM_BOT_TOKEN",
    configKey: "channels.telegram.botToken",
    looksValid: (t) => looksLikeBotToken("telegram", t),
    where: BOT_TOKEN_SOURCE.telegram,
  },
  {
    id: "discord",
    envName: "DISCORD_BOT_TOKEN",
    configKey: "channels.discord.token",
    looksValid: (t) => looksLikeBotToken("discord", t),
    where: BOT_TOKEN_SOURCE.discord,
  },
];

/**
 * Chat channels: an enabled channel needs a bot token (config, or `TELEGRAM_BOT_TOKEN` /
 * `DISCORD_BOT_TOKEN` from the environment or `<state>/.env`), a token should have the platform's
 * shape, and someone must be allowed to talk to the bot. Tokens are never shown, not even masked:
 * where a token comes from is all a person needs to fix it.
 */
export const channelTokensCheck: DoctorCheck = {
  name: "channels",
  async run(scope) {
    if (!scope.configValid) return [];
    const findings: Finding[] = [];
    for (const spec of CHANNELS) findings.push(...checkChannel(scope, spec));
    return findings;
  },
};

function checkChannel(scope: DoctorScope, spec: ChannelSpec): Finding[] {
  const channel = scope.config.channels[spec.id];
  const fromConfig =
    spec.id === "telegram" ? scope.config.channels.telegram.botToken : scope.config.channels.discord.token;
  const fromEnv = scope.env.get(spec.envName);
  const token = fromConfig || fromEnv?.value;
  const source = fromConfig
    ? `config ${spec.configKey}`
    : fromEnv?.origin === "dotenv"
      ? `${scope.paths.envPath}`
      : `environment ${spec.envName}`;
  const findings: Finding[] = [];
  const base = { check: "channels" };
  if (!channel.enabled) {
    if (token) {
      findings.push({
        ...base,
        key: `channel-disabled:${spec.id}`,
        severity: "info",
        what: `${spec.id}: a bot token is set (${source}) but channels.${spec.id}.enabled is false`,
        fix: `set channels.${spec.id}.enabled to true to run the ${spec.id} bot (tessera onboard --non-interactive --${spec.id})`,
      });
    }
    return findings;
  }
  if (!token) {
    findings.push({
      ...base,
      key: `channel-token:${spec.id}`,
      severity: "error",
      what: `${spec.id} is enabled but has no bot token (neither ${spec.configKey} nor ${spec.envName})`,
      fix: `put ${spec.envName}=<token ${spec.where}> in ${scope.paths.envPath} (tessera onboard does it), or set channels.${spec.id}.enabled to false`,
    });
    return findings;
  }
  if (!spec.looksValid(token.trim())) {
    findings.push({
      ...base,
      key: `channel-token-shape:${spec.id}`,
      severity: "warning",
      what: `${spec.id}: the bot token (${source}) does not look like a ${spec.id} bot token`,
      fix: `copy the token again ${spec.where} and replace it in ${fromConfig ? scope.paths.configPath : scope.paths.envPath}`,
    });
  }
  if (fromConfig) {
    findings.push({
      ...base,
      key: `channel-token-in-config:${spec.id}`,
      severity: "info",
      what: `${spec.id}: the bot token is stored in the config (${spec.configKey})`,
      fix: `move it to ${spec.envName} in ${scope.paths.envPath} and remove ${spec.configKey}, so the config can be shared without the secret`,
    });
  }
  const owners = scope.config.access.owners.filter((o) => o.startsWith(`${spec.id}:`));
  if (channel.allowFrom.length === 0 && owners.length === 0) {
    findings.push({
      ...base,
      key: `channel-nobody:${spec.id}`,
      severity: "warning",
      what: `${spec.id} is enabled but nobody may use the bot (channels.${spec.id}.allowFrom and access.owners name no ${spec.id} user)`,
      fix: `send /whoami to the bot, then add the id: tessera onboard --non-interactive --${spec.id}-allow <id>   (or --owner ${spec.id}:<id>)`,
    });
  }
  return findings;
}
