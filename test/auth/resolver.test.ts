import { describe, expect, it } from "vitest";
import type { ProfileUsage } from "../../src/auth/auth-state.js";
import type { AuthSnapshot } from "../../src/auth/auth-store.js";
import type { Credential } from "../../src/auth/credentials.js";
import {
  type Candidate,
  credentialOf,
  judge,
  type ResolveInput,
  resolveCandidates,
} from "../../src/auth/resolver.js";
import { envSnapshotOf } from "../../src/config/env.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WARN = DAY;

const apiKey = (key = fakeSecret("sk-ant-api03-")): Credential => ({
  type: "api_key",
  provider: "anthropic",
  key,
});
const token = (expires?: number, value = fakeSecret("sk-ant-oat01-", 100)): Credential => ({
  type: "token",
  provider: "anthropic",
  token: value,
  ...(expires === undefined ? {} : { expires }),
});
const oauth = (expires: number, refresh = fakeSecret("sk-ant-ort01-")): Credential => ({
  type: "oauth",
  provider: "anthropic",
  access: fakeSecret("sk-ant-oat01-", 100),
  refresh,
  expires,
});
const openaiKey = (): Credential => ({ type: "api_key", provider: "openai", key: fakeSecret("sk-proj-") });

interface Setup {
  profiles?: Record<string, Credential>;
  order?: Record<string, string[]>;
  usage?: Record<string, Partial<ProfileUsage>>;
  lastGood?: Record<string, string>;
  configOrder?: Record<string, string[]>;
  env?: Record<string, string>;
  envOrigin?: "process" | "shell";
  pin?: string;
  provider?: string;
  now?: number;
}

function inputOf(setup: Setup): ResolveInput {
  const usage: Record<string, ProfileUsage> = {};
  for (const [id, u] of Object.entries(setup.usage ?? {})) usage[id] = { failureCounts: {}, ...u };
  const auth: AuthSnapshot = {
    profiles: { version: 1, profiles: setup.profiles ?? {}, order: setup.order ?? {} },
    state: { version: 1, usage, lastGood: setup.lastGood ?? {}, notified: {} },
  };
  return {
    provider: setup.provider ?? "anthropic",
    auth,
    config: ConfigSchema.parse({ auth: { order: setup.configOrder ?? {} } }),
    env: envSnapshotOf(setup.env ?? {}, setup.envOrigin),
    pin: setup.pin,
    now: setup.now ?? NOW,
    warnWithinMs: WARN,
  };
}

const resolve = (setup: Setup) => resolveCandidates(inputOf(setup));
const ids = (candidates: Candidate[]) => candidates.map((c) => c.id);
const byId = (candidates: Candidate[], id: string) => candidates.find((c) => c.id === id)!;

describe("the session pin", () => {
  const profiles = {
    "anthropic:oauth": oauth(NOW + 7 * DAY),
    "anthropic:key": apiKey(),
    "anthropic:other": apiKey(),
  };

  it("comes first, even against the default order, and never fails over", () => {
    const r = resolve({ profiles, pin: "anthropic:key" });
    expect(ids(r.candidates)[0]).toBe("anthropic:key");
    expect(r.candidates[0]).toMatchObject({ pinned: true, state: "ok", usable: true });
    expect(r.next?.id).toBe("anthropic:key");
    expect(r.failover).toBe(false);
    expect(r.orderSource).toBe("pin");
    expect(r.nextReason).toMatch(/pinned/);
    expect(r.pinProblem).toBeUndefined();
    // The others are still listed (for status views), after the pin.
    expect(ids(r.candidates).slice(1)).toEqual(["anthropic:oauth", "anthropic:other"]);
    expect(r.candidates.slice(1).every((c) => !c.pinned)).toBe(true);
  });

  it("is honoured through a cooldown (the user chose it)", () => {
    const r = resolve({
      profiles,
      pin: "anthropic:key",
      usage: { "anthropic:key": { cooldownUntil: NOW + 5 * MINUTE } },
    });
    expect(r.next?.id).toBe("anthropic:key");
    expect(r.next?.state).toBe("cooldown");
    expect(r.failover).toBe(false);
    expect(r.nextReason).toMatch(/despite cooldown/);
    expect(r.nextReason).toMatch(/never fails over/);
  });

  it("is honoured through a billing pause", () => {
    const r = resolve({
      profiles,
      pin: "anthropic:key",
      usage: { "anthropic:key": { disabledUntil: NOW + 5 * HOUR, disabledReason: "billing" } },
    });
    expect(r.next?.id).toBe("anthropic:key");
    expect(r.next?.state).toBe("disabled");
  });

  it.each([
    ["expired", { "anthropic:pin": token(NOW - HOUR) }, {}],
    [
      "needs-reauth",
      { "anthropic:pin": oauth(NOW - HOUR) },
      { "anthropic:pin": { needsReauth: { at: NOW, reason: "refresh failed: invalid_grant" } } },
    ],
    ["missing", { "anthropic:pin": apiKey("") }, {}],
  ] as const)("gives no next when the pinned credential is %s, and says why", (state, pinned, usage) => {
    const r = resolve({ profiles: { ...pinned, "anthropic:key": apiKey() }, pin: "anthropic:pin", usage });
    expect(r.candidates[0]).toMatchObject({ id: "anthropic:pin", state, usable: false, pinned: true });
    expect(r.next).toBeUndefined();
    expect(r.failover).toBe(false);
    expect(r.nextReason).toContain("anthropic:pin");
    expect(r.nextReason).toContain(state);
    expect(r.nextReason).toMatch(/\/model reset/);
  });

  it("reports a pin of another provider and falls back to the normal order", () => {
    const r = resolve({ profiles: { ...profiles, "openai:default": openaiKey() }, pin: "openai:default" });
    expect(r.pinProblem).toMatch(/openai:default is for openai, not anthropic/);
    expect(r.failover).toBe(true);
    expect(r.orderSource).toBe("default");
    expect(r.next?.id).toBe("anthropic:oauth");
    expect(r.candidates.some((c) => c.pinned)).toBe(false);
  });

  it("reports a pin whose profile no longer exists", () => {
    const r = resolve({ profiles, pin: "anthropic:gone" });
    expect(r.pinProblem).toMatch(/anthropic:gone no longer exists/);
    expect(r.next?.id).toBe("anthropic:oauth");
  });

  it("does not take a property of Object.prototype for a profile", () => {
    const r = resolve({ profiles, pin: "constructor" });
    expect(r.pinProblem).toMatch(/constructor no longer exists/);
    expect(r.next?.id).toBe("anthropic:oauth");
  });

  it("stays first when an explicit order leaves it out, without being listed as excluded", () => {
    const r = resolve({ profiles, order: { anthropic: ["anthropic:other"] }, pin: "anthropic:key" });
    expect(ids(r.candidates)).toEqual(["anthropic:key", "anthropic:other"]);
    expect(r.excluded.map((e) => e.id)).toEqual(["anthropic:oauth"]);
  });
});

describe("explicit orders", () => {
  const profiles = {
    "anthropic:a": apiKey(),
    "anthropic:b": apiKey(),
    "anthropic:c": oauth(NOW + 7 * DAY),
  };

  it("uses the agent's order override over config auth.order", () => {
    const r = resolve({
      profiles,
      order: { anthropic: ["anthropic:b", "anthropic:a"] },
      configOrder: { anthropic: ["anthropic:a", "anthropic:c"] },
    });
    expect(r.orderSource).toBe("agent order");
    expect(ids(r.candidates)).toEqual(["anthropic:b", "anthropic:a"]);
    expect(r.next?.id).toBe("anthropic:b");
    expect(r.nextReason).toMatch(/agent's order override/);
    expect(r.failover).toBe(true);
  });

  it("uses config auth.order when the agent has none, keeping its sequence over type ranking", () => {
    const r = resolve({ profiles, configOrder: { anthropic: ["anthropic:a", "anthropic:c"] } });
    expect(r.orderSource).toBe("config order");
    expect(ids(r.candidates)).toEqual(["anthropic:a", "anthropic:c"]);
    expect(r.nextReason).toMatch(/config auth\.order/);
  });

  it("excludes stored profiles the order leaves out, with the reason and the fix", () => {
    const agent = resolve({ profiles, order: { anthropic: ["anthropic:a"] } });
    expect(agent.excluded).toEqual([
      { id: "anthropic:b", reason: expect.stringMatching(/not in the agent's order override.*order set/) },
      { id: "anthropic:c", reason: expect.stringMatching(/not in the agent's order override/) },
    ]);
    const config = resolve({ profiles, configOrder: { anthropic: ["anthropic:c"] } });
    expect(config.excluded.map((e) => e.id)).toEqual(["anthropic:a", "anthropic:b"]);
    expect(config.excluded[0]?.reason).toMatch(/not in config auth\.order.*auth\.order\.anthropic/);
  });

  it("excludes listed ids that are not stored or belong to another provider", () => {
    const r = resolve({
      profiles: { ...profiles, "openai:default": openaiKey() },
      order: { anthropic: ["anthropic:gone", "openai:default", "anthropic:a", "anthropic:a"] },
    });
    expect(ids(r.candidates)).toEqual(["anthropic:a"]);
    expect(r.excluded).toContainEqual({ id: "anthropic:gone", reason: expect.stringMatching(/not stored/) });
    expect(r.excluded).toContainEqual({
      id: "openai:default",
      reason: expect.stringMatching(/openai profile/),
    });
  });

  it("moves unusable listed profiles to the end and skips them", () => {
    const r = resolve({
      profiles,
      order: { anthropic: ["anthropic:a", "anthropic:b", "anthropic:c"] },
      usage: { "anthropic:a": { cooldownUntil: NOW + MINUTE } },
    });
    expect(ids(r.candidates)).toEqual(["anthropic:b", "anthropic:c", "anthropic:a"]);
    expect(r.next?.id).toBe("anthropic:b");
    expect(r.nextReason).toMatch(/skipped anthropic:a \(cooldown\)/);
  });
});

describe("default order", () => {
  it("puts oauth before token before api_key, whatever the ids or insertion order", () => {
    const r = resolve({
      profiles: {
        "anthropic:a-key": apiKey(),
        "anthropic:b-token": token(),
        "anthropic:c-oauth": oauth(NOW + 7 * DAY),
      },
    });
    expect(ids(r.candidates)).toEqual(["anthropic:c-oauth", "anthropic:b-token", "anthropic:a-key"]);
    expect(r.orderSource).toBe("default");
    expect(r.nextReason).toMatch(/default order/);
    expect(r.excluded).toEqual([]);
  });

  it("breaks ties by least recently used (never used first)", () => {
    const r = resolve({
      profiles: { "anthropic:x": apiKey(), "anthropic:y": apiKey(), "anthropic:z": apiKey() },
      usage: { "anthropic:x": { lastUsed: NOW - MINUTE }, "anthropic:y": { lastUsed: NOW - HOUR } },
    });
    expect(ids(r.candidates)).toEqual(["anthropic:z", "anthropic:y", "anthropic:x"]);
  });

  it("puts lastGood first among equals, but not ahead of a less recently used one", () => {
    const equal = resolve({
      profiles: { "anthropic:x": apiKey(), "anthropic:y": apiKey() },
      lastGood: { anthropic: "anthropic:y" },
    });
    expect(ids(equal.candidates)).toEqual(["anthropic:y", "anthropic:x"]);
    const lru = resolve({
      profiles: { "anthropic:x": apiKey(), "anthropic:y": apiKey() },
      usage: { "anthropic:x": { lastUsed: NOW - HOUR }, "anthropic:y": { lastUsed: NOW - MINUTE } },
      lastGood: { anthropic: "anthropic:y" },
    });
    expect(ids(lru.candidates)).toEqual(["anthropic:x", "anthropic:y"]);
  });

  it("ignores other providers' profiles and lastGood", () => {
    const r = resolve({
      profiles: { "anthropic:x": apiKey(), "openai:default": openaiKey() },
      lastGood: { openai: "openai:default" },
    });
    expect(ids(r.candidates)).toEqual(["anthropic:x"]);
  });

  it("puts cooldown, disabled, needs-reauth, expired and missing last with reasons, and skips them", () => {
    const r = resolve({
      profiles: {
        "anthropic:1-reauth": oauth(NOW + DAY * 2),
        "anthropic:2-expired": token(NOW - DAY),
        "anthropic:3-cooldown": apiKey(),
        "anthropic:4-disabled": apiKey(),
        "anthropic:5-missing": apiKey(""),
        "anthropic:6-good": apiKey(),
      },
      usage: {
        "anthropic:1-reauth": { needsReauth: { at: NOW - HOUR, reason: "refresh failed: invalid_grant" } },
        "anthropic:3-cooldown": { cooldownUntil: NOW + 4 * MINUTE + 30_000 },
        "anthropic:4-disabled": { disabledUntil: NOW + 5 * HOUR, disabledReason: "billing" },
      },
    });
    expect(ids(r.candidates)).toEqual([
      "anthropic:6-good",
      "anthropic:1-reauth",
      "anthropic:2-expired",
      "anthropic:3-cooldown",
      "anthropic:4-disabled",
      "anthropic:5-missing",
    ]);
    expect(r.next?.id).toBe("anthropic:6-good");
    const c = r.candidates;
    expect(byId(c, "anthropic:1-reauth")).toMatchObject({ state: "needs-reauth", usable: false });
    expect(byId(c, "anthropic:1-reauth").reason).toMatch(/re-authentication.*invalid_grant/);
    expect(byId(c, "anthropic:2-expired")).toMatchObject({ state: "expired", usable: false });
    expect(byId(c, "anthropic:2-expired").reason).toMatch(/expired 24h ago/);
    expect(byId(c, "anthropic:3-cooldown")).toMatchObject({ state: "cooldown", usable: false });
    expect(byId(c, "anthropic:3-cooldown").reason).toMatch(/rate limited; cooldown 4m left/);
    expect(byId(c, "anthropic:4-disabled")).toMatchObject({ state: "disabled", usable: false });
    expect(byId(c, "anthropic:4-disabled").reason).toMatch(/billing.*5h/);
    expect(byId(c, "anthropic:5-missing")).toMatchObject({ state: "missing", usable: false });
    expect(r.nextReason).toMatch(/skipped anthropic:1-reauth \(needs-reauth\)/);
  });

  it("treats a cooldown or pause that ends exactly now as over", () => {
    const r = resolve({
      profiles: { "anthropic:x": apiKey(), "anthropic:y": apiKey() },
      usage: { "anthropic:x": { cooldownUntil: NOW }, "anthropic:y": { disabledUntil: NOW } },
    });
    expect(r.candidates.map((c) => c.state)).toEqual(["ok", "ok"]);
  });

  it("has no next and says why when nothing is usable", () => {
    const r = resolve({ profiles: { "anthropic:x": token(NOW - HOUR) } });
    expect(r.next).toBeUndefined();
    expect(r.nextReason).toMatch(/no usable credential: anthropic:x is expired/);
    expect(resolve({}).nextReason).toBe("no credential for anthropic");
  });
});

describe("environment candidates", () => {
  const env = {
    ANTHROPIC_API_KEY: fakeSecret("sk-ant-api03-"),
    CLAUDE_CODE_OAUTH_TOKEN: fakeSecret("sk-ant-oat01-", 100),
    ANTHROPIC_OAUTH_TOKEN: fakeSecret("sk-ant-oat01-", 100),
    OPENAI_API_KEY: fakeSecret("sk-proj-"),
  };

  it("come after stored profiles: ANTHROPIC_OAUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN as tokens, then ANTHROPIC_API_KEY", () => {
    const r = resolve({ profiles: { "anthropic:key": apiKey() }, env });
    expect(r.candidates.map((c) => [c.id, c.kind, c.type, c.source])).toEqual([
      ["anthropic:key", "profile", "api_key", "store"],
      ["env:ANTHROPIC_OAUTH_TOKEN", "env", "token", "env: ANTHROPIC_OAUTH_TOKEN"],
      ["env:CLAUDE_CODE_OAUTH_TOKEN", "env", "token", "env: CLAUDE_CODE_OAUTH_TOKEN"],
      ["env:ANTHROPIC_API_KEY", "env", "api_key", "env: ANTHROPIC_API_KEY"],
    ]);
    expect(r.next?.id).toBe("anthropic:key");
  });

  it("come after stored profiles in an explicit order too", () => {
    const r = resolve({
      profiles: { "anthropic:key": apiKey(), "anthropic:tok": token() },
      configOrder: { anthropic: ["anthropic:key"] },
      env: { ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY },
    });
    expect(ids(r.candidates)).toEqual(["anthropic:key", "env:ANTHROPIC_API_KEY"]);
  });

  it("are labelled `shell env: NAME` when the login shell supplied them", () => {
    const r = resolve({ env: { ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY }, envOrigin: "shell" });
    expect(r.candidates[0]?.source).toBe("shell env: ANTHROPIC_API_KEY");
  });

  it("are used when no stored profile is usable, ahead of the unusable ones", () => {
    const r = resolve({
      profiles: { "anthropic:old": token(NOW - HOUR) },
      env: { ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY },
    });
    expect(ids(r.candidates)).toEqual(["env:ANTHROPIC_API_KEY", "anthropic:old"]);
    expect(r.next?.id).toBe("env:ANTHROPIC_API_KEY");
    expect(r.nextReason).toMatch(/using the environment; skipped anthropic:old \(expired\)/);
  });

  it("are only the provider's own variables", () => {
    const r = resolve({ provider: "openai", env });
    expect(r.candidates.map((c) => c.source)).toEqual(["env: OPENAI_API_KEY"]);
    expect(resolve({ provider: "openrouter", env }).candidates).toEqual([]);
  });

  it("carry the environment value as their credential", () => {
    const r = resolve({ env });
    const tokenCandidate = byId(r.candidates, "env:CLAUDE_CODE_OAUTH_TOKEN");
    expect(credentialOf(tokenCandidate)).toEqual({
      type: "token",
      provider: "anthropic",
      token: env.CLAUDE_CODE_OAUTH_TOKEN,
    });
    expect(credentialOf(byId(r.candidates, "env:ANTHROPIC_API_KEY"))).toMatchObject({
      key: env.ANTHROPIC_API_KEY,
    });
  });
});

describe("states at the boundaries (now fixed, warn window 24h)", () => {
  const stateOf = (credential: Credential, usage?: Partial<ProfileUsage>) =>
    judge(credential, usage && { failureCounts: {}, ...usage }, NOW, WARN);

  it("static token: expiring exactly at the warn window's edge, ok just outside it", () => {
    expect(stateOf(token(NOW + WARN)).state).toBe("expiring");
    expect(stateOf(token(NOW + WARN + 1)).state).toBe("ok");
    expect(stateOf(token(NOW + 1)).state).toBe("expiring");
    expect(stateOf(token(NOW + WARN)).reason).toMatch(/expires in 24h; cannot refresh itself/);
  });

  it("static token: expired exactly at now", () => {
    const judged = stateOf(token(NOW));
    expect(judged.state).toBe("expired");
    expect(judged.canRefresh).toBe(false);
    expect(stateOf(token(NOW - 1)).state).toBe("expired");
  });

  it("static token without expiry and api key: ok", () => {
    expect(stateOf(token()).state).toBe("ok");
    expect(stateOf(apiKey()).state).toBe("ok");
  });

  it("oauth with a refresh token: refreshable within the window or expired, ok outside it", () => {
    for (const expires of [NOW + WARN, NOW + 1, NOW, NOW - DAY]) {
      const judged = stateOf(oauth(expires));
      expect(judged, `expires ${expires - NOW}`).toMatchObject({ state: "refreshable", canRefresh: true });
    }
    expect(stateOf(oauth(NOW + WARN + 1))).toMatchObject({ state: "ok", canRefresh: true });
  });

  it("refreshable counts as usable; needs-reauth does not", () => {
    const r = resolve({
      profiles: { "anthropic:a": oauth(NOW - HOUR), "anthropic:b": oauth(NOW - HOUR) },
      usage: { "anthropic:a": { needsReauth: { at: NOW, reason: "401 after refresh" } } },
    });
    expect(byId(r.candidates, "anthropic:b")).toMatchObject({ state: "refreshable", usable: true });
    expect(byId(r.candidates, "anthropic:a")).toMatchObject({
      state: "needs-reauth",
      usable: false,
      canRefresh: false,
    });
    expect(r.next?.id).toBe("anthropic:b");
  });

  it("oauth whose refresh token is empty is judged like a static token", () => {
    expect(stateOf(oauth(NOW, "")).state).toBe("expired");
    expect(stateOf(oauth(NOW + HOUR, "")).state).toBe("expiring");
  });

  it("oauth with an empty access token but a refresh token can still refresh", () => {
    const credential: Credential = {
      type: "oauth",
      provider: "anthropic",
      access: "",
      refresh: "rt-x",
      expires: NOW,
    };
    expect(stateOf(credential).state).toBe("refreshable");
  });

  it("empty secrets are missing", () => {
    expect(stateOf(apiKey("")).state).toBe("missing");
    expect(stateOf(apiKey("   ")).state).toBe("missing");
    expect(stateOf(token(undefined, "")).state).toBe("missing");
  });

  it("an expired static token stays expired whatever cooldown it also has", () => {
    expect(stateOf(token(NOW - 1), { cooldownUntil: NOW + HOUR }).state).toBe("expired");
  });

  it("a refreshable oauth in cooldown is in cooldown", () => {
    expect(stateOf(oauth(NOW - 1), { cooldownUntil: NOW + HOUR }).state).toBe("cooldown");
  });
});

describe("secrets", () => {
  it("never appear in the resolution's enumerable fields, while credentialOf gives each credential", () => {
    const stored = {
      "anthropic:oauth": oauth(NOW - HOUR),
      "anthropic:token": token(NOW + HOUR),
      "anthropic:key": apiKey(),
    };
    const env = {
      ANTHROPIC_API_KEY: fakeSecret("sk-ant-api03-"),
      CLAUDE_CODE_OAUTH_TOKEN: fakeSecret("sk-ant-oat01-", 100),
    };
    const r = resolve({ profiles: stored, env, pin: "anthropic:token" });
    const secrets = [
      ...Object.values(stored).flatMap((c) =>
        c.type === "oauth" ? [c.access, c.refresh] : [c.type === "token" ? c.token : c.key],
      ),
      ...Object.values(env),
    ];
    expectNoSecretIn(JSON.stringify(r), secrets);
    expectNoSecretIn(JSON.stringify(r.candidates.map((c) => ({ ...c }))), secrets);
    for (const [id, credential] of Object.entries(stored)) {
      expect(credentialOf(byId(r.candidates, id))).toBe(credential);
    }
    expect(credentialOf(byId(r.candidates, "env:ANTHROPIC_API_KEY"))).toMatchObject({
      key: env.ANTHROPIC_API_KEY,
    });
  });

  it("masks with the last 4 characters and a fingerprint at most", () => {
    const key = fakeSecret("sk-ant-api03-");
    const r = resolve({ profiles: { "anthropic:key": apiKey(key) } });
    expect(r.candidates[0]?.masked).toMatch(new RegExp(`^…${key.slice(-4)} #[0-9a-f]{6}$`));
  });

  it("credentialOf refuses a copy of a candidate (the credential is not in its fields)", () => {
    const r = resolve({ profiles: { "anthropic:key": apiKey() } });
    expect(() => credentialOf({ ...r.candidates[0]! })).toThrow(/no credential attached/);
  });
});

describe("purity", () => {
  it("does not change the snapshot it is given", () => {
    const input = inputOf({
      profiles: { "anthropic:a": apiKey(), "anthropic:b": oauth(NOW - HOUR) },
      order: { anthropic: ["anthropic:b"] },
      usage: { "anthropic:a": { cooldownUntil: NOW + HOUR } },
      pin: "anthropic:a",
    });
    const before = structuredClone(input.auth);
    resolveCandidates(input);
    expect(input.auth).toEqual(before);
  });

  it("gives the same answer for the same input", () => {
    const setup: Setup = {
      profiles: { "anthropic:a": apiKey(), "anthropic:b": apiKey(), "anthropic:c": token(NOW + HOUR) },
      usage: { "anthropic:a": { lastUsed: NOW - HOUR } },
    };
    const input = inputOf(setup);
    expect(JSON.stringify(resolveCandidates(input))).toBe(JSON.stringify(resolveCandidates(input)));
  });
});
