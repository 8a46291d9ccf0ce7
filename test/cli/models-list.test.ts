import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeSecret } from "../support/secrets.js";
import { createSandbox, inHours, type Sandbox } from "./models-harness.js";

let sb: Sandbox;

beforeEach(async () => {
  sb = await createSandbox();
});

afterEach(async () => {
  await sb.cleanup();
});

interface ListJson {
  agent: string;
  defaultModel: string;
  models: {
    ref: string;
    provider: string;
    aliases: string[];
    allowed: boolean;
    default: boolean;
    credential: boolean;
    next: string | null;
  }[];
}

describe("models list", () => {
  it("lists the catalog with aliases, allow-list and whether a usable credential exists", async () => {
    await sb.writeConfig({
      models: {
        default: "sonnet",
        allow: ["anthropic/claude-sonnet-4-5", "openai/gpt-5"],
        providers: { acme: { baseUrl: "http://127.0.0.1:9", models: ["acme-1"] } },
      },
    });
    await sb.writeProfiles({
      "anthropic:default": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-", 100) },
      // Expired static token: not usable, so openai has no credential.
      "openai:old": {
        type: "token",
        provider: "openai",
        token: fakeSecret("tok-", 60),
        expires: inHours(-1),
      },
    });
    const json = JSON.parse((await sb.run(["models", "list", "--json"])).stdout) as ListJson;
    expect(json.agent).toBe("main");
    const byRef = new Map(json.models.map((m) => [m.ref, m]));
    expect(byRef.get("anthropic/claude-sonnet-4-5")).toMatchObject({
      aliases: ["sonnet"],
      allowed: true,
      default: true,
      credential: true,
      next: "anthropic:default",
    });
    expect(byRef.get("anthropic/claude-opus-4-5")).toMatchObject({ allowed: false, credential: true });
    expect(byRef.get("openai/gpt-5")).toMatchObject({ allowed: true, credential: false, next: null });
    expect(byRef.get("acme/acme-1")).toMatchObject({ provider: "acme", credential: false });

    const text = await sb.run(["models", "list"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^MODEL +ALIASES +ALLOWED +CREDENTIAL$/m);
    expect(text.stdout).toMatch(
      /^anthropic\/claude-sonnet-4-5 \(default\) +sonnet +yes +yes \(anthropic:default\)$/m,
    );
    expect(text.stdout).toMatch(/^openai\/gpt-5 +- +yes +none$/m);
    expect(text.stdout).toContain("No usable credential for openai;");
  });

  it("an environment key counts as a credential", async () => {
    const res = await sb.run(["models", "list", "--json"], {
      env: { OPENROUTER_API_KEY: fakeSecret("sk-or-v1-", 73) },
    });
    const json = JSON.parse(res.stdout) as ListJson;
    expect(json.models.find((m) => m.provider === "openrouter")).toMatchObject({
      credential: true,
      next: "env:OPENROUTER_API_KEY",
    });
  });
});
