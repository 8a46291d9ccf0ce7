import { describe, expect, it } from "vitest";
import { type AuthProfilesFile, type Credential, sameCredential } from "../../src/auth/credentials.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { decideOrder, decideProfile, targetAgentFor } from "../../src/import/import-plan.js";

const config = ConfigSchema.parse({
  agents: { default: "main", list: [{ id: "main" }, { id: "work" }] },
  models: { providers: { local: { baseUrl: "http://127.0.0.1:1", api: "openai-chat" } } },
});
const key = (k: string): Credential => ({ type: "api_key", provider: "anthropic", key: k });
const store = (
  profiles: Record<string, Credential>,
  order: Record<string, string[]> = {},
): AuthProfilesFile => ({
  version: 1,
  profiles,
  order,
});

describe("import decisions", () => {
  it("imports new profiles, skips identical ones, keeps different ones unless --replace", () => {
    expect(decideProfile(key("k1"), "anthropic:a", config, undefined, {})).toEqual({
      action: "import",
      reason: "new",
    });
    const held = store({ "anthropic:a": { ...key("k1"), origin: "user", updatedAt: 5 } });
    expect(decideProfile(key("k1"), "anthropic:a", config, held, {}).reason).toBe(
      "already present (identical)",
    );
    expect(decideProfile(key("k2"), "anthropic:a", config, held, {}).action).toBe("skip");
    expect(decideProfile(key("k2"), "anthropic:a", config, held, { replace: true }).action).toBe("replace");
  });

  it("skips what Tessera cannot use: unknown providers, non-anthropic oauth, empty secrets", () => {
    const oauth: Credential = { type: "oauth", provider: "openai", access: "a", refresh: "r" };
    expect(decideProfile(oauth, "openai:x", config, undefined, {}).reason).toMatch(
      /oauth credentials of anthropic only/,
    );
    expect(decideProfile({ ...key("k"), provider: "zai" }, "zai:x", config, undefined, {}).reason).toMatch(
      /^unsupported provider zai/,
    );
    expect(decideProfile({ ...key("k"), provider: "local" }, "local:x", config, undefined, {}).action).toBe(
      "import",
    );
    expect(decideProfile(key("  "), "anthropic:x", config, undefined, {}).reason).toBe("the secret is empty");
  });

  it("treats expiry as part of a token's identity, metadata not", () => {
    const t: Credential = { type: "token", provider: "anthropic", token: "t", expires: 1 };
    expect(sameCredential(t, { ...t, origin: "import", updatedAt: 9 })).toBe(true);
    expect(sameCredential(t, { ...t, expires: 2 })).toBe(false);
    expect(sameCredential(t, key("t"))).toBe(false);
  });

  it("sets an order only where the agent has none, and never an empty one", () => {
    expect(decideOrder("anthropic", [], undefined, {}).action).toBe("skip");
    expect(decideOrder("anthropic", ["anthropic:a"], store({}), {}).action).toBe("import");
    const held = store({}, { anthropic: ["anthropic:b"] });
    expect(decideOrder("anthropic", ["anthropic:a"], held, {}).reason).toMatch(
      /already has an order for anthropic/,
    );
    expect(decideOrder("anthropic", ["anthropic:a"], held, { replace: true }).action).toBe("replace");
  });

  it("maps source agents: main to --agent or the default, others by id when configured", () => {
    expect(targetAgentFor("main", config, {})).toEqual({ agent: "main" });
    expect(targetAgentFor("main", config, { agent: "work" })).toEqual({ agent: "work" });
    expect(targetAgentFor("work", config, {})).toEqual({ agent: "work" });
    expect(targetAgentFor("ops", config, {}).reason).toMatch(/^source agent ops has no agent here/);
    expect(targetAgentFor("ops", config, { fromAgent: "ops", agent: "work" })).toEqual({ agent: "work" });
    expect(targetAgentFor("main", config, { fromAgent: "ops" }).reason).toBe(
      "only --from-agent ops is imported",
    );
  });
});
