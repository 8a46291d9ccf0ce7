import { parseEnv } from "node:util";
import type { Credential } from "../auth/credentials.js";
import type { Config } from "../config/schema.js";
import { BOT_TOKEN_SOURCE, looksLikeBotToken } from "../doctor/bot-token-shape.js";
import { TesseraError } from "../errors.js";
import { formatRef, parseRef, resolveModelInput } from "../models/catalog.js";
import { ownEntry } from "../own-entry.js";
import type { CliContext } from "./cli-context.js";
import { chooseProfileId } from "./models-store-profile.js";
import {
  ACCEPTED_SECRET_NAMES,
  type AuthMethod,
  type ChannelAnswer,
  type CredentialAnswer,
  type OnboardAnswers,
  type OnboardProvider,
  parseOwner,
  parseProvider,
  parseUserId,
  SECRET_NAMES,
  STARTER_MODEL,
  splitList,
} from "./onboard-answers.js";
import { joinPastedSecret, parseExpiresIn, validatePastedSecret } from "./token-validation.js";

/** The flags of `tessera onboard`, as commander hands them over. */
export interface OnboardFlags {
  nonInteractive?: boolean;
  agent?: string;
  provider?: string;
  auth?: string;
  profileId?: string;
  expiresIn?: string;
  model?: string;
  secretsStdin?: boolean;
  telegram?: boolean;
  discord?: boolean;
  telegramAllow?: string[];
  discordAllow?: string[];
  owner?: string[];
  json?: boolean;
  /** Declared only to refuse them: secrets never come from argv. */
  apiKey?: unknown;
  token?: unknown;
  telegramToken?: unknown;
  discordToken?: unknown;
}

/** What onboarding knows about the installation before asking anything. */
export interface OnboardState {
  config: Config;
  /** Profiles stored in the target agent (to keep one when no new secret is given). */
  storedProfiles: Record<string, Credential>;
  /** Values already in `<state>/.env`. */
  dotenv: Record<string, string>;
}

/**
 * Refuses secrets on the command line. Anything in argv is visible to every user of the host (`ps`,
 * `/proc/<pid>/cmdline`) and lands in shell history; secrets come from stdin or the environment.
 * The message names the flag, never the value.
 */
export function refuseArgvSecrets(flags: OnboardFlags): void {
  const given = (
    [
      ["apiKey", "--api-key"],
      ["token", "--token"],
      ["telegramToken", "--telegram-token"],
      ["discordToken", "--discord-token"],
    ] as const
  ).find(([key]) => flags[key] !== undefined);
  if (!given) return;
  throw new TesseraError(
    "USAGE",
    `${given[1]} is not accepted: secrets on the command line are visible to every user of this host (ps) and stay in your shell history`,
    "pipe them as KEY=value lines: printf 'ANTHROPIC_API_KEY=%s\\n' \"$KEY\" | tessera onboard --non-interactive --provider anthropic --secrets-stdin   (or export the variable before running onboard)",
  );
}

/**
 * Reads `KEY=value` lines (dotenv syntax) from stdin for `--secrets-stdin`. Only the names onboarding
 * uses are accepted, so a typo is an error rather than a silently ignored secret.
 */
export async function readSecretsFromStdin(ctx: CliContext): Promise<Map<string, string>> {
  if (ctx.stdin.isTTY) {
    throw new TesseraError(
      "USAGE",
      "--secrets-stdin reads KEY=value lines from a pipe, but stdin is a terminal",
      "printf 'ANTHROPIC_API_KEY=%s\\n' \"$KEY\" | tessera onboard --non-interactive … --secrets-stdin   (or run onboard without --non-interactive to be asked)",
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const parsed = parseEnv(Buffer.concat(chunks).toString("utf8")) as Record<string, string>;
  const unknown = Object.keys(parsed).filter((k) => !ACCEPTED_SECRET_NAMES.includes(k));
  if (unknown.length > 0) {
    throw new TesseraError(
      "USAGE",
      `--secrets-stdin: unknown name(s) ${unknown.join(", ")}`,
      `use ${ACCEPTED_SECRET_NAMES.join(", ")}`,
    );
  }
  return new Map(Object.entries(parsed).filter(([, v]) => v.trim() !== ""));
}

/**
 * Turns flags into answers for `--non-interactive`. Secrets are looked up by their variable name:
 * first the `--secrets-stdin` lines, then the process environment (a bot token from the environment
 * only when its channel is asked for with `--telegram` / `--discord`). Every answer is validated
 * before anything is written.
 */
export function answersFromFlags(
  flags: OnboardFlags,
  secrets: Map<string, string>,
  env: NodeJS.ProcessEnv,
  state: OnboardState,
  now = Date.now(),
): OnboardAnswers {
  const { config } = state;
  const agent = flags.agent ?? config.agents.default;
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(agent)) {
    throw new TesseraError("AGENT_UNKNOWN", `invalid agent id "${agent}"`, "use letters, digits, _ and -");
  }
  const secret = (name: string, fromEnv = true) =>
    secrets.get(name) ?? (fromEnv && env[name]?.trim() ? env[name] : undefined);

  let credential: CredentialAnswer | undefined;
  let model: string | undefined;
  if (flags.provider !== undefined) {
    const provider = parseProvider(flags.provider);
    credential = credentialFromFlags(flags, provider, secret, state, now);
    model = flags.model === undefined ? starterModel(config, provider) : undefined;
  } else if (flags.auth !== undefined || flags.profileId !== undefined || flags.expiresIn !== undefined) {
    throw new TesseraError(
      "USAGE",
      "--auth, --profile-id and --expires-in need --provider",
      "--provider anthropic|openai|openrouter",
    );
  }
  if (flags.model !== undefined) model = resolveModel(config, flags.model);

  const channel = (id: "telegram" | "discord"): ChannelAnswer | undefined => {
    const asked = flags[id];
    const allow = splitList(id === "telegram" ? flags.telegramAllow : flags.discordAllow).map((v) =>
      parseUserId(id, v),
    );
    const envName = SECRET_NAMES[id];
    // A token in the environment is only taken when the channel is asked for; one on stdin always is.
    const token = secret(envName, asked === true);
    if (asked === undefined && allow.length === 0 && token === undefined) return undefined;
    const enabled = asked ?? config.channels[id].enabled;
    if (token !== undefined && !looksLikeBotToken(id, token)) {
      throw new TesseraError(
        "TOKEN_INVALID",
        `${envName} does not look like a ${id} bot token`,
        `copy it again ${BOT_TOKEN_SOURCE[id]}`,
      );
    }
    const configured =
      (id === "telegram" ? config.channels.telegram.botToken : config.channels.discord.token) ??
      state.dotenv[envName];
    if (enabled && token === undefined && !configured) {
      throw new TesseraError(
        "USAGE",
        `--${id} needs a bot token and none is configured`,
        `printf '${envName}=%s\\n' "$TOKEN" | tessera onboard --non-interactive --${id} --secrets-stdin   (token ${BOT_TOKEN_SOURCE[id]})`,
      );
    }
    return { enabled, token: token?.trim(), allowFrom: allow };
  };
  return {
    agent,
    credential,
    model,
    telegram: channel("telegram"),
    discord: channel("discord"),
    owners: splitList(flags.owner).map(parseOwner),
  };
}

function credentialFromFlags(
  flags: OnboardFlags,
  provider: OnboardProvider,
  secret: (name: string) => string | undefined,
  state: OnboardState,
  now: number,
): CredentialAnswer | undefined {
  const apiKeyName = SECRET_NAMES.apiKey[provider];
  const method = parseMethod(
    flags.auth ??
      (secret(apiKeyName) === undefined &&
      provider === "anthropic" &&
      secret(SECRET_NAMES.setupToken) !== undefined
        ? "setup-token"
        : "api-key"),
  );
  if (method === "skip") return undefined;
  if (method === "setup-token" && provider !== "anthropic") {
    throw new TesseraError(
      "USAGE",
      "--auth setup-token is for anthropic only",
      `--provider anthropic, or --auth api-key`,
    );
  }
  const type = method === "api-key" ? "api_key" : "token";
  const profileId = chooseProfileId(provider, flags.profileId);
  if (flags.expiresIn !== undefined && type !== "token") {
    throw new TesseraError(
      "USAGE",
      "--expires-in applies to setup-tokens only",
      "--auth setup-token --expires-in 365d",
    );
  }
  const name = type === "api_key" ? apiKeyName : SECRET_NAMES.setupToken;
  const raw = secret(name);
  if (raw === undefined) {
    const existing = ownEntry(state.storedProfiles, profileId);
    if (existing?.type === type) return { provider, profileId, type };
    throw new TesseraError(
      "NO_CREDENTIAL",
      `no ${type === "api_key" ? "API key" : "setup-token"} given for ${provider} (looked for ${name} on stdin and in the environment)`,
      `printf '${name}=%s\\n' "$SECRET" | tessera onboard --non-interactive --provider ${provider}${type === "token" ? " --auth setup-token" : ""} --secrets-stdin   (or --auth skip)`,
    );
  }
  const value = joinPastedSecret(raw);
  validatePastedSecret(provider, type === "api_key" ? "api_key" : "token", value);
  const expiresIn = parseExpiresIn(flags.expiresIn);
  const expires = expiresIn === undefined ? undefined : now + expiresIn;
  return { provider, profileId, type, secret: value, expires };
}

function parseMethod(value: string): AuthMethod {
  if (value === "api-key" || value === "setup-token" || value === "skip") return value;
  throw new TesseraError("USAGE", `unknown --auth "${value}"`, "--auth api-key|setup-token|skip");
}

/** A default model on the chosen provider, unless the current default already uses it. */
function starterModel(config: Config, provider: OnboardProvider): string | undefined {
  return parseRef(config.models.default)?.provider === provider ? undefined : STARTER_MODEL[provider];
}

/** Accepts an alias or `provider/model` and returns the full ref; unknown names list close matches. */
function resolveModel(config: Config, input: string): string {
  const resolved = resolveModelInput(config, input);
  if (resolved.ok) return formatRef(resolved.ref);
  if (resolved.reason === "not-allowed") {
    throw new TesseraError(
      "MODEL_NOT_ALLOWED",
      `model "${input}" is not in models.allow`,
      "tessera models list",
    );
  }
  throw new TesseraError(
    "MODEL_UNKNOWN",
    `unknown model "${input}"${resolved.suggestions.length ? ` (did you mean ${resolved.suggestions.join(", ")}?)` : ""}`,
    "tessera models list",
  );
}
