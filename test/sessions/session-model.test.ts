import { describe, expect, it } from "vitest";
import type { Credential } from "../../src/auth/credentials.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { invalidPins, sessionModel } from "../../src/sessions/session-model.js";
import type { SessionEntry } from "../../src/sessions/session-store.js";

const meta = { setBy: "console:local", setAt: 1, source: "user" as const };
const entry = (pins: Partial<Pick<SessionEntry, "model" | "profile">>): SessionEntry => ({
  createdAt: 1,
  updatedAt: 1,
  history: [],
  ...pins,
});
const key = (provider: string): Credential => ({ type: "api_key", provider, key: "k" });

describe("sessionModel", () => {
  const config = ConfigSchema.parse({});
  it("is the pin when there is one, else the default", () => {
    expect(sessionModel(config, undefined)).toEqual({
      ref: "anthropic/claude-sonnet-4-5",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      source: "default",
    });
    expect(sessionModel(config, entry({ model: { ref: "openrouter/openai/gpt-5", ...meta } }))).toEqual({
      ref: "openrouter/openai/gpt-5",
      provider: "openrouter",
      model: "openai/gpt-5",
      source: "pin",
    });
  });
});

describe("invalidPins", () => {
  it("finds nothing wrong with valid pins", () => {
    const config = ConfigSchema.parse({});
    const e = entry({ model: { ref: "openai/gpt-5", ...meta }, profile: { id: "openai:w", ...meta } });
    expect(invalidPins(config, e, { "openai:w": key("openai") })).toEqual([]);
  });

  it("flags a removed profile", () => {
    const config = ConfigSchema.parse({});
    expect(invalidPins(config, entry({ profile: { id: "anthropic:gone", ...meta } }), {})).toEqual([
      { kind: "profile", value: "anthropic:gone", reason: "that profile no longer exists" },
    ]);
  });

  it("flags a pin to a prototype key (a hand-edited or old session file) as a missing profile", () => {
    const config = ConfigSchema.parse({});
    for (const id of ["constructor", "__proto__", "toString"]) {
      expect(invalidPins(config, entry({ profile: { id, ...meta } }), {})).toEqual([
        { kind: "profile", value: id, reason: "that profile no longer exists" },
      ]);
    }
  });

  it("flags a model no longer allowed, and then a profile that no longer matches the default's provider", () => {
    const config = ConfigSchema.parse({ models: { allow: ["anthropic/claude-sonnet-4-5"] } });
    const e = entry({ model: { ref: "openai/gpt-5", ...meta }, profile: { id: "openai:w", ...meta } });
    expect(invalidPins(config, e, { "openai:w": key("openai") })).toEqual([
      { kind: "model", value: "openai/gpt-5", reason: "it is no longer in models.allow" },
      {
        kind: "profile",
        value: "openai:w",
        reason: "it is a credential for openai, and this chat's model now uses anthropic",
      },
    ]);
  });

  it("flags a model whose custom provider left the config", () => {
    const config = ConfigSchema.parse({});
    expect(invalidPins(config, entry({ model: { ref: "acme/m1", ...meta } }), {})).toEqual([
      { kind: "model", value: "acme/m1", reason: "its provider is no longer configured" },
    ]);
  });
});
