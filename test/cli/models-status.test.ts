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

const apiKey = (provider = "anthropic") => ({
  type: "api_key",
  provider,
  key: fakeSecret(provider === "anthropic" ? "sk-ant-api03-" : "sk-", 96),
});
const token = (expires?: number, provider = "anthropic") => ({
  type: "token",
  provider,
  token: fakeSecret("sk-ant-oat01-", 108),
  ...(expires === undefined ? {} : { expires }),
});
const oauth = (expires: number) => ({
  type: "oauth",
  provider: "anthropic",
  access: fakeSecret("sk-ant-oat01-", 108),
  refresh: fakeSecret("sk-ant-ort01-", 108),
  expires,
});

interface StatusJson {
  agent: string;
  storePath: string;
  configPath: string;
  defaultModel: string;
  providers: {
    provider: string;
    inUse: boolean;
    next: string | null;
    profiles: {
      id: string;
      type: string;
      state: string;
      expiresAt: number | null;
      source: string;
      masked: string;
    }[];
    excluded: { id: string; reason: string }[];
  }[];
  problems: { severity: string; what: string; fix: string }[];
  check: { exitCode: number; reasons: string[] };
  claudeCode: { status: string };
}

describe("models status --check matrix (PRODUCT §6.1)", () => {
  const cases: { name: string; seed: () => Promise<void>; code: number; reason?: RegExp }[] = [
    {
      name: "no credential for the default model's provider",
      seed: async () => {},
      code: 1,
      reason: /anthropic: no credential/,
    },
    { name: "api key only", seed: () => sb.writeProfiles({ "anthropic:default": apiKey() }), code: 0 },
    {
      name: "static token expired",
      seed: () => sb.writeProfiles({ "anthropic:default": token(inHours(-2)) }),
      code: 1,
      reason: /static token expired/,
    },
    {
      name: "static token expiring within 24h",
      seed: () => sb.writeProfiles({ "anthropic:default": token(inHours(5)) }),
      code: 2,
      reason: /cannot refresh itself/,
    },
    {
      name: "oauth expired but refreshable",
      seed: () => sb.writeProfiles({ "anthropic:default": oauth(inHours(-3)) }),
      code: 0,
    },
    {
      name: "needs-reauth",
      seed: async () => {
        await sb.writeProfiles({ "anthropic:default": oauth(inHours(6)) });
        await sb.writeAuthState({
          version: 1,
          usage: {
            "anthropic:default": {
              failureCounts: { auth: 1 },
              needsReauth: { at: Date.now(), reason: "invalid_grant" },
            },
          },
          lastGood: {},
        });
      },
      code: 1,
      reason: /needs re-authentication/,
    },
    {
      name: "an unused provider's expired token",
      seed: () =>
        sb.writeProfiles({
          "anthropic:default": apiKey(),
          "openai:old": {
            type: "token",
            provider: "openai",
            token: fakeSecret("tok-", 60),
            expires: inHours(-48),
          },
        }),
      code: 0,
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.code} in every output mode`, async () => {
      await c.seed();
      for (const mode of [[], ["--json"], ["--plain"]]) {
        const res = await sb.run(["models", "status", "--check", ...mode]);
        expect(res.code, `${mode.join(" ") || "text"}: ${res.stderr}`).toBe(c.code);
      }
      const json = JSON.parse((await sb.run(["models", "status", "--json"])).stdout) as StatusJson;
      expect(json.check.exitCode).toBe(c.code);
      if (c.reason) expect(json.check.reasons.join("\n")).toMatch(c.reason);
      else expect(json.check.reasons).toEqual([]);
    });
  }

  it("exits 0 without --check whatever the verdict", async () => {
    const res = await sb.run(["models", "status"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("anthropic: no credential");
  });

  it("--warn-within widens the window: a token 30h from expiry → 0 by default, 2 with 48h", async () => {
    await sb.writeProfiles({ "anthropic:default": token(inHours(30)) });
    expect((await sb.run(["models", "status", "--check"])).code).toBe(0);
    expect((await sb.run(["models", "status", "--check", "--warn-within", "48h"])).code).toBe(2);
    const bad = await sb.run(["models", "status", "--check", "--warn-within", "soon"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: invalid --warn-within "soon"\n {2}fix: .*12h/);
  });

  it("a usable api key behind an expired token still fails: a token it would use has expired", async () => {
    await sb.writeProfiles({ "anthropic:old": token(inHours(-1)), "anthropic:key": apiKey() });
    const json = JSON.parse((await sb.run(["models", "status", "--json", "--check"])).stdout) as StatusJson;
    expect(json.providers[0]!.next).toBe("anthropic:key");
    expect(json.check.exitCode).toBe(1);
  });
});

describe("models status output", () => {
  it("--json prints one object with the documented fields and masked secrets", async () => {
    const key = apiKey();
    await sb.writeProfiles({ "anthropic:default": key, "anthropic:tok": token(inHours(200)) });
    const res = await sb.run(["models", "status", "--json"]);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe("");
    const json = JSON.parse(res.stdout) as StatusJson;
    expect(json).toMatchObject({
      agent: "main",
      storePath: sb.profilesPath(),
      configPath: sb.configPath,
      defaultModel: "anthropic/claude-sonnet-4-5",
      check: { exitCode: 0, reasons: [] },
      claudeCode: { status: "absent" },
    });
    const anthropic = json.providers.find((p) => p.provider === "anthropic")!;
    expect(anthropic).toMatchObject({ inUse: true, next: "anthropic:tok" });
    expect(anthropic.profiles.map((p) => [p.id, p.type, p.state, p.source])).toEqual([
      ["anthropic:tok", "token", "ok", "store"],
      ["anthropic:default", "api_key", "ok", "store"],
    ]);
    expect(anthropic.profiles[0]!.expiresAt).toBeGreaterThan(Date.now());
    expect(anthropic.profiles[1]!.expiresAt).toBeNull();
    expect(anthropic.profiles[1]!.masked).toMatch(new RegExp(`^…${key.key.slice(-4)} #[0-9a-f]{6}$`));
    expect(res.stdout).not.toContain(key.key.slice(0, 20));
  });

  it("--plain prints the default model ref only, resolving an alias", async () => {
    await sb.writeConfig({ models: { default: "opus" } });
    const res = await sb.run(["models", "status", "--plain"]);
    expect(res).toMatchObject({ code: 0, stdout: "anthropic/claude-opus-4-5\n" });
  });

  it("--json and --plain together are a usage error", async () => {
    const res = await sb.run(["models", "status", "--json", "--plain"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("cannot be used with");
  });

  it("text: header, candidates in resolver order with next, excluded profiles, problems with fixes", async () => {
    await sb.writeConfig({
      models: { default: "anthropic/claude-sonnet-4-5", aliases: { fast: "openai/gpt-5-mini" } },
    });
    await sb.writeProfiles(
      {
        "anthropic:work": apiKey(),
        "anthropic:old": token(inHours(-50)),
        "anthropic:spare": apiKey(),
      },
      { anthropic: ["anthropic:old", "anthropic:work"] },
    );
    const res = await sb.run(["models", "status"], { env: { OPENAI_API_KEY: fakeSecret("sk-proj-", 80) } });
    expect(res.code).toBe(0);
    const out = res.stdout;
    expect(out).not.toMatch(/\x1b\[/); // not a TTY: no colour
    expect(out).toMatch(/^Config +.*config\.json$/m);
    expect(out).toMatch(/^Agent +main$/m);
    expect(out).toMatch(/^Auth store +.*auth-profiles\.json$/m);
    expect(out).toMatch(/^Default model +anthropic\/claude-sonnet-4-5$/m);
    expect(out).toMatch(/^Aliases +fast → openai\/gpt-5-mini$/m);
    // Usable first, then the expired one; `next` marks the first usable.
    const rows = out.split("\n").filter((l) => /^ {2}(next|\s{4}) +anthropic:/.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/).slice(0, 2))).toEqual([
      ["next", "anthropic:work"],
      ["anthropic:old", "token"],
    ]);
    expect(rows[1]).toMatch(
      /expired\s+expired 2d ago\s+store\s+…\S{4} #[0-9a-f]{6}\s+expired 2d ago; static/,
    );
    expect(out).toMatch(/excluded: anthropic:spare — not in the agent's order override/);
    expect(out).toMatch(
      /next: anthropic:work — first usable in the agent's order override; skipped anthropic:old \(expired\)/,
    );
    // The env credential of openai shows with its source.
    expect(out).toMatch(/next +env:OPENAI_API_KEY +api_key +ok +- +env: OPENAI_API_KEY/);
    expect(out).toMatch(
      /Problems\n {2}error +anthropic:old: static token expired 2d ago\n +fix: run `claude setup-token`, then: tessera models auth paste-token --provider anthropic --profile-id anthropic:old/,
    );
  });

  it("loads (syncs) Claude Code's credentials into anthropic:claude-cli", async () => {
    const access = fakeSecret("sk-ant-oat01-", 108);
    await sb.writeClaudeCredentials({
      accessToken: access,
      refreshToken: fakeSecret("sk-ant-ort01-", 108),
      expiresAt: inHours(8),
    });
    const res = await sb.run(["models", "status", "--json", "--check"]);
    expect(res.code).toBe(0);
    const json = JSON.parse(res.stdout) as StatusJson;
    expect(json.claudeCode.status).toBe("created");
    expect(json.providers[0]!.profiles[0]).toMatchObject({
      id: "anthropic:claude-cli",
      type: "oauth",
      source: "claude-code",
    });
    const stored = await sb.readJson<{ profiles: Record<string, { access: string }> }>(sb.profilesPath());
    expect(stored.profiles["anthropic:claude-cli"]!.access).toBe(access);
    const again = JSON.parse((await sb.run(["models", "status", "--json"])).stdout) as StatusJson;
    expect(again.claudeCode.status).toBe("unchanged");
    const text = (await sb.run(["models", "status"])).stdout;
    expect(text).toMatch(/^Claude Code +in sync \(anthropic:claude-cli\)$/m);
  });

  it("a corrupt Claude Code file is a warning, not a failure", async () => {
    await sb.writeProfiles({ "anthropic:default": apiKey() });
    await sb.writeClaudeCredentials({});
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${sb.home}/.claude/.credentials.json`, "{ not json");
    const res = await sb.run(["models", "status", "--check"]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^warning: Claude Code sync skipped: .*not valid JSON/m);
  });

  it("--agent picks another agent's store; an unknown agent is an error with the fix", async () => {
    await sb.writeConfig({ agents: { default: "main", list: [{ id: "main" }, { id: "work" }] } });
    await sb.writeProfiles({ "anthropic:w": apiKey() }, {}, "work");
    const main = JSON.parse((await sb.run(["models", "status", "--json"])).stdout) as StatusJson;
    expect(main.agent).toBe("main");
    expect(main.check.exitCode).toBe(1);
    const work = JSON.parse(
      (await sb.run(["models", "status", "--json", "--agent", "work"])).stdout,
    ) as StatusJson;
    expect(work).toMatchObject({ agent: "work", storePath: sb.profilesPath("work"), check: { exitCode: 0 } });
    const bad = await sb.run(["models", "status", "--agent", "nope"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'error: unknown agent "nope" (configured: main, work)\n  fix: add { "id": "nope" } to agents.list in the config, or pass --agent main\n',
    );
  });

  it("an invalid config stops the command with path: message lines", async () => {
    await sb.writeConfig({ models: { default: 42 } });
    const res = await sb.run(["models", "status", "--check"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/^error: invalid config .*config\.json:\n {2}models\.default: /);
  });

  it("a corrupt store is an error naming the file, and the file is left alone", async () => {
    const { mkdir, writeFile, readFile } = await import("node:fs/promises");
    await mkdir(sb.agentDir(), { recursive: true });
    await writeFile(sb.profilesPath(), '{"version":1,"profiles":{');
    const res = await sb.run(["models", "status"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${sb.profilesPath()} is not valid JSON`);
    expect(await readFile(sb.profilesPath(), "utf8")).toBe('{"version":1,"profiles":{');
  });

  it("legacy config values are migrated in memory with a notice on stderr; --json stays clean", async () => {
    await sb.writeConfig({
      auth: { profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "token" } } },
    });
    const res = await sb.run(["models", "status", "--json"]);
    expect(res.code).toBe(0);
    expect(() => JSON.parse(res.stdout)).not.toThrow();
    expect(res.stderr).toMatch(/^notice: migrated in memory: .*"oauth"/m);
  });
});
