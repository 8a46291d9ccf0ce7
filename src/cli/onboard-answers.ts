import type { OAuthCredential } from "../auth/credentials.js";
import { TesseraError } from "../errors.js";

/** The providers onboarding offers; others are configured by hand (`models.providers`). */
export const ONBOARD_PROVIDERS = ["anthropic", "openai", "openrouter"] as const;
export type OnboardProvider = (typeof ONBOARD_PROVIDERS)[number];

/** The model onboarding sets as default when the current default belongs to another provider. */
export const STARTER_MODEL: Record<OnboardProvider, string> = {
  anthropic: "anthropic/claude-sonnet-4-5",
  openai: "openai/gpt-5",
  openrouter: "openrouter/anthropic/claude-sonnet-4.5",
};

/** The environment-variable name under which each secret is read (stdin `KEY=value` or the environment). */
export const SECRET_NAMES = {
  apiKey: {
    anthropic: "ANTHROPIC_API_KEY",
    openai: "OPENAI_API_KEY",
    openrouter: "OPENROUTER_API_KEY",
  } as Record<OnboardProvider, string>,
  /** A setup-token from `claude setup-token`; the name Claude Code itself reads it from. */
  setupToken: "CLAUDE_CODE_OAUTH_TOKEN",
  telegram: "TELEGRAM_BOT_TOKEN",
  discord: "DISCORD_BOT_TOKEN",
} as const;

/** Every name `--secrets-stdin` accepts; anything else is refused as a probable typo. */
export const ACCEPTED_SECRET_NAMES = [
  ...Object.values(SECRET_NAMES.apiKey),
  SECRET_NAMES.setupToken,
  SECRET_NAMES.telegram,
  SECRET_NAMES.discord,
];

/** How the chosen provider authenticates. `skip` stores nothing (the environment may hold a key). */
export type AuthMethod = "api-key" | "setup-token" | "skip";

export interface CredentialAnswer {
  provider: OnboardProvider;
  profileId: string;
  type: "api_key" | "token" | "oauth";
  /** An oauth credential the wizard's login already obtained (type `oauth` only). */
  oauth?: OAuthCredential;
  /** The secret to store; undefined keeps the profile already stored under `profileId`. */
  secret?: string;
  /** Epoch ms (setup-tokens only). */
  expires?: number;
}

export interface ChannelAnswer {
  enabled: boolean;
  /** A new bot token for `.env`; undefined keeps whatever is configured. */
  token?: string;
  /** Platform user ids to add to `channels.<ch>.allowFrom`. */
  allowFrom: string[];
}

/**
 * Everything onboarding decided, from the wizard or from flags. Applying the same answers twice
 * changes nothing the second time. Lists are additions: onboarding never removes an owner or an
 * allowed user (that is a deliberate edit of the config).
 */
export interface OnboardAnswers {
  agent: string;
  credential?: CredentialAnswer;
  /** `models.default` to set; undefined leaves it. */
  model?: string;
  /** Undefined leaves the channel's settings alone. */
  telegram?: ChannelAnswer;
  discord?: ChannelAnswer;
  /** `telegram:<id>` / `discord:<id>` entries to add to `access.owners`. */
  owners: string[];
}

export function parseProvider(value: string): OnboardProvider {
  if ((ONBOARD_PROVIDERS as readonly string[]).includes(value)) return value as OnboardProvider;
  throw new TesseraError(
    "PROVIDER_UNKNOWN",
    `onboard sets up ${ONBOARD_PROVIDERS.join(", ")}; not "${value}"`,
    `--provider ${ONBOARD_PROVIDERS.join("|")} (custom providers go in models.providers of the config)`,
  );
}

/** `telegram:123456789` / `discord:1122…`: the form `access.owners` takes. */
export function parseOwner(value: string): string {
  const owner = value.trim();
  if (!/^(telegram|discord):\d{3,25}$/.test(owner)) {
    throw new TesseraError(
      "USAGE",
      `owner "${owner}" should be telegram:<numeric id> or discord:<numeric id>`,
      "send /whoami to the bot in a DM to see your id",
    );
  }
  return owner;
}

/** A platform user id for `allowFrom`: digits (send /whoami to the bot to see yours). */
export function parseUserId(channel: "telegram" | "discord", value: string): string {
  const id = value.trim().replace(new RegExp(`^${channel}:`), "");
  if (!/^\d{3,25}$/.test(id)) {
    throw new TesseraError(
      "USAGE",
      `"${value}" is not a ${channel} user id (digits only)`,
      "send /whoami to the bot in a DM to see your id",
    );
  }
  return id;
}

/** Splits `a, b c` into ids; for flags and wizard answers that take several at once. */
export function splitList(values: string | string[] | undefined): string[] {
  const list = Array.isArray(values) ? values : values === undefined ? [] : [values];
  return list.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
}
