import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { formatIssues } from "../../src/schema-issues.js";

const EXAMPLE = new URL("../../config.example.json", import.meta.url);

/** `path: message` lines for `input`, or [] when it validates. */
function problemsOf(input: unknown): string[] {
  const parsed = ConfigSchema.safeParse(input);
  return parsed.success ? [] : formatIssues(parsed.error);
}

describe("config.example.json", () => {
  it("validates against the schema", async () => {
    const raw = JSON.parse(await readFile(EXAMPLE, "utf8"));
    expect(problemsOf(raw)).toEqual([]);
  });

  it("documents every top-level section and every key of PRODUCT §7", async () => {
    const raw = JSON.parse(await readFile(EXAMPLE, "utf8"));
    expect(Object.keys(raw).sort()).toEqual(["access", "agents", "auth", "channels", "env", "models"]);
    expect(Object.keys(raw.models).sort()).toEqual(["aliases", "allow", "default", "providers"]);
    expect(Object.keys(raw.auth).sort()).toEqual(["claudeCode", "order", "profiles", "warnWithin"]);
    expect(raw.auth.profiles["anthropic:claude-cli"]).toEqual({ provider: "anthropic", mode: "oauth" });
    expect(Object.keys(raw.models.providers.anthropic)).toEqual(
      expect.arrayContaining(["baseUrl", "oauthTokenUrl"]),
    );
    const custom = Object.entries(raw.models.providers).find(
      ([id]) => !["anthropic", "openai", "openrouter"].includes(id),
    );
    expect(Object.keys(custom?.[1] ?? {})).toEqual(expect.arrayContaining(["baseUrl", "api", "models"]));
    expect(Object.keys(raw.channels.telegram)).toEqual(
      expect.arrayContaining(["enabled", "apiRoot", "allowFrom", "groups"]),
    );
    expect(Object.keys(raw.channels.telegram.groups).sort()).toEqual(["allow", "policy", "requireMention"]);
    expect(Object.keys(raw.channels.discord)).toEqual(
      expect.arrayContaining(["enabled", "apiBase", "allowFrom", "guilds", "commands"]),
    );
    expect(Object.keys(raw.env).sort()).toEqual(["shellEnv", "vars"]);
    expect(raw.env.shellEnv).toEqual({ enabled: false, timeoutMs: 15000 });
  });

  it("holds no bot token: they come from TELEGRAM_BOT_TOKEN / DISCORD_BOT_TOKEN", async () => {
    const raw = JSON.parse(await readFile(EXAMPLE, "utf8"));
    expect(raw.channels.telegram.botToken).toBeUndefined();
    expect(raw.channels.discord.token).toBeUndefined();
  });
});

describe("ConfigSchema defaults", () => {
  it("turns an empty object into a working setup", () => {
    const config = ConfigSchema.parse({});
    expect(config.agents).toEqual({ default: "main", list: [{ id: "main" }] });
    expect(config.models.default).toBe("anthropic/claude-sonnet-4-5");
    expect(config.models.aliases.sonnet).toBe("anthropic/claude-sonnet-4-5");
    expect(config.models.allow).toEqual([]);
    expect(config.auth.warnWithin).toBe("24h");
    expect(config.auth.claudeCode.sync).toBe(true);
    expect(config.channels.telegram.enabled).toBe(false);
    expect(config.channels.telegram.groups).toEqual({ policy: "allowlist", allow: [], requireMention: true });
    expect(config.channels.discord.commands).toBe("global");
    expect(config.env).toEqual({ shellEnv: { enabled: false, timeoutMs: 15_000 }, vars: {} });
  });

  it("fills defaults inside a partly written section", () => {
    const config = ConfigSchema.parse({ channels: { telegram: { enabled: true } } });
    expect(config.channels.telegram.allowFrom).toEqual([]);
    expect(config.channels.telegram.groups.requireMention).toBe(true);
  });
});

describe("validation problems as `path: message` lines", () => {
  it("names the path of a wrongly typed value", () => {
    const lines = problemsOf({ channels: { telegram: { allowFrom: [123456789] } } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^channels\.telegram\.allowFrom\.0: .*expected string.*number/);
  });

  it("reports every problem, one line each", () => {
    const lines = problemsOf({
      env: { shellEnv: { timeoutMs: "fast" } },
      auth: { warnWithin: "a day" },
      channels: { discord: { commands: "everywhere" } },
    });
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(/^env\.shellEnv\.timeoutMs: .*expected number/));
    expect(lines).toContainEqual(expect.stringMatching(/^auth\.warnWithin: use a duration like 24h/));
    expect(lines).toContainEqual(expect.stringMatching(/^channels\.discord\.commands: /));
  });

  it("gives an unknown key a line with its own path", () => {
    expect(problemsOf({ channels: { telegram: { alowFrom: ["1"] } } })).toEqual([
      "channels.telegram.alowFrom: unknown key",
    ]);
    expect(problemsOf({ modles: {} })).toEqual(["modles: unknown key"]);
  });

  it("lists each unknown key of one object separately", () => {
    expect(problemsOf({ env: { shell: true, variables: {} } })).toEqual([
      "env.shell: unknown key",
      "env.variables: unknown key",
    ]);
  });

  it("says what is wrong with a bad record key", () => {
    const lines = problemsOf({ auth: { order: { anthropic: ["default"] } } });
    expect(lines).toEqual(["auth.order.anthropic.0: profile ids look like <provider>:<name>"]);
    expect(problemsOf({ auth: { profiles: { claude: { provider: "anthropic", mode: "oauth" } } } })).toEqual([
      "auth.profiles.claude: invalid key: profile ids look like <provider>:<name>",
    ]);
  });

  it("labels a problem with the whole document as (root)", () => {
    expect(problemsOf([])).toEqual([expect.stringMatching(/^\(root\): /)]);
  });

  it("accepts only http(s) URLs for API roots", () => {
    expect(problemsOf({ channels: { telegram: { apiRoot: "ftp://example.com" } } })).toEqual([
      "channels.telegram.apiRoot: expected an http(s) URL",
    ]);
    expect(problemsOf({ channels: { discord: { apiBase: "http://127.0.0.1:8080/api" } } })).toEqual([]);
  });

  it("requires a custom provider to say where its API is", () => {
    expect(problemsOf({ models: { providers: { local: { api: "openai-chat" } } } })).toEqual([
      expect.stringMatching(/^models\.providers\.local\.baseUrl: custom provider "local" needs a baseUrl/),
    ]);
    expect(problemsOf({ models: { providers: { openrouter: { timeoutMs: 5000 } } } })).toEqual([]);
  });

  it("refuses agent ids that could leave the agents directory", () => {
    expect(problemsOf({ agents: { default: "../../etc" } })).toEqual([
      expect.stringMatching(/^agents\.default: agent ids are letters/),
    ]);
    expect(problemsOf({ agents: { list: [{ id: "a/b" }] } })).toEqual([
      expect.stringMatching(/^agents\.list\.0\.id: /),
    ]);
  });

  it("refuses a provider id that is not lower-case", () => {
    expect(problemsOf({ models: { providers: { OpenAI: { baseUrl: "https://x.example" } } } })).toEqual([
      expect.stringMatching(/^models\.providers\.OpenAI: invalid key: provider ids are lower-case/),
    ]);
  });
});
