import { z } from "zod";
import { hasControlChars } from "../control-chars.js";

/**
 * The config file's schema — the single source of the config types (`Config` is `z.infer` of it).
 * Objects are strict: a misspelled key is an error with its path rather than a setting silently
 * ignored. Every key has a default, so a missing file is a working setup (`tessera chat` runs on it).
 */

const providerId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "provider ids are lower-case letters, digits, '.', '_' or '-'");
// Names shown back to people (in chat, the CLI, the audit log) hold no control characters.
const profileId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*:.+$/, "profile ids look like <provider>:<name>")
  .refine((id) => !hasControlChars(id), "profile ids cannot contain control or invisible characters");
const modelRef = z
  .string()
  .min(1, "a model reference cannot be empty")
  .refine((ref) => !hasControlChars(ref), "model references cannot contain control or invisible characters");
const durationText = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/i, "use a duration like 24h, 90m or 7d");
const url = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });
/** Agent ids become directory names (`<state>/agents/<id>/`), so nothing that could climb out of it. */
const agentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/i, "agent ids are letters, digits, '_' or '-' (they name a directory)");

/**
 * Providers Tessera knows without configuration; any other id under `models.providers` is a custom
 * provider and must say where its API is. `src/models/provider-catalog.ts` holds their details.
 */
export const BUILT_IN_PROVIDER_IDS = ["anthropic", "openai", "openrouter"] as const;
export type BuiltInProviderId = (typeof BUILT_IN_PROVIDER_IDS)[number];
const isBuiltIn = (id: string): boolean => (BUILT_IN_PROVIDER_IDS as readonly string[]).includes(id);

export const ProviderConfigSchema = z.strictObject({
  /** Root of the provider's API; Anthropic requests go to `{baseUrl}/v1/messages`, OpenAI-style to `{baseUrl}/chat/completions`. */
  baseUrl: url.optional(),
  /** Anthropic OAuth token endpoint, for refresh and login. */
  oauthTokenUrl: url.optional(),
  /** Wire protocol of a custom provider. */
  api: z.enum(["openai-chat", "anthropic-messages"]).optional(),
  /** Model ids a custom provider serves (built-in providers have a catalog). */
  models: z.array(z.string().min(1)).optional(),
  /** Environment variable holding a custom provider's API key (decision: lets custom providers use env credentials). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional(),
  /** Request timeout in milliseconds. */
  timeoutMs: z.number().int().positive().optional(),
});

export const AuthProfileMetaSchema = z.strictObject({
  provider: providerId,
  mode: z.enum(["api_key", "token", "oauth"]),
  email: z.string().optional(),
});

const DEFAULT_ALIASES = {
  sonnet: "anthropic/claude-sonnet-4-5",
  opus: "anthropic/claude-opus-4-5",
  haiku: "anthropic/claude-haiku-4-5",
};

export const ConfigSchema = z.strictObject({
  agents: z
    .strictObject({
      default: agentId.default("main"),
      list: z.array(z.strictObject({ id: agentId, name: z.string().optional() })).default([{ id: "main" }]),
    })
    .prefault({}),
  models: z
    .strictObject({
      default: modelRef.default("anthropic/claude-sonnet-4-5"),
      aliases: z
        .record(
          z
            .string()
            .min(1)
            .refine(
              (alias) => !hasControlChars(alias),
              "aliases cannot contain control or invisible characters",
            ),
          modelRef,
        )
        .default(DEFAULT_ALIASES),
      /** Empty means every catalog model may be chosen. */
      allow: z.array(modelRef).default([]),
      providers: z.record(providerId, ProviderConfigSchema).default({}),
    })
    .superRefine((models, ctx) => {
      for (const [id, provider] of Object.entries(models.providers)) {
        if (!isBuiltIn(id) && !provider.baseUrl) {
          ctx.addIssue({
            code: "custom",
            path: ["providers", id, "baseUrl"],
            message: `custom provider "${id}" needs a baseUrl (built-in: ${BUILT_IN_PROVIDER_IDS.join(", ")})`,
          });
        }
      }
    })
    .prefault({}),
  auth: z
    .strictObject({
      profiles: z.record(profileId, AuthProfileMetaSchema).default({}),
      order: z.record(providerId, z.array(profileId)).default({}),
      warnWithin: durationText.default("24h"),
      claudeCode: z.strictObject({ sync: z.boolean().default(true) }).prefault({}),
    })
    .prefault({}),
  access: z.strictObject({ owners: z.array(z.string().min(1)).default([]) }).prefault({}),
  channels: z
    .strictObject({
      telegram: z
        .strictObject({
          enabled: z.boolean().default(false),
          botToken: z.string().optional(),
          apiRoot: url.optional(),
          allowFrom: z.array(z.string().min(1)).default([]),
          groups: z
            .strictObject({
              policy: z.enum(["allowlist", "open", "disabled"]).default("allowlist"),
              allow: z.array(z.string().min(1)).default([]),
              requireMention: z.boolean().default(true),
            })
            .prefault({}),
        })
        .prefault({}),
      discord: z
        .strictObject({
          enabled: z.boolean().default(false),
          token: z.string().optional(),
          apiBase: url.optional(),
          allowFrom: z.array(z.string().min(1)).default([]),
          guilds: z.array(z.string().min(1)).default([]),
          commands: z.enum(["global", "guild", "off"]).default("global"),
        })
        .prefault({}),
    })
    .prefault({}),
  env: z
    .strictObject({
      shellEnv: z
        .strictObject({
          enabled: z.boolean().default(false),
          timeoutMs: z.number().int().positive().default(15_000),
        })
        .prefault({}),
      vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;
export type AuthProfileMeta = z.infer<typeof AuthProfileMetaSchema>;
