import { describe, expect, it } from "vitest";
import type { ProfileUsage } from "../../src/auth/auth-state.js";
import type { AuthSnapshot } from "../../src/auth/auth-store.js";
import { allSecretsOf, type Credential } from "../../src/auth/credentials.js";
import { buildStatusReport, type StatusReport } from "../../src/auth/status-report.js";
import { type EnvSnapshot, envSnapshotOf } from "../../src/config/env.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const apiKey = (provider = "anthropic"): Credential => ({
  type: "api_key",
  provider,
  key: fakeSecret(provider === "anthropic" ? "sk-ant-api03-" : "sk-proj-"),
});
const token = (expires: number | undefined, provider = "anthropic"): Credential => ({
  type: "token",
  provider,
  token: fakeSecret("sk-ant-oat01-", 100),
  ...(expires === undefined ? {} : { expires }),
});
const oauth = (expires: number, extra: Partial<Credential> = {}): Credential =>
  ({
    type: "oauth",
    provider: "anthropic",
    access: fakeSecret("sk-ant-oat01-", 100),
    refresh: fakeSecret("sk-ant-ort01-"),
    expires,
    ...extra,
  }) as Credential;

interface Setup {
  profiles?: Record<string, Credential>;
  usage?: Record<string, Partial<ProfileUsage>>;
  config?: unknown;
  env?: EnvSnapshot;
  pin?: string;
  warnWithinMs?: number;
}

function report(setup: Setup): StatusReport {
  const usage: Record<string, ProfileUsage> = {};
  for (const [id, u] of Object.entries(setup.usage ?? {})) usage[id] = { failureCounts: {}, ...u };
  const auth: AuthSnapshot = {
    profiles: { version: 1, profiles: setup.profiles ?? {}, order: {} },
    state: { version: 1, usage, lastGood: {}, notified: {} },
  };
  return buildStatusReport({
    config: ConfigSchema.parse(setup.config ?? {}),
    configPath: "/state/config.json",
    agent: "main",
    storePath: "/state/agents/main/agent/auth-profiles.json",
    auth,
    env: setup.env ?? envSnapshotOf({}),
    now: NOW,
    warnWithinMs: setup.warnWithinMs ?? DAY,
    pin: setup.pin,
  });
}

const providerOf = (r: StatusReport, id: string) => r.providers.find((p) => p.provider === id)!;

describe("--check verdict", () => {
  it("1 when the default model's provider has no credential at all", () => {
    const r = report({ profiles: { "openai:default": apiKey("openai") } });
    expect(r.check.exitCode).toBe(1);
    expect(r.check.reasons).toEqual([expect.stringMatching(/^anthropic: no credential \(used by /)]);
    const problem = r.problems.find((p) => p.provider === "anthropic");
    expect(problem?.fix).toMatch(/tessera models auth paste-api-key --provider anthropic/);
  });

  it("0 with only an api key", () => {
    const r = report({ profiles: { "anthropic:default": apiKey() } });
    expect(r.check).toEqual({ exitCode: 0, reasons: [] });
    expect(r.problems).toEqual([]);
  });

  it("0 with only an environment api key", () => {
    const r = report({ env: envSnapshotOf({ ANTHROPIC_API_KEY: fakeSecret("sk-ant-api03-") }) });
    expect(r.check.exitCode).toBe(0);
    expect(providerOf(r, "anthropic").next).toBe("env:ANTHROPIC_API_KEY");
  });

  it("1 when a static token has expired", () => {
    const r = report({ profiles: { "anthropic:manual": token(NOW - 2 * DAY) } });
    expect(r.check.exitCode).toBe(1);
    expect(r.check.reasons).toContainEqual("anthropic:manual: static token expired 2d ago");
    const problem = r.problems.find((p) => p.profileId === "anthropic:manual");
    expect(problem?.fix).toMatch(
      /claude setup-token.*paste-token --provider anthropic --profile-id anthropic:manual/,
    );
  });

  it("1 when a static token in the order has expired, even with a usable fallback", () => {
    const r = report({ profiles: { "anthropic:manual": token(NOW - HOUR), "anthropic:key": apiKey() } });
    expect(providerOf(r, "anthropic").next).toBe("anthropic:key");
    expect(r.check.exitCode).toBe(1);
  });

  it("2 when a static token it would use expires within 24h", () => {
    const r = report({ profiles: { "anthropic:manual": token(NOW + 3 * HOUR) } });
    expect(r.check.exitCode).toBe(2);
    expect(r.check.reasons).toEqual(["anthropic:manual: in use and expires in 3h; it cannot refresh itself"]);
    expect(r.problems[0]).toMatchObject({
      severity: "warning",
      exit: 2,
      fix: expect.stringMatching(/paste-token/),
    });
  });

  it("2 as well when the expiring token is a fallback behind the one in use", () => {
    const r = report({
      profiles: { "anthropic:key": apiKey(), "anthropic:manual": token(NOW + 3 * HOUR) },
      config: { auth: { order: { anthropic: ["anthropic:key", "anthropic:manual"] } } },
    });
    expect(providerOf(r, "anthropic").next).toBe("anthropic:key");
    expect(r.check.exitCode).toBe(2);
    expect(r.check.reasons).toEqual(["anthropic:manual: expires in 3h; it cannot refresh itself"]);
  });

  it("0 when the token expires outside the warn window (--warn-within)", () => {
    expect(
      report({ profiles: { "anthropic:manual": token(NOW + 3 * HOUR) }, warnWithinMs: HOUR }).check.exitCode,
    ).toBe(0);
    expect(report({ profiles: { "anthropic:manual": token(NOW + 2 * DAY) } }).check.exitCode).toBe(0);
  });

  it("0 when oauth has expired but can refresh itself", () => {
    const r = report({ profiles: { "anthropic:me@example.com": oauth(NOW - HOUR) } });
    expect(r.check).toEqual({ exitCode: 0, reasons: [] });
    const profile = providerOf(r, "anthropic").profiles[0];
    expect(profile).toMatchObject({ state: "refreshable", usable: true, next: true });
  });

  it("1 when a credential needs re-authentication", () => {
    const r = report({
      profiles: { "anthropic:me@example.com": oauth(NOW - HOUR), "anthropic:key": apiKey() },
      usage: {
        "anthropic:me@example.com": {
          needsReauth: { at: NOW - HOUR, reason: "refresh failed: invalid_grant" },
        },
      },
    });
    expect(r.check.exitCode).toBe(1);
    expect(r.check.reasons).toEqual([
      expect.stringMatching(/^anthropic:me@example\.com: needs re-authentication/),
    ]);
    const problem = r.problems.find((p) => p.profileId === "anthropic:me@example.com");
    expect(problem?.fix).toBe("tessera models auth login --provider anthropic");
  });

  it("points a Claude Code credential that needs re-auth at `claude`", () => {
    const r = report({
      profiles: { "anthropic:claude-cli": oauth(NOW - HOUR, { origin: "claude-code" }) },
      usage: { "anthropic:claude-cli": { needsReauth: { at: NOW, reason: "401" } } },
    });
    expect(r.check.exitCode).toBe(1);
    expect(r.problems.find((p) => p.profileId === "anthropic:claude-cli")?.fix).toMatch(/run `claude`/);
  });

  it("1 for a needs-reauth profile outside the order (a session can still pin it), with its own fix", () => {
    const r = report({
      profiles: {
        "anthropic:default": apiKey(),
        "anthropic:claude-cli": oauth(NOW + DAY, { origin: "claude-code" }),
      },
      usage: { "anthropic:claude-cli": { needsReauth: { at: NOW, reason: "invalid_grant" } } },
      config: { auth: { order: { anthropic: ["anthropic:default"] } } },
    });
    expect(providerOf(r, "anthropic").next).toBe("anthropic:default");
    expect(r.check.exitCode).toBe(1);
    const problem = r.problems.find((p) => p.profileId === "anthropic:claude-cli");
    expect(problem?.what).toMatch(/not in the order/);
    expect(problem?.fix).toMatch(/run `claude` and log in again/);
  });

  it("points a Claude-Code-only refusal at an API key — never at a new login or setup-token", () => {
    const refused = {
      needsReauth: {
        at: NOW,
        reason: "Anthropic accepts this credential only from Claude Code",
        kind: "claude_code_only" as const,
      },
    };
    const apiKeyFix =
      /^use an Anthropic API key for this gateway: tessera models auth paste-api-key --provider anthropic/;
    const badAdvice = /paste-token|auth login|log in again|run `claude/;
    // The Claude Code slot, a pasted setup-token and an oauth login: one fix for all three.
    const r = report({
      profiles: {
        "anthropic:claude-cli": oauth(NOW + DAY, { origin: "claude-code" }),
        "anthropic:sub": token(undefined),
        "anthropic:me": oauth(NOW + DAY),
      },
      usage: { "anthropic:claude-cli": refused, "anthropic:sub": refused, "anthropic:me": refused },
    });
    expect(r.check.exitCode).toBe(1);
    for (const id of ["anthropic:claude-cli", "anthropic:sub", "anthropic:me"]) {
      const problem = r.problems.find((p) => p.profileId === id);
      expect(problem?.what).toBe(`${id}: refused: Anthropic accepts this credential only from Claude Code`);
      expect(problem?.fix).toMatch(apiKeyFix);
      expect(problem?.fix).not.toMatch(badAdvice);
    }
    // Nothing usable is left: the provider's own problem gives the same fix, not "setup-token".
    const none = r.problems.find((p) => p.provider === "anthropic" && p.profileId === undefined);
    expect(none?.what).toMatch(/no usable credential/);
    expect(none?.fix).toMatch(apiKeyFix);
    expect(none?.fix).not.toMatch(badAdvice);

    // Outside the order, too.
    const excluded = report({
      profiles: {
        "anthropic:default": apiKey(),
        "anthropic:claude-cli": oauth(NOW + DAY, { origin: "claude-code" }),
      },
      usage: { "anthropic:claude-cli": refused },
      config: { auth: { order: { anthropic: ["anthropic:default"] } } },
    });
    const problem = excluded.problems.find((p) => p.profileId === "anthropic:claude-cli");
    expect(problem?.what).toMatch(/^anthropic:claude-cli: refused: .*not in the order/);
    expect(problem?.fix).toMatch(apiKeyFix);
  });

  it("0 when only a provider nobody uses has an expired token", () => {
    const r = report({ profiles: { "anthropic:key": apiKey(), "openai:old": token(NOW - DAY, "openai") } });
    expect(providerOf(r, "openai").inUse).toBe(false);
    expect(r.problems.some((p) => p.profileId === "openai:old" && p.exit === 1)).toBe(true);
    expect(r.check).toEqual({ exitCode: 0, reasons: [] });
  });

  it("counts a provider used only by an alias or the allow list", () => {
    const r = report({
      profiles: { "anthropic:key": apiKey(), "openai:old": token(NOW - DAY, "openai") },
      config: { models: { aliases: { gpt: "openai/gpt-5" } } },
    });
    expect(providerOf(r, "openai")).toMatchObject({ inUse: true, usedBy: ["openai/gpt-5"] });
    expect(r.check.exitCode).toBe(1);
  });

  it("1 wins over 2", () => {
    const r = report({
      profiles: { "anthropic:a": token(NOW + HOUR), "anthropic:b": token(NOW - HOUR) },
    });
    expect(r.check.exitCode).toBe(1);
    expect(r.check.reasons).toEqual(["anthropic:b: static token expired 1h ago"]);
  });
});

describe("problems", () => {
  it("each carry a fix", () => {
    const r = report({
      profiles: {
        "anthropic:a": token(NOW - HOUR),
        "anthropic:b": apiKey(),
        "anthropic:c": { type: "api_key", provider: "anthropic", key: "" },
        "anthropic:d": apiKey(),
        "openrouter:x": token(NOW + HOUR, "openrouter"),
      },
      usage: {
        "anthropic:b": { cooldownUntil: NOW + HOUR },
        "anthropic:d": { disabledUntil: NOW + 5 * HOUR, disabledReason: "billing" },
      },
      env: { ...envSnapshotOf({}), shellImported: [], shellError: "login-shell import failed: timed out" },
      config: { models: { default: "openai/gpt-5" } },
    });
    expect(r.problems.length).toBeGreaterThanOrEqual(6);
    for (const problem of r.problems) expect(problem.fix.trim(), problem.what).not.toBe("");
    expect(r.problems.find((p) => p.what.includes("timed out"))?.fix).toMatch(/env\.shellEnv\.timeoutMs/);
    expect(r.problems.find((p) => p.profileId === "anthropic:b")).toMatchObject({ severity: "info" });
    expect(r.problems.find((p) => p.profileId === "anthropic:d")?.fix).toMatch(/billing/);
    expect(r.problems.find((p) => p.profileId === "anthropic:c")?.fix).toMatch(
      /paste-api-key --provider anthropic --profile-id anthropic:c/,
    );
    expect(r.problems.find((p) => p.provider === "openai")?.fix).toMatch(/--provider openai/);
  });

  it("name the variable to replace for an environment credential", () => {
    const r = report({
      env: envSnapshotOf({ ANTHROPIC_API_KEY: fakeSecret("sk-ant-api03-") }, "shell"),
      usage: { "env:ANTHROPIC_API_KEY": { needsReauth: { at: NOW, reason: "401 invalid x-api-key" } } },
    });
    expect(r.check.exitCode).toBe(1);
    expect(r.problems.find((p) => p.profileId === "env:ANTHROPIC_API_KEY")?.fix).toBe(
      "replace ANTHROPIC_API_KEY in the environment or <state>/.env",
    );
  });

  it("do not count a blank environment variable as a credential", () => {
    const r = report({ env: envSnapshotOf({ ANTHROPIC_API_KEY: "   " }) });
    expect(providerOf(r, "anthropic").profiles).toEqual([]);
    expect(r.check.exitCode).toBe(1);
  });
});

describe("the report", () => {
  it("has the fields PRODUCT §6.1 names for --json", () => {
    const r = report({
      profiles: { "anthropic:manual": token(NOW + 3 * DAY), "anthropic:key": apiKey() },
      env: envSnapshotOf({ OPENAI_API_KEY: fakeSecret("sk-proj-") }, "shell"),
    });
    const json = JSON.parse(JSON.stringify(r));
    expect(json).toMatchObject({
      agent: "main",
      storePath: "/state/agents/main/agent/auth-profiles.json",
      defaultModel: "anthropic/claude-sonnet-4-5",
      check: { exitCode: 0, reasons: [] },
    });
    expect(json.providers.map((p: { provider: string }) => p.provider)).toEqual(["anthropic", "openai"]);
    const anthropic = json.providers[0];
    expect(anthropic).toMatchObject({ provider: "anthropic", inUse: true, next: "anthropic:manual" });
    expect(anthropic.endpoint).toBe("https://api.anthropic.com/v1/messages");
    expect(anthropic.profiles[0]).toEqual(
      expect.objectContaining({
        id: "anthropic:manual",
        type: "token",
        state: "ok",
        expiresAt: NOW + 3 * DAY,
        expires: "expires in 3d",
        source: "store",
        masked: expect.stringMatching(/^….{4} #[0-9a-f]{6}$/),
        next: true,
      }),
    );
    expect(anthropic.profiles[1]).toMatchObject({
      id: "anthropic:key",
      expiresAt: null,
      expires: null,
      next: false,
    });
    const openai = json.providers[1];
    expect(openai).toMatchObject({ inUse: false, next: "env:OPENAI_API_KEY" });
    expect(openai.profiles[0].source).toBe("shell env: OPENAI_API_KEY");
  });

  it("contains no secret, in any field", () => {
    const profiles: Record<string, Credential> = {
      "anthropic:oauth": oauth(NOW - HOUR),
      "anthropic:manual": token(NOW + HOUR),
      "anthropic:expired": token(NOW - HOUR),
      "anthropic:key": apiKey(),
      "openai:default": apiKey("openai"),
    };
    const envValues = {
      ANTHROPIC_OAUTH_TOKEN: fakeSecret("sk-ant-oat01-", 100),
      OPENROUTER_API_KEY: fakeSecret("sk-or-v1-"),
    };
    const r = report({
      profiles,
      env: envSnapshotOf(envValues),
      usage: { "anthropic:key": { cooldownUntil: NOW + HOUR } },
      pin: "anthropic:manual",
    });
    expectNoSecretIn(JSON.stringify(r), [
      ...Object.values(profiles).flatMap((c) => allSecretsOf(c)),
      ...Object.values(envValues),
    ]);
  });

  it("applies a session pin to its own provider only (chat view)", () => {
    const r = report({
      profiles: {
        "anthropic:key": apiKey(),
        "anthropic:manual": token(undefined),
        "openai:default": apiKey("openai"),
      },
      pin: "anthropic:key",
    });
    expect(providerOf(r, "anthropic")).toMatchObject({
      next: "anthropic:key",
      failover: false,
      orderSource: "pin",
    });
    expect(providerOf(r, "anthropic").profiles[0]).toMatchObject({ id: "anthropic:key", pinned: true });
    expect(providerOf(r, "openai")).toMatchObject({
      failover: true,
      orderSource: "default",
      pinProblem: null,
    });
  });

  it("says when the session's pinned profile no longer exists, with the fix", () => {
    const r = report({ profiles: { "anthropic:key": apiKey() }, pin: "anthropic:gone" });
    const anthropic = providerOf(r, "anthropic");
    expect(anthropic.pinProblem).toMatch(/anthropic:gone no longer exists/);
    expect(anthropic.next).toBe("anthropic:key");
    const problem = r.problems.find((p) => p.what.includes("anthropic:gone"));
    expect(problem).toMatchObject({ severity: "warning", fix: expect.stringMatching(/\/model reset/) });
    expect(problem?.exit).toBeUndefined();
  });

  it("lists providers in use first, then the others by name", () => {
    const r = report({
      profiles: {
        "openrouter:x": apiKey("openrouter"),
        "openai:y": apiKey("openai"),
        "anthropic:z": apiKey(),
      },
      config: { models: { default: "openrouter/openai/gpt-5", aliases: {} } },
    });
    expect(r.providers.map((p) => [p.provider, p.inUse])).toEqual([
      ["openrouter", true],
      ["anthropic", false],
      ["openai", false],
    ]);
  });

  it("shows a provider known only from a stored profile, without an endpoint", () => {
    const r = report({ profiles: { "anthropic:k": apiKey(), "mystery:x": apiKey("mystery") } });
    expect(providerOf(r, "mystery")).toMatchObject({ endpoint: null, inUse: false, next: "mystery:x" });
  });

  it("reports the shell import", () => {
    const env: EnvSnapshot = { ...envSnapshotOf({}), shellImported: ["OPENAI_API_KEY"] };
    const r = report({ env, config: { env: { shellEnv: { enabled: true } } } });
    expect(r.shellEnv).toEqual({ enabled: true, imported: ["OPENAI_API_KEY"], error: undefined });
  });
});
