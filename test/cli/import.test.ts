import { cp, readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { type CliResult, createSandbox, modeOf, REPO_ROOT, type Sandbox } from "./models-harness.js";

/**
 * `tessera import` of a Clawdbot-layout fixture (test/fixtures/clawdbot/state) through the built CLI:
 * the dry run writes nothing anywhere, `--apply` imports through the store, a second `--apply` is a
 * no-op, the source is never touched, and no secret is printed. Build first.
 */

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "clawdbot", "state");

interface ImportJson {
  source: string;
  apply: boolean;
  agents: string[];
  profiles: {
    file: string;
    sourceId: string;
    targetAgent?: string;
    profileId: string;
    action: string;
    reason: string;
  }[];
  orders: { provider: string; ids: string[]; action: string; reason: string; targetAgent?: string }[];
  summary: { profiles: number; orders: number; skipped: number };
}

interface StoreFile {
  profiles: Record<string, Record<string, unknown>>;
  order: Record<string, string[]>;
}

let sb: Sandbox;
let source: string;
let secrets: string[];

beforeEach(async () => {
  sb = await createSandbox();
  source = join(sb.root, "clawdbot");
  await cp(FIXTURE, source, { recursive: true });
  secrets = await secretsIn(source);
});
afterEach(async () => {
  await sb.cleanup();
});

/** Every secret-looking string value in the fixture (keys, tokens, access and refresh tokens). */
async function secretsIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = (value: unknown, key = "") => {
    if (typeof value === "string" && ["key", "token", "access", "refresh"].includes(key)) found.push(value);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  for (const file of await listFiles(dir)) walk(JSON.parse(await readFile(file, "utf8")));
  return found;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Path, bytes, mode and mtime of every file under `dir`: "untouched" means this does not change. */
async function fingerprintTree(dir: string) {
  const files = await listFiles(dir);
  return Promise.all(
    files.map(async (file) => {
      const info = await stat(file);
      return {
        file: relative(dir, file),
        bytes: await readFile(file, "utf8"),
        mode: info.mode,
        mtime: info.mtimeMs,
      };
    }),
  );
}

function clean(result: CliResult) {
  expectNoSecretIn(result.stdout + result.stderr, secrets);
}

async function importJson(args: string[]) {
  const result = await sb.run(["import", source, "--json", ...args]);
  clean(result);
  expect(result.stderr).toBe("");
  return { result, json: JSON.parse(result.stdout) as ImportJson };
}

describe("tessera import", () => {
  it("dry run: shows the plan and changes nothing anywhere", async () => {
    const before = await fingerprintTree(source);
    const result = await sb.run(["import", source]);
    clean(result);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("dry run: nothing is written (add --apply to import)");
    expect(result.stdout).toMatch(
      /agents\/main\/agent\/auth-profiles\.json +→ main +anthropic:default +api_key +…\S{4} #[0-9a-f]{6} +import +new/,
    );
    expect(result.stdout).toMatch(/openai-codex:default .* skip +unsupported provider openai-codex/);
    expect(result.stdout).toContain(
      "would import 5 profile(s) and 1 order(s); 6 skipped. The source was not changed.",
    );
    await expect(stat(sb.stateDir)).rejects.toThrow(/ENOENT/);
    expect(await fingerprintTree(source)).toEqual(before);
  });

  it("--apply imports through the store with reasons for every skip, and a second --apply is a no-op", async () => {
    const sourceBefore = await fingerprintTree(source);
    const { result, json } = await importJson(["--apply"]);
    expect(result.code).toBe(0);
    const byId = (file: string, id: string) =>
      json.profiles.find((p) => p.file.endsWith(file) && p.sourceId === id);
    expect(json.summary).toEqual({ profiles: 5, orders: 1, skipped: 6 });
    expect(byId("auth-profiles.json", "openai:default")).toMatchObject({
      action: "import",
      targetAgent: "main",
    });
    expect(byId("auth.json", "openrouter")).toMatchObject({
      profileId: "openrouter:default",
      action: "import",
    });
    expect(byId("auth.json", "anthropic")!.reason).toMatch(
      /^superseded by agents\/main\/agent\/auth-profiles\.json/,
    );
    expect(byId("oauth.json", "anthropic")!.reason).toMatch(/^superseded by/);
    expect(byId("auth-profiles.json", "openrouter:broken")!.reason).toMatch(/^invalid entry: key: /);
    expect(byId("auth-profiles.json", "google-antigravity:me@gmail.com")!.reason).toMatch(
      /^unsupported provider/,
    );
    expect(json.profiles.find((p) => p.file.startsWith("agents/work"))!.reason).toMatch(
      /^source agent work has no agent here/,
    );

    const store = await sb.readJson<StoreFile>(sb.profilesPath());
    expect(Object.keys(store.profiles).sort()).toEqual([
      "anthropic:default",
      "anthropic:manual",
      "anthropic:me@example.com",
      "openai:default",
      "openrouter:default",
    ]);
    const original = JSON.parse(await readFile(join(source, "agents/main/agent/auth-profiles.json"), "utf8"));
    expect(store.profiles["anthropic:me@example.com"]).toMatchObject({
      ...original.profiles["anthropic:me@example.com"],
      origin: "import",
    });
    expect(store.profiles["openai:default"]).toMatchObject({ provider: "openai", origin: "import" });
    expect(store.order).toEqual({ anthropic: ["anthropic:manual", "anthropic:default"] });
    expect(store).not.toHaveProperty("usageStats");
    expect(await modeOf(sb.profilesPath())).toBe(0o600);
    const audit = (await readFile(sb.auditPath, "utf8")).trim().split("\n");
    expect(audit.filter((l) => l.includes('"surface":"import"'))).toHaveLength(6);
    expectNoSecretIn(audit.join("\n"), secrets);

    const storeBefore = await fingerprintTree(sb.stateDir);
    const again = await importJson(["--apply"]);
    expect(again.result.code).toBe(0);
    expect(again.json.summary).toEqual({ profiles: 0, orders: 0, skipped: 11 });
    expect(again.json.profiles.filter((p) => p.reason === "already present (identical)")).toHaveLength(5);
    expect(again.json.orders[0]).toMatchObject({ action: "skip", reason: "already set (identical)" });
    expect(await fingerprintTree(sb.stateDir)).toEqual(storeBefore);
    expect(await fingerprintTree(source)).toEqual(sourceBefore);
  });

  it("keeps a different credential stored under the same id unless --replace", async () => {
    const mine = fakeSecret("sk-ant-api03-", 100);
    secrets.push(mine);
    await sb.writeProfiles({ "anthropic:default": { type: "api_key", provider: "anthropic", key: mine } });
    const kept = await importJson(["--apply"]);
    const entry = kept.json.profiles.find(
      (p) => p.profileId === "anthropic:default" && p.file.endsWith("auth-profiles.json"),
    );
    expect(entry).toMatchObject({ action: "skip" });
    expect(entry!.reason).toBe(
      "a different api_key credential is stored as anthropic:default; kept it (--replace overwrites)",
    );
    expect((await sb.readJson<StoreFile>(sb.profilesPath())).profiles["anthropic:default"]!.key).toBe(mine);

    const replaced = await importJson(["--apply", "--replace"]);
    expect(
      replaced.json.profiles.find((p) => p.profileId === "anthropic:default" && p.action === "replace"),
    ).toBeDefined();
    expect((await sb.readJson<StoreFile>(sb.profilesPath())).profiles["anthropic:default"]!.key).not.toBe(
      mine,
    );
  });

  it("maps source agents: main to --agent, others to the agent of the same id, --from-agent picks one", async () => {
    await sb.writeConfig({
      agents: { default: "main", list: [{ id: "main" }, { id: "work" }, { id: "ops" }] },
    });
    const both = await importJson(["--apply", "--agent", "ops"]);
    expect(
      both.json.profiles.filter((p) => p.action === "import").map((p) => `${p.targetAgent}/${p.profileId}`),
    ).toContain("work/anthropic:default");
    expect(Object.keys((await sb.readJson<StoreFile>(sb.profilesPath("ops"))).profiles)).toHaveLength(5);
    expect(Object.keys((await sb.readJson<StoreFile>(sb.profilesPath("work"))).profiles)).toEqual([
      "anthropic:default",
    ]);
    await expect(stat(sb.profilesPath("main"))).rejects.toThrow(/ENOENT/);

    const one = await importJson(["--from-agent", "work", "--agent", "main"]);
    expect(
      one.json.profiles.filter((p) => p.action === "import").map((p) => `${p.targetAgent}/${p.profileId}`),
    ).toEqual(["main/anthropic:default"]);
    expect(one.json.profiles.find((p) => p.file.startsWith("agents/main"))!.reason).toBe(
      "only --from-agent work is imported",
    );
  });

  it("fails clearly for a dir without credentials or an unknown agent", async () => {
    const empty = await sb.run(["import", sb.home]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/error: no Clawdbot-family credentials in .*home/);
    expect(empty.stderr).toContain(
      "fix: point it at the gateway's state dir, e.g. tessera import ~/.clawdbot",
    );
    const missing = await sb.run(["import", join(sb.root, "nope")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/is not a directory/);
    const agent = await sb.run(["import", source, "--agent", "nobody"]);
    expect(agent.code).toBe(1);
    expect(agent.stderr).toContain('unknown agent "nobody"');
  });
});
