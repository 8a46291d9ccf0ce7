import { readFile, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { createSandbox, modeOf, type Sandbox } from "./models-harness.js";

let sb: Sandbox;

beforeEach(async () => {
  sb = await createSandbox();
});

afterEach(async () => {
  await sb.cleanup();
});

interface Stored {
  profiles: Record<
    string,
    { type: string; provider: string; token?: string; key?: string; expires?: number; origin?: string }
  >;
  order: Record<string, string[]>;
}

const setupToken = () => fakeSecret("sk-ant-oat01-", 108);

describe("models auth paste-token", () => {
  it("reads the token from stdin, stores it 0600, writes config metadata and an audit line", async () => {
    const token = setupToken();
    const before = Date.now();
    const res = await sb.run(
      ["models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "365d"],
      {
        input: `${token}\n`,
      },
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Added anthropic:default\n {2}type +token\n/);
    expect(res.stdout).toContain(`secret   …${token.slice(-4)} #`);
    expect(res.stdout).toMatch(/expires +expires in 36[45]d/);
    expectNoSecretIn(res.stdout, [token]);

    const stored = await sb.readJson<Stored>(sb.profilesPath());
    const profile = stored.profiles["anthropic:default"]!;
    expect(profile).toMatchObject({ type: "token", provider: "anthropic", token, origin: "user" });
    expect(profile.expires! - before).toBeGreaterThanOrEqual(365 * 86_400_000);
    expect(profile.expires! - Date.now()).toBeLessThanOrEqual(365 * 86_400_000);
    expect(await modeOf(sb.profilesPath())).toBe(0o600);
    expect(await modeOf(sb.agentDir())).toBe(0o700);

    const config = await sb.readJson(sb.configPath);
    expect(config).toEqual({
      auth: { profiles: { "anthropic:default": { provider: "anthropic", mode: "token" } } },
    });
    expect(await modeOf(sb.configPath)).toBe(0o600);

    expect(await sb.readAudit()).toEqual([
      expect.objectContaining({
        actor: "cli:tester",
        surface: "cli",
        action: "profile.add",
        agent: "main",
        target: "anthropic:default",
      }),
    ]);
    expectNoSecretIn(await readFile(sb.auditPath, "utf8"), [token]);
  });

  it("joins a line-wrapped paste and trims it", async () => {
    const token = setupToken();
    const wrapped = `  ${token.slice(0, 40)}\r\n${token.slice(40, 80)}\n  ${token.slice(80)}  \n\n`;
    const res = await sb.run(["models", "auth", "paste-token", "--provider", "anthropic"], {
      input: wrapped,
    });
    expect(res.code).toBe(0);
    const stored = await sb.readJson<Stored>(sb.profilesPath());
    expect(stored.profiles["anthropic:default"]!.token).toBe(token);
    expect(stored.profiles["anthropic:default"]!.expires).toBeUndefined();
  });

  it("changes only auth.profiles[id] in an existing config", async () => {
    const original = {
      models: { default: "anthropic/claude-opus-4-5", aliases: { big: "anthropic/claude-opus-4-5" } },
      auth: {
        warnWithin: "48h",
        profiles: { "anthropic:other": { provider: "anthropic", mode: "api_key" } },
      },
      channels: { telegram: { enabled: false, allowFrom: ["1"] } },
    };
    await sb.writeConfig(original);
    const res = await sb.run(
      ["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:work"],
      {
        input: setupToken(),
      },
    );
    expect(res.code).toBe(0);
    const config = await sb.readJson(sb.configPath);
    expect(config).toEqual({
      ...original,
      auth: {
        ...original.auth,
        profiles: { ...original.auth.profiles, "anthropic:work": { provider: "anthropic", mode: "token" } },
      },
    });
    expect(Object.keys(config)).toEqual(Object.keys(original));
  });

  it("replacing a profile says so and clears its needs-reauth mark", async () => {
    await sb.writeProfiles({
      "anthropic:default": { type: "token", provider: "anthropic", token: setupToken() },
    });
    await sb.writeAuthState({
      version: 1,
      usage: { "anthropic:default": { failureCounts: {}, needsReauth: { at: 1, reason: "401" } } },
      lastGood: {},
    });
    const res = await sb.run(["models", "auth", "paste-token", "--provider", "anthropic"], {
      input: setupToken(),
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Replaced anthropic:default/);
    const state = await sb.readJson<{ usage: Record<string, { needsReauth?: unknown }> }>(sb.authStatePath());
    expect(state.usage["anthropic:default"]!.needsReauth).toBeUndefined();
    const check = await sb.run(["models", "status", "--check"]);
    expect(check.code).toBe(0);
  });

  it("warns when an explicit order would leave the new profile unused", async () => {
    await sb.writeProfiles(
      { "anthropic:work": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-", 100) } },
      { anthropic: ["anthropic:work"] },
    );
    const res = await sb.run(["models", "auth", "paste-token", "--provider", "anthropic"], {
      input: setupToken(),
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      "note: anthropic:default is not in the agent's order override for anthropic",
    );
    expect(res.stderr).toContain(
      "fix: tessera models auth order set --provider anthropic anthropic:work anthropic:default",
    );
  });

  const refusals: { name: string; input: () => string; args?: string[]; message: RegExp; fix: RegExp }[] = [
    {
      name: "a pasted code#state",
      input: () => `${fakeSecret("", 40)}#${fakeSecret("", 43)}`,
      message: /OAuth authorization code \(code#state\)/,
      fix: /tessera models auth login --provider anthropic/,
    },
    {
      name: "an API key pasted as a token",
      input: () => fakeSecret("sk-ant-api03-", 108),
      message: /this is an Anthropic API key \(sk-ant-api…\), not a token/,
      fix: /tessera models auth paste-api-key --provider anthropic/,
    },
    {
      name: "a too-short setup-token",
      input: () => fakeSecret("sk-ant-oat01-", 60),
      message: /only 60 characters long \(a setup-token has at least 80\)/,
      fix: /copy the whole token/,
    },
    {
      name: "a token without the setup-token prefix",
      input: () => fakeSecret("eyJ", 120),
      message: /an Anthropic token starts with sk-ant-oat01-/,
      fix: /claude setup-token/,
    },
    {
      name: "a refresh token",
      input: () => fakeSecret("sk-ant-ort01-", 108),
      message: /refresh token/,
      fix: /tessera models auth login/,
    },
    { name: "empty input", input: () => "\n  \n", message: /no token was given/, fix: /paste-token/ },
    {
      name: "an Anthropic token for another provider",
      args: ["--provider", "openai"],
      input: setupToken,
      message: /this is an Anthropic token, not a token for openai/,
      fix: /paste-token --provider anthropic/,
    },
    {
      name: "a NAME=value line",
      input: () => `CLAUDE_CODE_OAUTH_TOKEN=${setupToken()}`,
      message: /NAME=value/,
      fix: /paste-token/,
    },
  ];

  for (const r of refusals) {
    it(`refuses ${r.name} with the right command, storing nothing and echoing nothing`, async () => {
      const secret = r.input();
      const res = await sb.run(
        ["models", "auth", "paste-token", ...(r.args ?? ["--provider", "anthropic"])],
        {
          input: secret,
        },
      );
      expect(res.code).toBe(1);
      expect(res.stdout).toBe("");
      const [first, second] = res.stderr.split("\n");
      expect(first).toMatch(/^error: /);
      expect(first).toMatch(r.message);
      expect(second).toMatch(/^ {2}fix: /);
      expect(second).toMatch(r.fix);
      expectNoSecretIn(
        res.stderr,
        secret.split(/[#=]/).filter((s) => s.length > 20),
      );
      await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
      await expect(readFile(sb.configPath)).rejects.toThrow(/ENOENT/);
    });
  }

  it("refuses a secret given as an argument, without echoing it", async () => {
    const token = setupToken();
    const res = await sb.run(["models", "auth", "paste-token", "--provider", "anthropic", "--token", token]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: secrets are not accepted as arguments/);
    expectNoSecretIn(res.stderr + res.stdout, [token]);
  });

  it("checks flags before reading the secret: duration, profile id, provider", async () => {
    const badDuration = await sb.run(
      ["models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "365"],
      {
        input: setupToken(),
      },
    );
    expect(badDuration.code).toBe(1);
    expect(badDuration.stderr).toMatch(
      /^error: invalid --expires-in "365"\n {2}fix: use a number with a unit/,
    );

    const badId = await sb.run(
      ["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "openai:x"],
      {
        input: setupToken(),
      },
    );
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain("does not start with the provider anthropic:");
    expect(badId.stderr).toContain("fix: --profile-id anthropic:x");

    const unknown = await sb.run(["models", "auth", "paste-token", "--provider", "acme"], {
      input: setupToken(),
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^error: unknown provider "acme" \(known: anthropic, openai, openrouter\)/,
    );

    const missing = await sb.run(["models", "auth", "paste-token"], { input: setupToken() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--provider <provider>' not specified");
  });

  it("--expires-in 12h makes --check report 2 (expiring, cannot refresh)", async () => {
    const res = await sb.run(
      ["models", "auth", "paste-token", "--provider", "anthropic", "--expires-in", "12h"],
      {
        input: setupToken(),
      },
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/expires +expires in 11h\n/);
    expect((await sb.run(["models", "status", "--check"])).code).toBe(2);
  });

  it("stores into the agent given by --agent", async () => {
    await sb.writeConfig({ agents: { list: [{ id: "main" }, { id: "ops" }] } });
    const res = await sb.run(["models", "auth", "paste-token", "--provider", "anthropic", "--agent", "ops"], {
      input: setupToken(),
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("(agent ops)");
    const stored = await sb.readJson<Stored>(sb.profilesPath("ops"));
    expect(Object.keys(stored.profiles)).toEqual(["anthropic:default"]);
    await expect(readFile(sb.profilesPath("main"))).rejects.toThrow(/ENOENT/);
  });

  it("a custom provider declared in config accepts a token", async () => {
    await sb.writeConfig({
      models: { providers: { acme: { baseUrl: "http://127.0.0.1:9", api: "openai-chat" } } },
    });
    const secret = fakeSecret("acme-", 40);
    const res = await sb.run(
      ["models", "auth", "paste-token", "--provider", "acme", "--profile-id", "acme:ci"],
      { input: secret },
    );
    expect(res.code).toBe(0);
    expect((await sb.readJson<Stored>(sb.profilesPath())).profiles["acme:ci"]).toMatchObject({
      type: "token",
      token: secret,
    });
  });
});

describe("models auth paste-api-key", () => {
  it("stores an API key from stdin with mode api_key", async () => {
    const key = fakeSecret("sk-proj-", 100);
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "openai"], {
      input: `${key}\n`,
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Added openai:default\n {2}type +api_key\n/);
    expectNoSecretIn(res.stdout, [key]);
    expect((await sb.readJson<Stored>(sb.profilesPath())).profiles["openai:default"]).toMatchObject({
      type: "api_key",
      provider: "openai",
      key,
      origin: "user",
    });
    expect(await sb.readJson(sb.configPath)).toEqual({
      auth: { profiles: { "openai:default": { provider: "openai", mode: "api_key" } } },
    });
  });

  it("refuses a setup-token pasted as an API key, naming paste-token", async () => {
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], {
      input: setupToken(),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("not an API key");
    expect(res.stderr).toContain("fix: tessera models auth paste-token --provider anthropic");
  });

  it("refuses an OpenRouter key for openai", async () => {
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "openai"], {
      input: fakeSecret("sk-or-v1-", 73),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("this is an OpenRouter key, not an API key for openai");
    expect(res.stderr).toContain("fix: tessera models auth paste-api-key --provider openrouter");
  });

  it("stops on a config that does not parse, storing nothing and leaving the file alone", async () => {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(sb.stateDir, { recursive: true });
    await writeFile(sb.configPath, "{ broken");
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "openai"], {
      input: fakeSecret("sk-", 60),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: invalid config/);
    expect(await readFile(sb.configPath, "utf8")).toBe("{ broken");
  });
});
