import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSandbox, modeOf, orderSetArgs, type Sandbox } from "../cli/models-harness.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

let sb: Sandbox;

beforeEach(async () => {
  sb = await createSandbox();
});

afterEach(async () => {
  await sb.cleanup();
});

interface StatusJson {
  providers: { provider: string; next: string | null }[];
  check: { exitCode: number; reasons: string[] };
}

const status = async () => {
  const res = await sb.run(["models", "status", "--json", "--check"]);
  const json = JSON.parse(res.stdout) as StatusJson;
  expect(json.check.exitCode).toBe(res.code);
  return { code: res.code, next: json.providers.find((p) => p.provider === "anthropic")?.next ?? null };
};

describe("a fresh host, set up and changed over SSH with the CLI only", () => {
  it("add a key, add an expiring token, order them, remove one — status follows every step", async () => {
    const key = fakeSecret("sk-ant-api03-", 108);
    const token = fakeSecret("sk-ant-oat01-", 108);

    expect(await status()).toEqual({ code: 1, next: null });

    expect(
      (await sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], { input: `${key}\n` }))
        .code,
    ).toBe(0);
    expect(await status()).toEqual({ code: 0, next: "anthropic:default" });

    const paste = await sb.run(
      [
        "models",
        "auth",
        "paste-token",
        "--provider",
        "anthropic",
        "--profile-id",
        "anthropic:work",
        "--expires-in",
        "12h",
      ],
      { input: token },
    );
    expect(paste.code).toBe(0);
    // Tokens come before api keys by default; this one expires within 24h and cannot refresh → 2.
    expect(await status()).toEqual({ code: 2, next: "anthropic:work" });

    // Still 2 with both in the order: the expiring token is a credential it would fall back to.
    expect((await sb.run(orderSetArgs("anthropic", "anthropic:default", "anthropic:work"))).code).toBe(0);
    expect(await status()).toEqual({ code: 2, next: "anthropic:default" });
    // Ordered out, the token is no candidate at all.
    expect((await sb.run(orderSetArgs("anthropic", "anthropic:default"))).code).toBe(0);
    expect(await status()).toEqual({ code: 0, next: "anthropic:default" });

    expect((await sb.run(["models", "auth", "remove", "anthropic:default"])).code).toBe(0);
    expect(await status()).toEqual({ code: 2, next: "anthropic:work" });
    const stored = await sb.readJson<{ order: Record<string, string[]> }>(sb.profilesPath());
    // The order held only the removed profile, so it is gone and the default order applies.
    expect(stored.order).toEqual({});

    const audit = await sb.readAudit();
    expect(audit.map((e) => `${e.action} ${e.target}`)).toEqual([
      "profile.add anthropic:default",
      "profile.add anthropic:work",
      "order.set anthropic",
      "order.set anthropic",
      "profile.remove anthropic:default",
    ]);
    expect(new Set(audit.map((e) => e.actor))).toEqual(new Set(["cli:tester"]));
    expectNoSecretIn(await readFile(sb.auditPath, "utf8"), [key, token]);
    expect(await modeOf(sb.auditPath)).toBe(0o600);
    expect(await sb.readJson(sb.configPath)).toEqual({
      auth: { profiles: { "anthropic:work": { provider: "anthropic", mode: "token" } } },
    });
  });

  it("several CLI processes storing profiles at once lose nothing (store and config)", async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `openai:p${i}`);
    const keys = ids.map(() => fakeSecret("sk-proj-", 100));
    const results = await Promise.all(
      ids.map((id, i) =>
        sb.run(["models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", id], {
          input: keys[i],
        }),
      ),
    );
    for (const res of results) expect(res.code, res.stderr).toBe(0);
    const stored = await sb.readJson<{ profiles: Record<string, { key: string }> }>(sb.profilesPath());
    expect(Object.keys(stored.profiles).sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries()) expect(stored.profiles[id]!.key).toBe(keys[i]);
    const config = await sb.readJson<{ auth: { profiles: Record<string, unknown> } }>(sb.configPath);
    expect(Object.keys(config.auth.profiles).sort()).toEqual([...ids].sort());
    expect(await sb.readAudit()).toHaveLength(ids.length);
  });
});
