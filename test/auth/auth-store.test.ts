import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { AuthStore } from "../../src/auth/auth-store.js";
import type { Credential } from "../../src/auth/credentials.js";
import { tesseraErrorOf } from "../support/errors.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const who = { actor: "cli:tester", surface: "cli" };

let stateDir: string;
let agentDir: string;
let auditPath: string;
let store: AuthStore;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-store-"));
  agentDir = join(stateDir, "agents", "main", "agent");
  auditPath = join(stateDir, "audit.jsonl");
  store = new AuthStore(stateDir, "main", new AuditLog(auditPath));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** A second store on the same files, as another process would open it. */
const reopen = () => new AuthStore(stateDir, "main", new AuditLog(auditPath));

const apiKey = (key = fakeSecret("sk-ant-api03-")): Credential => ({
  type: "api_key",
  provider: "anthropic",
  key,
});
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;
const fileId = async (p: string) => {
  const s = await stat(p);
  return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
};
const auditText = () => readFile(auditPath, "utf8").catch(() => "");

describe("round-trip of each credential type", () => {
  const expires = Date.UTC(2030, 0, 1);
  const cases: [string, Credential][] = [
    ["anthropic:key", { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") }],
    [
      "anthropic:tok",
      { type: "token", provider: "anthropic", token: fakeSecret("sk-ant-oat01-", 108), expires },
    ],
    ["anthropic:forever", { type: "token", provider: "anthropic", token: fakeSecret("sk-ant-oat01-", 108) }],
    [
      "anthropic:me@example.com",
      {
        type: "oauth",
        provider: "anthropic",
        access: fakeSecret("sk-ant-oat01-", 108),
        refresh: fakeSecret("sk-ant-ort01-", 108),
        expires,
        email: "me@example.com",
      },
    ],
    ["openrouter:default", { type: "api_key", provider: "openrouter", key: fakeSecret("sk-or-v1-") }],
  ];

  it.each(cases)("%s comes back as stored, with updatedAt", async (id, credential) => {
    const before = Date.now();
    expect(await store.upsertProfile(id, credential, who)).toEqual({ created: true });
    const stored = (await reopen().load()).profiles.profiles[id];
    const { updatedAt, ...rest } = stored ?? {};
    expect(rest).toEqual(credential);
    expect(updatedAt).toBeGreaterThanOrEqual(before);
    if (credential.type === "token" && credential.expires === undefined)
      expect(stored).not.toHaveProperty("expires");
  });

  it("replacing reports created: false and keeps the other profiles", async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    await store.upsertProfile("anthropic:b", apiKey(), who);
    const next = apiKey();
    expect(await store.upsertProfile("anthropic:a", next, who)).toEqual({ created: false });
    const { profiles } = (await store.load()).profiles;
    expect(Object.keys(profiles).sort()).toEqual(["anthropic:a", "anthropic:b"]);
    expect(profiles["anthropic:a"]).toMatchObject(next);
  });

  it("refuses ids that are not <provider>:<name> of the credential's provider", async () => {
    expect((await tesseraErrorOf(store.upsertProfile("work", apiKey(), who))).code).toBe("PROFILE_INVALID");
    const mismatch = await tesseraErrorOf(store.upsertProfile("openai:work", apiKey(), who));
    expect(mismatch.code).toBe("PROFILE_PROVIDER_MISMATCH");
    expect(mismatch.hint).toContain("anthropic:work");
    await expect(stat(store.path)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("a Clawdbot-layout file", () => {
  const clawdbot = {
    version: 1,
    profiles: {
      "anthropic:default": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
      "anthropic:manual": {
        type: "token",
        provider: "anthropic",
        token: fakeSecret("sk-ant-oat01-", 108),
        expires: 1767225600000,
      },
      "openai-codex:default": {
        type: "oauth",
        provider: "openai-codex",
        access: `eyJ${fakeSecret("", 60)}`,
        refresh: `rt_${fakeSecret("", 40)}`,
        expires: 1736160000000,
        accountId: "acct_123",
      },
      "google-antigravity:me@gmail.com": {
        type: "oauth",
        provider: "google-antigravity",
        access: `ya29.${fakeSecret("", 60)}`,
        refresh: `1//${fakeSecret("", 40)}`,
        expires: 1736160000000,
        projectId: "my-proj",
        email: "me@gmail.com",
      },
    },
    order: { anthropic: ["anthropic:manual", "anthropic:default"] },
    lastGood: { anthropic: "anthropic:manual" },
    usageStats: {
      "anthropic:default": {
        lastUsed: 1736150000000,
        cooldownUntil: 1736160600000,
        errorCount: 2,
        failureCounts: { rate_limit: 2 },
        lastFailureAt: 1736160300000,
      },
    },
  };

  async function writeClawdbot() {
    await mkdir(agentDir, { recursive: true });
    await writeFile(store.path, JSON.stringify(clawdbot));
  }

  it("loads as is", async () => {
    await writeClawdbot();
    const { profiles } = await store.load();
    expect(profiles).toEqual(clawdbot);
  });

  it("keeps every field Tessera does not know through an upsert", async () => {
    await writeClawdbot();
    const added = apiKey();
    await store.upsertProfile("anthropic:work", added, who);
    const onDisk = JSON.parse(await readFile(store.path, "utf8"));
    const { "anthropic:work": work, ...others } = onDisk.profiles;
    expect(work).toMatchObject(added);
    expect({ ...onDisk, profiles: others }).toEqual(clawdbot);
  });

  it("keeps them through order changes and a removal too", async () => {
    await writeClawdbot();
    await store.setOrder("anthropic", ["anthropic:default"], who);
    await store.removeProfile("anthropic:manual", who);
    const onDisk = JSON.parse(await readFile(store.path, "utf8"));
    expect(onDisk.usageStats).toEqual(clawdbot.usageStats);
    expect(onDisk.lastGood).toEqual(clawdbot.lastGood);
    expect(onDisk.profiles["openai-codex:default"]).toEqual(clawdbot.profiles["openai-codex:default"]);
    expect(onDisk.order).toEqual({ anthropic: ["anthropic:default"] });
  });
});

describe("file and directory modes", () => {
  it("are 0600 and 0700 after every kind of write, even when they were 0644 and 0755", async () => {
    await mkdir(agentDir, { recursive: true });
    await writeFile(store.path, JSON.stringify({ version: 1, profiles: {} }), { mode: 0o644 });
    await writeFile(store.stateFile.path, JSON.stringify({ version: 1 }), { mode: 0o644 });
    const loosen = async () => {
      await chmod(agentDir, 0o755);
      await chmod(store.path, 0o644);
      await chmod(store.stateFile.path, 0o644);
    };
    const writes: [string, () => Promise<unknown>][] = [
      ["upsert", () => store.upsertProfile("anthropic:a", apiKey(), who)],
      ["upsert another", () => store.upsertProfile("anthropic:b", apiKey(), who)],
      ["order set", () => store.setOrder("anthropic", ["anthropic:b", "anthropic:a"], who)],
      ["order clear", () => store.clearOrder("anthropic", who)],
      ["mark failure", () => store.markFailure("anthropic:a", "rate_limit")],
      // Successes are written in batches (DeferredSuccesses); the batch's write is what is checked.
      ["mark success", () => store.markSuccess("anthropic:a", "anthropic").then(() => store.flushUsage())],
      ["remove", () => store.removeProfile("anthropic:b", who)],
    ];
    for (const [what, write] of writes) {
      await loosen();
      await write();
      const touched = what.startsWith("mark") ? store.stateFile.path : store.path;
      expect(await modeOf(touched), `${what}: file`).toBe(0o600);
      expect(await modeOf(agentDir), `${what}: dir`).toBe(0o700);
    }
    expect(await modeOf(auditPath)).toBe(0o600);
    expect(await modeOf(stateDir)).toBe(0o700);
  });
});

describe("a damaged auth-profiles.json", () => {
  it("corrupt (truncated JSON): FILE_CORRUPT naming the path; bytes unchanged after load and upsert", async () => {
    await mkdir(agentDir, { recursive: true });
    const secret = fakeSecret("sk-ant-api03-");
    const full = JSON.stringify({
      version: 1,
      profiles: { "anthropic:a": { type: "api_key", provider: "anthropic", key: secret } },
    });
    const bytes = full.slice(0, full.indexOf(secret) + 30);
    await writeFile(store.path, bytes);
    const before = await fileId(store.path);

    const onLoad = await tesseraErrorOf(store.load());
    expect(onLoad.code).toBe("FILE_CORRUPT");
    expect(onLoad.message).toContain(store.path);
    expect(await readFile(store.path, "utf8")).toBe(bytes);

    const onUpsert = await tesseraErrorOf(store.upsertProfile("anthropic:b", apiKey(), who));
    expect(onUpsert.code).toBe("FILE_CORRUPT");
    expect(onUpsert.message).toContain(store.path);
    for (const attempt of [
      () => store.removeProfile("anthropic:a", who),
      () => store.setOrder("anthropic", ["anthropic:a"], who),
      () => store.clearOrder("anthropic", who),
    ]) {
      expect((await tesseraErrorOf(attempt())).code).toBe("FILE_CORRUPT");
    }

    expect(await readFile(store.path, "utf8")).toBe(bytes);
    expect(await fileId(store.path)).toEqual(before);
    expect((await readdir(agentDir)).sort()).toEqual(["auth-profiles.json"]);
    expect(await auditText()).toBe("");
    for (const err of [onLoad, onUpsert]) expectNoSecretIn(`${err.message}\n${err.hint}`, [secret]);
  });

  it("schema-invalid: FILE_INVALID with the offending path, bytes unchanged", async () => {
    await mkdir(agentDir, { recursive: true });
    const secret = fakeSecret("sk-ant-api03-");
    // A single profile Tessera cannot use is kept aside (test/hardening/unknown-profile-type.test.ts);
    // a file whose own layout is wrong is refused whole.
    const bytes = JSON.stringify({
      version: 1,
      profiles: { "anthropic:a": { type: "api_key", provider: "anthropic", key: secret } },
      order: { anthropic: "anthropic:a" },
    });
    await writeFile(store.path, bytes);
    const onLoad = await tesseraErrorOf(store.load());
    expect(onLoad.code).toBe("FILE_INVALID");
    expect(onLoad.message).toContain(store.path);
    expect(onLoad.message).toContain("order.anthropic");
    const onUpsert = await tesseraErrorOf(store.upsertProfile("anthropic:b", apiKey(), who));
    expect(onUpsert.code).toBe("FILE_INVALID");
    expect(await readFile(store.path, "utf8")).toBe(bytes);
    for (const err of [onLoad, onUpsert]) expectNoSecretIn(`${err.message}\n${err.hint}`, [secret]);
  });
});

describe("updates that change nothing", () => {
  it("do not rewrite the file", async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    await store.upsertProfile("anthropic:b", apiKey(), who);
    await store.setOrder("anthropic", ["anthropic:b", "anthropic:a"], who);
    const before = await fileId(store.path);
    const auditBefore = await auditText();

    expect(await store.clearOrder("openai", who)).toBe(false);
    expect(await fileId(store.path)).toEqual(before);
    expect(await auditText()).toBe(auditBefore);

    await store.setOrder("anthropic", ["anthropic:b", "anthropic:a"], who);
    expect(await fileId(store.path)).toEqual(before);
  });

  it("clearing an order on an empty store creates no file", async () => {
    expect(await store.clearOrder("anthropic", who)).toBe(false);
    await expect(stat(store.path)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("removeProfile", () => {
  it("deletes the profile, its order entries, its usage and lastGood", async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    await store.upsertProfile("anthropic:b", apiKey(), who);
    await store.setOrder("anthropic", ["anthropic:a", "anthropic:b"], who);
    await store.markFailure("anthropic:a", "rate_limit");
    await store.markSuccess("anthropic:a", "anthropic");
    await store.markSuccess("anthropic:b", "openai-compat"); // lastGood of another provider stays
    await store.removeProfile("anthropic:a", who);
    const { profiles, state } = await store.load();
    expect(Object.keys(profiles.profiles)).toEqual(["anthropic:b"]);
    expect(profiles.order).toEqual({ anthropic: ["anthropic:b"] });
    expect(state.usage["anthropic:a"]).toBeUndefined();
    expect(state.usage["anthropic:b"]).toBeDefined();
    expect(state.lastGood).toEqual({ "openai-compat": "anthropic:b" });
  });

  it("drops an order list that becomes empty", async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    await store.setOrder("anthropic", ["anthropic:a"], who);
    await store.removeProfile("anthropic:a", who);
    expect((await store.load()).profiles.order).toEqual({});
  });

  it("names the known profiles when the id is unknown, and writes nothing", async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    const before = await fileId(store.path);
    const err = await tesseraErrorOf(store.removeProfile("anthropic:zzz", who));
    expect(err.code).toBe("PROFILE_NOT_FOUND");
    expect(err.message).toContain("anthropic:zzz");
    expect(err.message).toContain("anthropic:a");
    expect(err.hint).toContain("tessera models auth list");
    expect(await fileId(store.path)).toEqual(before);
  });
});

describe("order get/set/clear", () => {
  beforeEach(async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    await store.upsertProfile("anthropic:b", apiKey(), who);
    await store.upsertProfile(
      "openrouter:default",
      { type: "api_key", provider: "openrouter", key: fakeSecret("sk-or-v1-") },
      who,
    );
  });

  it("sets, reads back, trims and de-duplicates", async () => {
    expect(await store.getOrder("anthropic")).toBeUndefined();
    expect(
      await store.setOrder("anthropic", [" anthropic:b", "anthropic:a", "anthropic:b", ""], who),
    ).toEqual(["anthropic:b", "anthropic:a"]);
    expect(await reopen().getOrder("anthropic")).toEqual(["anthropic:b", "anthropic:a"]);
    expect(await store.clearOrder("anthropic", who)).toBe(true);
    expect(await store.getOrder("anthropic")).toBeUndefined();
  });

  it("refuses an unknown id, naming it and the provider's profiles", async () => {
    const err = await tesseraErrorOf(store.setOrder("anthropic", ["anthropic:a", "anthropic:nope"], who));
    expect(err.code).toBe("PROFILE_NOT_FOUND");
    expect(err.message).toContain("anthropic:nope");
    expect(err.message).toContain("anthropic:a, anthropic:b");
    expect(err.message).not.toContain("openrouter:default");
    expect(await store.getOrder("anthropic")).toBeUndefined();
  });

  it("refuses a profile of another provider, listing the right ones", async () => {
    const err = await tesseraErrorOf(store.setOrder("anthropic", ["anthropic:a", "openrouter:default"], who));
    expect(err.code).toBe("PROFILE_PROVIDER_MISMATCH");
    expect(err.message).toContain("openrouter:default is for openrouter, not anthropic");
    expect(err.hint).toContain("anthropic:a, anthropic:b");
    expect(await store.getOrder("anthropic")).toBeUndefined();
  });

  it("refuses an empty list with the usage", async () => {
    const err = await tesseraErrorOf(store.setOrder("anthropic", [" ", ""], who));
    expect(err.code).toBe("USAGE");
    expect(err.hint).toContain("tessera models auth order set --provider anthropic");
  });
});

describe("upsert of a new credential", () => {
  it("clears the old one's cooldown, disabled and needs-reauth marks", async () => {
    await store.upsertProfile("anthropic:a", apiKey(), who);
    await store.markFailure("anthropic:a", "rate_limit");
    await store.markFailure("anthropic:a", "billing");
    await store.markFailure("anthropic:a", "auth", { message: "invalid x-api-key" });
    await store.upsertProfile("anthropic:a", apiKey(), who);
    const usage = (await store.load()).state.usage["anthropic:a"];
    expect(usage?.cooldownUntil).toBeUndefined();
    expect(usage?.disabledUntil).toBeUndefined();
    expect(usage?.needsReauth).toBeUndefined();
    expect(usage?.failureCounts).toEqual({});
  });
});

describe("the audit log", () => {
  it("gets one line per upsert, remove and order change, with who and where, and no secret", async () => {
    const secrets: string[] = [];
    const add = (id: string) => {
      const credential = apiKey();
      secrets.push(credential.type === "api_key" ? credential.key : "");
      return store.upsertProfile(id, credential, who);
    };
    const oauth: Credential = {
      type: "oauth",
      provider: "anthropic",
      access: fakeSecret("sk-ant-oat01-", 108),
      refresh: fakeSecret("sk-ant-ort01-", 108),
      expires: Date.now() + 3_600_000,
    };
    secrets.push(oauth.access, oauth.refresh);
    await add("anthropic:a");
    await add("anthropic:a");
    await store.upsertProfile("anthropic:o", oauth, { actor: "telegram:42", surface: "chat" });
    await store.setOrder("anthropic", ["anthropic:o", "anthropic:a"], who);
    await store.clearOrder("anthropic", who);
    await store.removeProfile("anthropic:a", who);
    await store.markFailure("anthropic:o", "rate_limit"); // usage is not audited

    const { entries, badLines } = await store.auditLog!.read();
    expect(badLines).toEqual([]);
    expect(entries.map((e) => [e.action, e.target])).toEqual([
      ["profile.add", "anthropic:a"],
      ["profile.replace", "anthropic:a"],
      ["profile.add", "anthropic:o"],
      ["order.set", "anthropic"],
      ["order.clear", "anthropic"],
      ["profile.remove", "anthropic:a"],
    ]);
    for (const e of entries) {
      expect(e.agent).toBe("main");
      expect(Number.isNaN(Date.parse(e.ts))).toBe(false);
    }
    expect(entries[2]).toMatchObject({ actor: "telegram:42", surface: "chat" });
    expect(entries[0]).toMatchObject({ actor: "cli:tester", surface: "cli" });
    expect(entries[3]?.detail).toBe("anthropic:o,anthropic:a");
    expect(entries[0]?.detail).toMatch(/^api_key #[0-9a-f]{6}$/);
    expectNoSecretIn(await auditText(), secrets);
  });

  it("gets no line for a change that was refused", async () => {
    await tesseraErrorOf(store.removeProfile("anthropic:none", who));
    await tesseraErrorOf(store.setOrder("anthropic", ["anthropic:none"], who));
    expect(await auditText()).toBe("");
  });
});
