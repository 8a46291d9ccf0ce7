import { describe, expect, it } from "vitest";
import { envSnapshotOf } from "../../src/config/env.js";
import { type Config, ConfigSchema } from "../../src/config/schema.js";
import { changedEnvKeys, changedKeys, restartNeeded } from "../../src/runtime/config-changes.js";

const config = (raw: Record<string, unknown> = {}): Config => ConfigSchema.parse(raw);

describe("changedKeys", () => {
  it("names each changed key down to three levels, never a value", () => {
    const before = config({ channels: { telegram: { allowFrom: ["1"], botToken: "123:secret-a" } } });
    const after = config({
      channels: { telegram: { allowFrom: ["1", "2"], botToken: "123:secret-b" } },
      models: { aliases: { quick: "anthropic/claude-haiku-4-5" } },
    });
    const keys = changedKeys(before, after);
    expect(keys).toEqual([
      "channels.telegram.allowFrom",
      "channels.telegram.botToken",
      "models.aliases.haiku",
      "models.aliases.opus",
      "models.aliases.quick",
      "models.aliases.sonnet",
    ]);
    expect(keys.join(" ")).not.toContain("secret");
  });

  it("is empty for equal configs", () => {
    expect(
      changedKeys(
        config({ access: { owners: ["telegram:1"] } }),
        config({ access: { owners: ["telegram:1"] } }),
      ),
    ).toEqual([]);
  });
});

describe("changedEnvKeys", () => {
  it("lists credential variables and custom providers' variables whose values changed", () => {
    const cfg = config({
      models: { providers: { local: { baseUrl: "http://127.0.0.1:1", apiKeyEnv: "LOCAL_KEY" } } },
    });
    const before = envSnapshotOf({ ANTHROPIC_API_KEY: "a", LOCAL_KEY: "x", UNRELATED: "1" });
    const after = envSnapshotOf({
      ANTHROPIC_API_KEY: "a",
      LOCAL_KEY: "y",
      OPENAI_API_KEY: "o",
      UNRELATED: "2",
    });
    expect(changedEnvKeys(before, after, [cfg])).toEqual(["LOCAL_KEY", "OPENAI_API_KEY"]);
  });
});

describe("restartNeeded", () => {
  const telegram = (more: Record<string, unknown> = {}) =>
    config({ channels: { telegram: { enabled: true, apiRoot: "http://127.0.0.1:1", ...more } } });
  const env = envSnapshotOf({ TELEGRAM_BOT_TOKEN: "1:a" });

  it("lists what adapters were built with, named by where the new value lives", () => {
    const started = { config: telegram(), env, agentId: "main" };
    expect(restartNeeded(started, { config: telegram({ allowFrom: ["5"] }), env, agentId: "main" })).toEqual(
      [],
    );
    expect(
      restartNeeded(started, {
        config: telegram(),
        env: envSnapshotOf({ TELEGRAM_BOT_TOKEN: "1:b" }),
        agentId: "main",
      }),
    ).toEqual(["TELEGRAM_BOT_TOKEN"]);
    expect(restartNeeded(started, { config: telegram({ botToken: "1:c" }), env, agentId: "main" })).toEqual([
      "channels.telegram.botToken",
    ]);
    expect(
      restartNeeded(started, { config: telegram({ apiRoot: "http://127.0.0.1:2" }), env, agentId: "main" }),
    ).toEqual(["channels.telegram.apiRoot"]);
    expect(
      restartNeeded(started, {
        config: config({ channels: { discord: { enabled: true, token: "d" } } }),
        env,
        agentId: "other",
      }),
    ).toEqual(["agents.default", "channels.discord.enabled", "channels.telegram.enabled"]);
  });

  it("forgets a change undone on disk", () => {
    const started = { config: telegram(), env, agentId: "main" };
    expect(restartNeeded(started, { config: telegram(), env, agentId: "main" })).toEqual([]);
  });

  it("counts Discord guilds only when slash commands are registered per guild", () => {
    const discord = (commands: string, guilds: string[]) =>
      config({ channels: { discord: { enabled: true, token: "d", commands, guilds } } });
    const started = (commands: string) => ({ config: discord(commands, ["1"]), env, agentId: "main" });
    expect(
      restartNeeded(started("global"), { config: discord("global", ["1", "2"]), env, agentId: "main" }),
    ).toEqual([]);
    expect(
      restartNeeded(started("guild"), { config: discord("guild", ["1", "2"]), env, agentId: "main" }),
    ).toEqual(["channels.discord.guilds"]);
  });
});
