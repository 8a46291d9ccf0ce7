/**
 * Issue 12, item 8: keys people type (`/model @__proto__`, `--provider constructor`, a profile id in an
 * imported file) index records by own property only. `in` and `record[key]` walk the prototype chain
 * and found `Object.prototype`'s members: "Cannot read properties of undefined" in chat, "u.join is
 * not a function" from the CLI.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveCandidates } from "../../src/auth/resolver.js";
import { envSnapshotOf } from "../../src/config/env.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { createSandbox, type Sandbox } from "../cli/models-harness.js";
import { apiKeyFor, type ChatFixture, chatFixture } from "../router/chat-fixture.js";

const PROTOTYPE_KEYS = ["__proto__", "constructor", "hasOwnProperty", "toString", "valueOf", "prototype"];

describe("chat: prototype keys as profiles, models and providers", () => {
  let fx: ChatFixture;
  beforeEach(async () => {
    fx = await chatFixture({ config: { access: { owners: ["console:local"] } } });
    await fx.seedProfile("anthropic:work", apiKeyFor("anthropic"));
  });
  afterEach(() => fx.cleanup());

  it.each(PROTOTYPE_KEYS)("/model forms with %s answer as for any unknown name", async (key) => {
    for (const text of [
      `/model @${key}`,
      `/model sonnet@${key}`,
      `/model sonnet @${key}`,
      `/model ${key}`,
      `/model ${key}/x`,
      `/model ${key}@anthropic:work`,
    ]) {
      const said = await fx.say(text);
      expect(said, text).not.toMatch(/Something went wrong|Cannot read|is not a function/);
      expect(said, text).toMatch(/There is no (profile|model|provider)/);
    }
    // Nothing was pinned by any of them.
    expect(await fx.pins("agent:main:console:local")).toEqual({ model: undefined, profile: undefined });
  });
});

describe("resolver: order and usage look-ups by own key", () => {
  it("a provider named like an Object.prototype member has no order and no candidates", () => {
    const config = ConfigSchema.parse({});
    for (const provider of PROTOTYPE_KEYS) {
      const resolution = resolveCandidates({
        provider,
        config,
        auth: {
          profiles: { version: 1, profiles: {}, order: {} },
          state: { version: 1, usage: {}, lastGood: {}, notified: {} },
        },
        env: envSnapshotOf({}),
        now: Date.now(),
        warnWithinMs: 0,
      });
      expect(resolution.orderSource).toBe("default");
      expect(resolution.next).toBeUndefined();
    }
  });
});

describe("CLI: prototype keys as providers", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await createSandbox();
  });
  afterEach(() => sb.cleanup());

  it.each(["constructor", "__proto__", "toString"])("order get/set/clear --provider %s", async (key) => {
    const get = await sb.run(["models", "auth", "order", "get", "--provider", key]);
    expect(get.stderr).not.toMatch(/is not a function|Cannot read/);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/Config order\s+\(none\)/);
    const set = await sb.run(["models", "auth", "order", "set", "--provider", key, "anthropic:x"]);
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/^error: unknown provider/);
    const clear = await sb.run(["models", "auth", "order", "clear", "--provider", key]);
    expect(clear.stderr).toBe("");
    expect(clear.stdout).toContain("the default order applies");
  });
});
