import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeSecret } from "../support/secrets.js";
import { createSandbox, orderSetArgs, type Sandbox } from "./models-harness.js";

let sb: Sandbox;

const key = (provider: string) => ({ type: "api_key", provider, key: fakeSecret("sk-ant-api03-", 100) });

beforeEach(async () => {
  sb = await createSandbox();
  await sb.writeProfiles({
    "anthropic:a": key("anthropic"),
    "anthropic:b": key("anthropic"),
    "openai:x": { type: "api_key", provider: "openai", key: fakeSecret("sk-proj-", 90) },
  });
});

afterEach(async () => {
  await sb.cleanup();
});

describe("models auth order get|set|clear", () => {
  it("get shows no override, set stores one, get shows it, clear removes it", async () => {
    const none = await sb.run(["models", "auth", "order", "get", "--provider", "anthropic"]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^Order override +\(none\)$/m);
    expect(none.stdout).toMatch(/^In effect +default order/m);

    const set = await sb.run(orderSetArgs("anthropic", "anthropic:b", "anthropic:a", "anthropic:b"));
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("Order override for anthropic (agent main): anthropic:b, anthropic:a");
    const stored = await sb.readJson<{ order: Record<string, string[]> }>(sb.profilesPath());
    expect(stored.order).toEqual({ anthropic: ["anthropic:b", "anthropic:a"] });

    const json = JSON.parse(
      (await sb.run(["models", "auth", "order", "get", "--provider", "anthropic", "--json"])).stdout,
    );
    expect(json).toEqual({
      agent: "main",
      provider: "anthropic",
      storePath: sb.profilesPath(),
      order: ["anthropic:b", "anthropic:a"],
      configOrder: null,
      effective: "agent order",
    });
    const status = JSON.parse((await sb.run(["models", "status", "--json"])).stdout) as {
      providers: { provider: string; next: string }[];
    };
    expect(status.providers.find((p) => p.provider === "anthropic")!.next).toBe("anthropic:b");

    const clear = await sb.run(["models", "auth", "order", "clear", "--provider", "anthropic"]);
    expect(clear.stdout).toContain(
      "Cleared the order override for anthropic (agent main); the default order applies now.",
    );
    expect((await sb.readJson<{ order: Record<string, string[]> }>(sb.profilesPath())).order).toEqual({});
    const again = await sb.run(["models", "auth", "order", "clear", "--provider", "anthropic"]);
    expect(again.stdout).toContain("No order override was set for anthropic");

    expect((await sb.readAudit()).map((e) => e.action)).toEqual(["order.set", "order.clear"]);
  });

  it("set refuses unknown ids and ids of another provider, naming the ones that would work", async () => {
    const unknown = await sb.run(orderSetArgs("anthropic", "anthropic:nope"));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      "error: no profile anthropic:nope (known: anthropic:a, anthropic:b)\n  fix: tessera models auth list\n",
    );
    const other = await sb.run(orderSetArgs("anthropic", "openai:x"));
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      "error: profile openai:x is for openai, not anthropic\n  fix: use anthropic profiles: anthropic:a, anthropic:b\n",
    );
    const none = await sb.run(orderSetArgs("anthropic"));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("missing required argument 'profileIds'");
    expect((await sb.readJson<{ order: Record<string, string[]> }>(sb.profilesPath())).order).toEqual({});
  });

  it("get shows the config auth.order as the one in effect when the agent has none", async () => {
    await sb.writeConfig({ auth: { order: { anthropic: ["anthropic:a"] } } });
    const res = await sb.run(["models", "auth", "order", "get", "--provider", "anthropic"]);
    expect(res.stdout).toMatch(/^Config order +anthropic:a$/m);
    expect(res.stdout).toMatch(/^In effect +config auth\.order/m);
  });

  it("works on the agent given by --agent", async () => {
    await sb.writeConfig({ agents: { list: [{ id: "main" }, { id: "ops" }] } });
    await sb.writeProfiles({ "anthropic:ops": key("anthropic") }, {}, "ops");
    const res = await sb.run([...orderSetArgs("anthropic", "anthropic:ops"), "--agent", "ops"]);
    expect(res.code).toBe(0);
    expect((await sb.readJson<{ order: Record<string, string[]> }>(sb.profilesPath("ops"))).order).toEqual({
      anthropic: ["anthropic:ops"],
    });
    expect((await sb.readJson<{ order: Record<string, string[]> }>(sb.profilesPath())).order).toEqual({});
  });
});

describe("models auth remove", () => {
  it("deletes the profile, its order entries, its config metadata and config order entries", async () => {
    await sb.writeProfiles(
      { "anthropic:a": key("anthropic"), "anthropic:b": key("anthropic") },
      { anthropic: ["anthropic:a", "anthropic:b"] },
    );
    await sb.writeConfig({
      models: { default: "anthropic/claude-opus-4-5" },
      auth: {
        profiles: { "anthropic:a": { provider: "anthropic", mode: "api_key" } },
        order: { anthropic: ["anthropic:a"] },
      },
    });
    const res = await sb.run(["models", "auth", "remove", "anthropic:a"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Removed anthropic:a from agent main");
    expect(res.stdout).not.toContain("no anthropic profile is left"); // anthropic:b still is
    const stored = await sb.readJson<{ profiles: Record<string, unknown>; order: Record<string, string[]> }>(
      sb.profilesPath(),
    );
    expect(Object.keys(stored.profiles)).toEqual(["anthropic:b"]);
    expect(stored.order).toEqual({ anthropic: ["anthropic:b"] });
    expect(await sb.readJson(sb.configPath)).toEqual({
      models: { default: "anthropic/claude-opus-4-5" },
      auth: { profiles: {}, order: {} },
    });
    expect((await sb.readAudit()).at(-1)).toMatchObject({ action: "profile.remove", target: "anthropic:a" });
  });

  it("does not create a config file when the config never mentioned the profile", async () => {
    const res = await sb.run(["models", "auth", "remove", "openai:x"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("note: no openai profile is left");
    await expect(readFile(sb.configPath)).rejects.toThrow(/ENOENT/);
  });

  it("an unknown id is an error listing the known ones", async () => {
    const res = await sb.run(["models", "auth", "remove", "anthropic:zzz"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      "error: no profile anthropic:zzz (known: anthropic:a, anthropic:b, openai:x)\n  fix: tessera models auth list\n",
    );
  });

  it("removing a synced Claude Code profile says that sync will bring it back", async () => {
    await sb.writeClaudeCredentials({
      accessToken: fakeSecret("sk-ant-oat01-", 108),
      expiresAt: Date.now() + 86_400_000 * 30,
    });
    await sb.run(["models", "status"]);
    const res = await sb.run(["models", "auth", "remove", "anthropic:claude-cli"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("syncs anthropic:claude-cli back; set auth.claudeCode.sync to false");
  });
});

describe("models auth list", () => {
  it("lists stored profiles masked, with state and origin; --json has the same rows", async () => {
    const secret = fakeSecret("sk-ant-oat01-", 108);
    await sb.writeProfiles(
      {
        "anthropic:tok": {
          type: "token",
          provider: "anthropic",
          token: secret,
          expires: Date.now() - 3_600_000,
          origin: "user",
        },
        "openai:x": { type: "api_key", provider: "openai", key: fakeSecret("sk-proj-", 90) },
      },
      { openai: ["openai:x"] },
    );
    const text = await sb.run(["models", "auth", "list"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`anthropic:tok +token +expired +expired 1h ago +user +…${secret.slice(-4)} #[0-9a-f]{6}`),
    );
    expect(text.stdout).toMatch(/openai:x +api_key +ok +- +- +…\S{4} #/);
    expect(text.stdout).toContain("Order overrides\n  openai: openai:x");
    const json = JSON.parse((await sb.run(["models", "auth", "list", "--json"])).stdout) as {
      agent: string;
      profiles: Record<string, unknown>[];
      order: Record<string, string[]>;
    };
    expect(json.agent).toBe("main");
    expect(json.order).toEqual({ openai: ["openai:x"] });
    expect(json.profiles[0]).toMatchObject({
      id: "anthropic:tok",
      provider: "anthropic",
      type: "token",
      state: "expired",
      origin: "user",
      masked: expect.stringMatching(/^…\S{4} #[0-9a-f]{6}$/),
    });
    expect(JSON.stringify(json)).not.toContain(secret.slice(13, 30));
  });

  it("an empty store says how to add a profile", async () => {
    await sb.writeProfiles({});
    const res = await sb.run(["models", "auth", "list"]);
    expect(res.stdout).toContain("No stored profiles. Add one with:");
  });
});
