import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { endpointOf, listProviders, providerInfo } from "../../src/models/provider-catalog.js";

const config = (raw: unknown = {}) => ConfigSchema.parse(raw);

describe("providerInfo", () => {
  it("knows the built-in providers and their endpoints (PRODUCT §7)", () => {
    const anthropic = providerInfo(config(), "anthropic")!;
    expect(anthropic).toMatchObject({ api: "anthropic-messages", builtIn: true });
    expect(endpointOf(anthropic)).toBe("https://api.anthropic.com/v1/messages");
    expect(anthropic.oauthTokenUrl).toBe("https://console.anthropic.com/v1/oauth/token");
    expect(endpointOf(providerInfo(config(), "openai")!)).toBe("https://api.openai.com/v1/chat/completions");
    expect(endpointOf(providerInfo(config(), "openrouter")!)).toBe(
      "https://openrouter.ai/api/v1/chat/completions",
    );
  });

  it("lists Anthropic's environment credentials in resolver order: tokens, then the api key", () => {
    expect(providerInfo(config(), "anthropic")!.envKeys).toEqual([
      { name: "ANTHROPIC_OAUTH_TOKEN", type: "token" },
      { name: "CLAUDE_CODE_OAUTH_TOKEN", type: "token" },
      { name: "ANTHROPIC_API_KEY", type: "api_key" },
    ]);
  });

  it("takes URL overrides from config, without a trailing slash", () => {
    const c = config({
      models: {
        providers: {
          anthropic: { baseUrl: "http://127.0.0.1:8080/", oauthTokenUrl: "http://127.0.0.1:8081/token" },
        },
      },
    });
    const info = providerInfo(c, "anthropic")!;
    expect(endpointOf(info)).toBe("http://127.0.0.1:8080/v1/messages");
    expect(info.oauthTokenUrl).toBe("http://127.0.0.1:8081/token");
    expect(info.models).toContain("claude-sonnet-4-5");
  });

  it("describes a custom provider from config", () => {
    const c = config({
      models: {
        providers: {
          local: {
            baseUrl: "http://127.0.0.1:11434/v1",
            models: ["m"],
            apiKeyEnv: "LOCAL_KEY",
            timeoutMs: 5000,
          },
          proxy: { baseUrl: "http://127.0.0.1:9000", api: "anthropic-messages" },
        },
      },
    });
    expect(providerInfo(c, "local")).toMatchObject({
      api: "openai-chat",
      builtIn: false,
      models: ["m"],
      envKeys: [{ name: "LOCAL_KEY", type: "api_key" }],
      timeoutMs: 5000,
    });
    expect(endpointOf(providerInfo(c, "proxy")!)).toBe("http://127.0.0.1:9000/v1/messages");
    expect(listProviders(c).map((p) => p.id)).toEqual([
      "anthropic",
      "openai",
      "openrouter",
      "local",
      "proxy",
    ]);
  });

  it("honours apiKeyEnv on a built-in provider too, after its standard variable", () => {
    const c = config({ models: { providers: { openai: { apiKeyEnv: "WORK_OPENAI_KEY" } } } });
    expect(providerInfo(c, "openai")!.envKeys).toEqual([
      { name: "OPENAI_API_KEY", type: "api_key" },
      { name: "WORK_OPENAI_KEY", type: "api_key" },
    ]);
  });

  it("is undefined for an unknown provider, including Object.prototype's property names", () => {
    expect(providerInfo(config(), "mystery")).toBeUndefined();
    expect(providerInfo(config(), "constructor")).toBeUndefined();
    expect(providerInfo(config(), "__proto__")).toBeUndefined();
  });
});
