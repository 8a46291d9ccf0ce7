import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { type CliResult, createSandbox, orderSetArgs, type Sandbox } from "./models-harness.js";

/**
 * Claude Code sync runs whenever an admin command loads the store (PRODUCT §3.4): on a fresh state
 * dir, `anthropic:claude-cli` exists for the first command, whichever it is — not only after
 * `tessera models status` ran once.
 */

let sb: Sandbox;
const access = fakeSecret("sk-ant-oat01-", 108);
const refresh = fakeSecret("sk-ant-ort01-", 108);
const apiKey = fakeSecret("sk-ant-api03-", 108);

beforeEach(async () => {
  sb = await createSandbox();
  await sb.writeClaudeCredentials({
    accessToken: access,
    refreshToken: refresh,
    expiresAt: Date.now() + 8 * 3_600_000,
    subscriptionType: "max",
  });
});
afterEach(() => sb.cleanup());

interface Stored {
  profiles: Record<string, { type: string; origin?: string }>;
  order: Record<string, string[]>;
}

const stored = () => sb.readJson<Stored>(sb.profilesPath());

describe("every admin command syncs Claude Code before it reads or validates profiles", () => {
  it("the docs' example `models auth order set --provider anthropic anthropic:claude-cli` works on a fresh state dir", async () => {
    const res = await sb.run(orderSetArgs("anthropic", "anthropic:claude-cli"));
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Order override for anthropic (agent main): anthropic:claude-cli");
    const store = await stored();
    expect(store.profiles["anthropic:claude-cli"]).toMatchObject({ type: "oauth", origin: "claude-code" });
    expect(store.order).toEqual({ anthropic: ["anthropic:claude-cli"] });
    expect((await sb.readAudit()).map((e) => `${e.action} ${e.target}`)).toEqual([
      "profile.sync-created anthropic:claude-cli",
      "order.set anthropic",
    ]);
    expectNoSecretIn(res.stdout + res.stderr, [access, refresh]);
  });

  it("reads Claude Code from $CLAUDE_CONFIG_DIR when it is set", async () => {
    const configDir = join(sb.root, "claude-config");
    await mkdir(configDir, { recursive: true });
    const other = fakeSecret("sk-ant-oat01-", 108);
    await writeFile(
      join(configDir, ".credentials.json"),
      JSON.stringify({ claudeAiOauth: { accessToken: other, expiresAt: Date.now() + 3_600_000 } }),
      { mode: 0o600 },
    );
    const res = await sb.run(orderSetArgs("anthropic", "anthropic:claude-cli"), {
      env: { CLAUDE_CONFIG_DIR: configDir },
    });
    expect(res.code).toBe(0);
    // The file under $CLAUDE_CONFIG_DIR has no refresh token: a static token, not ~/.claude's oauth.
    expect((await stored()).profiles["anthropic:claude-cli"]).toMatchObject({
      type: "token",
      origin: "claude-code",
    });
  });

  const commands: { name: string; args: string[]; input?: string; ok: boolean }[] = [
    { name: "order get", args: ["models", "auth", "order", "get", "--provider", "anthropic"], ok: true },
    { name: "order clear", args: ["models", "auth", "order", "clear", "--provider", "anthropic"], ok: true },
    { name: "auth list", args: ["models", "auth", "list", "--json"], ok: true },
    { name: "models list", args: ["models", "list", "--json"], ok: true },
    {
      name: "paste-api-key",
      args: ["models", "auth", "paste-api-key", "--provider", "anthropic"],
      input: `${apiKey}\n`,
      ok: true,
    },
    // Fails at the pasted code, after the store was loaded (and synced) for it.
    { name: "login", args: ["models", "auth", "login", "--provider", "anthropic"], input: "\n", ok: false },
    { name: "doctor", args: ["doctor", "--json"], ok: true },
  ];
  for (const command of commands) {
    it(`${command.name} on a fresh state dir sees anthropic:claude-cli`, async () => {
      const res = await sb.run(command.args, { input: command.input });
      if (command.ok) expect(res.code, res.stderr).toBe(0);
      expect((await stored()).profiles["anthropic:claude-cli"]).toMatchObject({ origin: "claude-code" });
      expectNoSecretIn(res.stdout + res.stderr, [access, refresh, apiKey]);
    });
  }

  it("auth list shows the synced profile, and remove finds it on a fresh state dir", async () => {
    const list = await sb.run(["models", "auth", "list"]);
    expect(list.stdout).toMatch(/anthropic:claude-cli +oauth +refreshable +expires in 7h\d+m +claude-code/);
    await sb.cleanup();
    sb = await createSandbox();
    await sb.writeClaudeCredentials({ accessToken: access, expiresAt: Date.now() + 3_600_000 });
    const removed = await sb.run(["models", "auth", "remove", "anthropic:claude-cli"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain("Removed anthropic:claude-cli");
    expect(removed.stdout).toContain("syncs anthropic:claude-cli back; set auth.claudeCode.sync to false");
  });

  it("auth.claudeCode.sync false: nothing is synced, and ordering the profile is refused", async () => {
    await sb.writeConfig({ auth: { claudeCode: { sync: false } } });
    const res = await sb.run(orderSetArgs("anthropic", "anthropic:claude-cli"));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: no profile anthropic:claude-cli/);
    const list = JSON.parse((await sb.run(["models", "auth", "list", "--json"])).stdout) as {
      profiles: { id: string }[];
    };
    expect(list.profiles).toEqual([]);
  });

  it("an unreadable Claude Code file is a warning, never a failure", async () => {
    await writeFile(join(sb.home, ".claude", ".credentials.json"), "{ not json", { mode: 0o600 });
    const paste = await sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], {
      input: `${apiKey}\n`,
    });
    expectWarnedOnly(paste);
    const order = await sb.run(orderSetArgs("anthropic", "anthropic:default"));
    expectWarnedOnly(order);
    const list = await sb.run(["models", "auth", "list", "--json"]);
    expectWarnedOnly(list);
    const ids = (JSON.parse(list.stdout) as { profiles: { id: string }[] }).profiles.map((p) => p.id);
    expect(ids).toEqual(["anthropic:default"]);
    expectNoSecretIn(paste.stdout + paste.stderr + order.stderr + list.stdout, [apiKey]);
  });
});

function expectWarnedOnly(res: CliResult): void {
  expect(res.code, res.stderr).toBe(0);
  expect(res.stderr).toMatch(/^warning: Claude Code sync skipped: .*not valid JSON/m);
  expect(res.stderr).not.toMatch(/^error:/m);
}
