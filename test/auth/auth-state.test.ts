import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  applyFailure,
  applySuccess,
  FAILURE_WINDOW_MS,
  type ProfileUsage,
} from "../../src/auth/auth-state.js";
import { AuthStore } from "../../src/auth/auth-store.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 15, 12);
const fresh = (): ProfileUsage => ({ failureCounts: {} });

/** Applies failures of one reason `times` times, `gapMs` apart, starting at T0. */
function failRepeatedly(reason: "rate_limit" | "billing", times: number, gapMs = 1000) {
  let usage = fresh();
  const spans: number[] = [];
  for (let i = 0; i < times; i++) {
    const now = T0 + i * gapMs;
    usage = applyFailure(usage, reason, now);
    spans.push((reason === "billing" ? usage.disabledUntil! : usage.cooldownUntil!) - now);
  }
  return { usage, spans };
}

describe("applyFailure: rate limits", () => {
  it("cools down along 1m → 5m → 25m → 1h, then stays at the 1h cap", () => {
    // Failures far enough apart that each new cooldown is longer than what is left of the last.
    const { spans, usage } = failRepeatedly("rate_limit", 6, 1000);
    expect(spans).toEqual([1 * MIN, 5 * MIN, 25 * MIN, HOUR, HOUR, HOUR]);
    expect(usage.failureCounts).toEqual({ rate_limit: 6 });
    expect(usage.lastFailureAt).toBe(T0 + 5000);
  });

  it("honours retry-after when it is longer than the ladder step", () => {
    const usage = applyFailure(fresh(), "rate_limit", T0, { retryAfterMs: 7 * MIN });
    expect(usage.cooldownUntil).toBe(T0 + 7 * MIN);
  });

  it("ignores a retry-after shorter than the ladder step", () => {
    const usage = applyFailure(fresh(), "rate_limit", T0, { retryAfterMs: 10_000 });
    expect(usage.cooldownUntil).toBe(T0 + MIN);
  });

  it("never shortens an existing cooldown (max of existing and new)", () => {
    const long = applyFailure(fresh(), "rate_limit", T0, { retryAfterMs: 3 * HOUR });
    const later = applyFailure(long, "rate_limit", T0 + MIN);
    expect(later.cooldownUntil).toBe(T0 + 3 * HOUR);
    expect(later.failureCounts.rate_limit).toBe(2);
  });

  it("does not change the input object", () => {
    const before = fresh();
    applyFailure(before, "rate_limit", T0);
    expect(before).toEqual(fresh());
  });
});

describe("applyFailure: counters", () => {
  it("counts per reason", () => {
    let usage = fresh();
    usage = applyFailure(usage, "rate_limit", T0);
    usage = applyFailure(usage, "billing", T0 + 1);
    usage = applyFailure(usage, "rate_limit", T0 + 2);
    usage = applyFailure(usage, "auth", T0 + 3);
    expect(usage.failureCounts).toEqual({ rate_limit: 2, billing: 1, auth: 1 });
  });

  it("a billing failure does not advance the rate-limit ladder", () => {
    let usage = applyFailure(fresh(), "billing", T0);
    usage = applyFailure(usage, "rate_limit", T0 + 1);
    expect(usage.cooldownUntil).toBe(T0 + 1 + MIN);
  });

  it("resets after 24h without a failure, and not before", () => {
    let usage = failRepeatedly("rate_limit", 3).usage; // last failure at T0 + 2s
    const last = usage.lastFailureAt!;
    const within = applyFailure(usage, "rate_limit", last + FAILURE_WINDOW_MS);
    expect(within.failureCounts).toEqual({ rate_limit: 4 });
    usage = applyFailure(usage, "billing", last + FAILURE_WINDOW_MS + 1);
    expect(usage.failureCounts).toEqual({ billing: 1 });
    expect(usage.disabledUntil).toBe(last + FAILURE_WINDOW_MS + 1 + 5 * HOUR);
  });

  it("restarts the ladder at 1m after the reset", () => {
    const usage = failRepeatedly("rate_limit", 4).usage;
    const now = usage.lastFailureAt! + FAILURE_WINDOW_MS + MIN;
    expect(applyFailure(usage, "rate_limit", now).cooldownUntil).toBe(now + MIN);
  });
});

describe("applyFailure: billing and auth", () => {
  it("disables for 5h, doubling to a 24h cap", () => {
    const { spans, usage } = failRepeatedly("billing", 6, 1000);
    expect(spans).toEqual([5 * HOUR, 10 * HOUR, 20 * HOUR, 24 * HOUR, 24 * HOUR, 24 * HOUR]);
    expect(usage.disabledReason).toBe("billing");
    expect(usage.cooldownUntil).toBeUndefined();
  });

  it("never shortens an existing disable", () => {
    const usage = applyFailure({ ...fresh(), disabledUntil: T0 + 100 * HOUR }, "billing", T0);
    expect(usage.disabledUntil).toBe(T0 + 100 * HOUR);
  });

  it("an auth failure marks needs-reauth with the reason, and sets no cooldown", () => {
    const usage = applyFailure(fresh(), "auth", T0, { message: "invalid bearer token" });
    expect(usage.needsReauth).toEqual({ at: T0, reason: "invalid bearer token", kind: "auth" });
    expect(usage.cooldownUntil).toBeUndefined();
    expect(usage.disabledUntil).toBeUndefined();
    expect(applyFailure(fresh(), "auth", T0).needsReauth?.reason).toBeTruthy();
  });

  it("a Claude-Code-only refusal is an auth failure whose mark says so, counted with the auth failures", () => {
    const usage = applyFailure(fresh(), "auth", T0, {
      message: "Anthropic accepts this credential only from Claude Code",
      kind: "claude_code_only",
    });
    expect(usage.needsReauth).toEqual({
      at: T0,
      reason: "Anthropic accepts this credential only from Claude Code",
      kind: "claude_code_only",
    });
    // The counters keep the keys every version of Tessera reads.
    expect(usage.failureCounts).toEqual({ auth: 1 });
  });
});

describe("applySuccess", () => {
  it("clears cooldown, disabled and needs-reauth marks but keeps the counters", () => {
    let usage = fresh();
    usage = applyFailure(usage, "rate_limit", T0);
    usage = applyFailure(usage, "billing", T0 + 1);
    usage = applyFailure(usage, "auth", T0 + 2, { message: "x" });
    const ok = applySuccess(usage, T0 + HOUR);
    expect(ok.cooldownUntil).toBeUndefined();
    expect(ok.disabledUntil).toBeUndefined();
    expect(ok.disabledReason).toBeUndefined();
    expect(ok.needsReauth).toBeUndefined();
    expect(ok.lastUsed).toBe(T0 + HOUR);
    expect(ok.failureCounts).toEqual({ rate_limit: 1, billing: 1, auth: 1 });
    expect(ok.lastFailureAt).toBe(T0 + 2);
  });

  it("so a flapping key keeps climbing the ladder", () => {
    let usage = applyFailure(fresh(), "rate_limit", T0);
    usage = applySuccess(usage, T0 + 2 * MIN);
    usage = applyFailure(usage, "rate_limit", T0 + 3 * MIN);
    expect(usage.cooldownUntil).toBe(T0 + 3 * MIN + 5 * MIN);
  });
});

describe("AuthStore.markFailure / markSuccess", () => {
  let stateDir: string;
  let store: AuthStore;
  const who = { actor: "test", surface: "test" };
  const key = fakeSecret("sk-ant-api03-");

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "tessera-authstate-"));
    store = new AuthStore(stateDir, "main");
    await store.upsertProfile("anthropic:a", { type: "api_key", provider: "anthropic", key }, who);
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("write auth-state.json only, never the secrets file", async () => {
    const secrets = await stat(store.path);
    const bytes = await readFile(store.path, "utf8");
    await store.markFailure("anthropic:a", "rate_limit", { retryAfterMs: 90_000 });
    await store.markFailure("anthropic:a", "billing");
    await store.markFailure("anthropic:a", "auth", { message: "401" });
    await store.markSuccess("anthropic:a", "anthropic");
    const after = await stat(store.path);
    expect(after.ino).toBe(secrets.ino);
    expect(after.mtimeMs).toBe(secrets.mtimeMs);
    expect(await readFile(store.path, "utf8")).toBe(bytes);

    const { state } = await store.load();
    expect(state.usage["anthropic:a"]?.failureCounts).toEqual({ rate_limit: 1, billing: 1, auth: 1 });
    expect(state.lastGood).toEqual({ anthropic: "anthropic:a" });
    expectNoSecretIn(await readFile(store.stateFile.path, "utf8"), [key]);
  });

  it("uses the given clock, and marks accumulate across store instances", async () => {
    await store.markFailure("anthropic:a", "rate_limit", { now: T0 });
    await new AuthStore(stateDir, "main").markFailure("anthropic:a", "rate_limit", { now: T0 + 1000 });
    const usage = (await store.load()).state.usage["anthropic:a"];
    expect(usage?.failureCounts.rate_limit).toBe(2);
    expect(usage?.cooldownUntil).toBe(T0 + 1000 + 5 * MIN);
  });

  it("records the kind of a Claude-Code-only refusal in auth-state.json", async () => {
    await store.markFailure("anthropic:a", "auth", {
      message: "Anthropic accepts this credential only from Claude Code",
      kind: "claude_code_only",
      now: T0,
    });
    const onDisk = JSON.parse(await readFile(store.stateFile.path, "utf8"));
    expect(onDisk.usage["anthropic:a"].needsReauth).toEqual({
      at: T0,
      reason: "Anthropic accepts this credential only from Claude Code",
      kind: "claude_code_only",
    });
  });

  it("reads marks written before the kind existed, and a kind it does not know, as plain marks", async () => {
    await writeFile(
      store.stateFile.path,
      JSON.stringify({
        version: 1,
        usage: {
          "anthropic:old": { failureCounts: { auth: 1 }, needsReauth: { at: T0, reason: "401" } },
          "anthropic:new": {
            failureCounts: { auth: 1 },
            needsReauth: { at: T0, reason: "later", kind: "some_future_kind" },
          },
        },
        lastGood: {},
      }),
    );
    const { usage } = (await store.load()).state;
    expect(usage["anthropic:old"]?.needsReauth).toEqual({ at: T0, reason: "401" });
    expect(usage["anthropic:new"]?.needsReauth).toEqual({ at: T0, reason: "later" });
  });

  it("never stores the credential or a key-shaped string in the needs-reauth reason", async () => {
    // A custom provider's key has no recognisable shape: only knowing it lets us remove it.
    const plain = fakeSecret("", 48);
    await store.upsertProfile("acme:a", { type: "api_key", provider: "acme", key: plain }, who);
    const bearer = fakeSecret("", 40);
    const other = fakeSecret("sk-proj-");
    await store.markFailure("acme:a", "auth", {
      message: `401: key ${plain} rejected (Authorization: Bearer ${bearer}; also saw ${other})`,
    });
    const text = await readFile(store.stateFile.path, "utf8");
    expectNoSecretIn(text, [plain, bearer, other]);
    expect((await store.load()).state.usage["acme:a"]?.needsReauth?.reason).toContain("401: key");
  });
});
