import type { CredentialType } from "../auth/credentials.js";
import type { BuiltInProviderId, Config } from "../config/schema.js";

/** Wire protocols Tessera speaks. */
export type ProviderApi = "anthropic-messages" | "openai-chat";

/** An environment variable that can carry a provider credential, and what kind it is. */
export interface EnvCredentialKey {
  name: string;
  type: CredentialType;
}

/** Everything Tessera knows about one provider after config is applied. */
export interface ProviderInfo {
  id: string;
  api: ProviderApi;
  baseUrl: string;
  /** Anthropic only: where OAuth refresh and login exchange tokens. */
  oauthTokenUrl?: string;
  models: string[];
  /** In resolver order (PRODUCT §4: oauth, then token, then api_key). */
  envKeys: EnvCredentialKey[];
  builtIn: boolean;
  timeoutMs: number;
}

export const ANTHROPIC_OAUTH_TOKEN_URL = "https://console.anthropic.com/v1/oauth/token";

const BUILT_IN: Record<BuiltInProviderId, Omit<ProviderInfo, "id" | "builtIn" | "timeoutMs">> = {
  anthropic: {
    api: "anthropic-messages",
    baseUrl: "https://api.anthropic.com",
    oauthTokenUrl: ANTHROPIC_OAUTH_TOKEN_URL,
    models: [
      "claude-opus-4-5",
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "claude-opus-4-1",
      "claude-sonnet-4",
    ],
    envKeys: [
      { name: "ANTHROPIC_OAUTH_TOKEN", type: "token" },
      { name: "CLAUDE_CODE_OAUTH_TOKEN", type: "token" },
      { name: "ANTHROPIC_API_KEY", type: "api_key" },
    ],
  },
  openai: {
    api: "openai-chat",
    baseUrl: "https://api.openai.com/v1",
    models: ["gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "o4-mini"],
    envKeys: [{ name: "OPENAI_API_KEY", type: "api_key" }],
  },
  openrouter: {
    api: "openai-chat",
    baseUrl: "https://openrouter.ai/api/v1",
    models: [
      "anthropic/claude-sonnet-4.5",
      "anthropic/claude-opus-4.5",
      "openai/gpt-5",
      "google/gemini-2.5-pro",
      "meta-llama/llama-4-maverick",
      "deepseek/deepseek-chat-v3.1",
    ],
    envKeys: [{ name: "OPENROUTER_API_KEY", type: "api_key" }],
  },
};

const DEFAULT_TIMEOUT_MS = 120_000;

/** The built-in providers merged with `models.providers` (which may override URLs or add custom ones). */
export function listProviders(config: Config): ProviderInfo[] {
  const ids = new Set([...Object.keys(BUILT_IN), ...Object.keys(config.models.providers)]);
  return [...ids].map((id) => providerInfo(config, id)!);
}

/**
 * One provider's info, or undefined when it is neither built in nor declared in config. Ids are looked
 * up as own keys only: a typed `/model constructor/x` must not find `Object.prototype.constructor`.
 */
export function providerInfo(config: Config, id: string): ProviderInfo | undefined {
  const builtIn = Object.hasOwn(BUILT_IN, id) ? BUILT_IN[id as BuiltInProviderId] : undefined;
  const custom = Object.hasOwn(config.models.providers, id) ? config.models.providers[id] : undefined;
  if (!builtIn && !custom) return undefined;
  const api = custom?.api ?? builtIn?.api ?? "openai-chat";
  const envKeys = [...(builtIn?.envKeys ?? [])];
  // A configured `apiKeyEnv` counts for built-in providers too (after their standard variables).
  if (custom?.apiKeyEnv && !envKeys.some((k) => k.name === custom.apiKeyEnv)) {
    envKeys.push({ name: custom.apiKeyEnv, type: "api_key" });
  }
  return {
    id,
    api,
    baseUrl: stripSlash(custom?.baseUrl ?? builtIn?.baseUrl ?? ""),
    oauthTokenUrl: custom?.oauthTokenUrl ?? builtIn?.oauthTokenUrl,
    models: custom?.models ?? builtIn?.models ?? [],
    envKeys,
    builtIn: builtIn !== undefined,
    timeoutMs: custom?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Where requests for this provider go, as shown in status views. */
export function endpointOf(info: ProviderInfo): string {
  return info.api === "anthropic-messages"
    ? `${info.baseUrl}/v1/messages`
    : `${info.baseUrl}/chat/completions`;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
