import { describe, expect, it } from "vitest";
import {
  AuthProfilesFileSchema,
  allSecretsOf,
  type Credential,
  CredentialSchema,
  emptyAuthProfiles,
  providerOfProfileId,
  secretOf,
} from "../../src/auth/credentials.js";

const key: Credential = { type: "api_key", provider: "anthropic", key: "sk-ant-api03-key" };
const token: Credential = { type: "token", provider: "anthropic", token: "sk-ant-oat01-tok", expires: 1 };
const oauth: Credential = {
  type: "oauth",
  provider: "anthropic",
  access: "sk-ant-oat01-acc",
  refresh: "sk-ant-ort01-ref",
  expires: 2,
};

describe("CredentialSchema", () => {
  it("accepts the three types in the Clawdbot field names", () => {
    for (const c of [key, token, oauth]) expect(CredentialSchema.parse(c)).toEqual(c);
    expect(CredentialSchema.parse({ type: "token", provider: "x", token: "t" })).toEqual({
      type: "token",
      provider: "x",
      token: "t",
    });
  });

  it("keeps fields it does not know (accountId, projectId, clientId …)", () => {
    const withExtras = { ...oauth, accountId: "acct_1", projectId: "p", clientId: "c", email: "me@x.io" };
    expect(CredentialSchema.parse(withExtras)).toEqual(withExtras);
  });

  it("rejects an unknown type, a missing secret, a missing provider and non-ms expiry types", () => {
    const bad = [
      { type: "password", provider: "anthropic", key: "k" },
      { type: "api_key", provider: "anthropic" },
      { type: "oauth", provider: "anthropic", access: "a" },
      { type: "token", token: "t" },
      { type: "token", provider: "", token: "t" },
      { type: "token", provider: "anthropic", token: "t", expires: "2030-01-01" },
      { type: "api_key", provider: "anthropic", key: "k", origin: "somebody" },
    ];
    for (const value of bad)
      expect(CredentialSchema.safeParse(value).success, JSON.stringify(value)).toBe(false);
  });
});

describe("AuthProfilesFileSchema", () => {
  it("fills defaults for a minimal file and keeps top-level fields of other tools", () => {
    expect(AuthProfilesFileSchema.parse({})).toEqual(emptyAuthProfiles());
    const file = {
      version: 1,
      profiles: { "anthropic:k": key },
      lastGood: { anthropic: "anthropic:k" },
      usageStats: {},
    };
    expect(AuthProfilesFileSchema.parse(file)).toEqual({ ...file, order: {} });
  });

  it("keeps a profile that is not a usable credential aside, with the reason, instead of failing the file", () => {
    const result = AuthProfilesFileSchema.safeParse({
      version: 1,
      profiles: { "anthropic:k": { type: "api_key" }, "x:y": { type: "future_kind", provider: "x" } },
    });
    expect(result.success).toBe(true);
    expect(result.data?.profiles).toEqual({});
    expect(result.data?.unsupported?.["anthropic:k"]).toMatchObject({ type: "api_key", invalid: true });
    expect(result.data?.unsupported?.["anthropic:k"]?.reason).toContain("key");
    expect(result.data?.unsupported?.["x:y"]).toMatchObject({
      type: "future_kind",
      provider: "x",
      invalid: false,
    });
  });

  it("rejects a file whose own layout is wrong, with the path", () => {
    const result = AuthProfilesFileSchema.safeParse({ version: 1, profiles: [] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["profiles"]);
  });
});

describe("secretOf / allSecretsOf / providerOfProfileId", () => {
  it("pick the secret a credential authenticates with, and all it holds", () => {
    expect(secretOf(key)).toBe("sk-ant-api03-key");
    expect(secretOf(token)).toBe("sk-ant-oat01-tok");
    expect(secretOf(oauth)).toBe("sk-ant-oat01-acc");
    expect(allSecretsOf(oauth)).toEqual(["sk-ant-oat01-acc", "sk-ant-ort01-ref"]);
    expect(allSecretsOf(key)).toEqual(["sk-ant-api03-key"]);
  });

  it("split a profile id at the first colon", () => {
    expect(providerOfProfileId("anthropic:work")).toBe("anthropic");
    expect(providerOfProfileId("anthropic:me@x.io")).toBe("anthropic");
    expect(providerOfProfileId("custom:a:b")).toBe("custom");
    expect(providerOfProfileId("noprovider")).toBe("noprovider");
  });
});
