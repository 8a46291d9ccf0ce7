import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { AuthStore } from "../../src/auth/auth-store.js";
import {
  CLAUDE_CLI_PROFILE_ID,
  type ClaudeCodeLocation,
  claudeCodeLocation,
  readClaudeCodeCredential,
  syncClaudeCode,
  writeBackClaudeCode,
} from "../../src/auth/claude-code.js";
import { isTesseraError } from "../../src/errors.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const HOUR = 3_600_000;

let root: string;
let home: string;
let claudeDir: string;
let credentialsPath: string;
let loc: ClaudeCodeLocation;
let stateDir: string;
let store: AuthStore;
let auditPath: string;
/** Every secret a test put anywhere; nothing the code prints or logs may contain one. */
let secrets: string[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-claude-"));
  home = join(root, "home");
  claudeDir = join(home, ".claude");
  credentialsPath = join(claudeDir, ".credentials.json");
  // Always the file, never the macOS keychain, whatever machine runs the tests.
  loc = claudeCodeLocation({ HOME: home }, "linux", home);
  stateDir = join(root, "state");
  auditPath = join(stateDir, "audit.jsonl");
  store = new AuthStore(stateDir, "main", new AuditLog(auditPath));
  secrets = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

interface ClaudeTokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
}

function tokens(opts: { refresh?: boolean; expiresAt?: number } = {}): ClaudeTokens {
  const t: ClaudeTokens = {
    accessToken: fakeSecret("sk-ant-oat01-", 108),
    expiresAt: opts.expiresAt ?? Date.now() + 8 * HOUR,
  };
  if (opts.refresh !== false) t.refreshToken = fakeSecret("sk-ant-ort01-", 108);
  secrets.push(t.accessToken, ...(t.refreshToken ? [t.refreshToken] : []));
  return t;
}

/** Writes Claude Code's file the way Claude Code does: its tokens plus fields Tessera must keep. */
async function writeClaudeFile(oauth: ClaudeTokens, mode = 0o600): Promise<Record<string, unknown>> {
  const mcpSecret = fakeSecret("mcp_", 40);
  secrets.push(mcpSecret);
  const doc = {
    claudeAiOauth: { ...oauth, scopes: ["user:inference", "user:profile"], subscriptionType: "max" },
    mcpOAuth: { "server|abc": { accessToken: mcpSecret, serverName: "server", expiresAt: 0 } },
  };
  await mkdir(claudeDir, { recursive: true });
  await writeFile(credentialsPath, JSON.stringify(doc));
  await chmod(credentialsPath, mode);
  return doc;
}

const stored = async () => (await store.load()).profiles.profiles[CLAUDE_CLI_PROFILE_ID];
const fileId = async (p: string) => {
  const s = await stat(p);
  return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
};
const auditText = () => readFile(auditPath, "utf8").catch(() => "");

describe("claudeCodeLocation", () => {
  it("prefers $CLAUDE_CONFIG_DIR, else ~/.claude; the keychain only on macOS", () => {
    expect(claudeCodeLocation({ CLAUDE_CONFIG_DIR: "/cfg" }, "linux", "/h")).toEqual({
      filePath: "/cfg/.credentials.json",
      useKeychain: false,
    });
    expect(claudeCodeLocation({}, "linux", "/h").filePath).toBe("/h/.claude/.credentials.json");
    expect(claudeCodeLocation({}, "darwin", "/h").useKeychain).toBe(true);
  });

  it("reads the file under $CLAUDE_CONFIG_DIR", async () => {
    const dir = join(root, "elsewhere");
    await mkdir(dir);
    const t = tokens();
    await writeFile(join(dir, ".credentials.json"), JSON.stringify({ claudeAiOauth: t }));
    const credential = await readClaudeCodeCredential(
      claudeCodeLocation({ CLAUDE_CONFIG_DIR: dir }, "linux", home),
    );
    expect(credential).toMatchObject({ type: "oauth", access: t.accessToken });
  });
});

describe("syncClaudeCode", () => {
  it("an oauth credential (with refresh token) becomes oauth profile anthropic:claude-cli", async () => {
    const t = tokens();
    await writeClaudeFile(t);
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "created", type: "oauth" });
    expect(await stored()).toMatchObject({
      type: "oauth",
      provider: "anthropic",
      access: t.accessToken,
      refresh: t.refreshToken,
      expires: t.expiresAt,
      origin: "claude-code",
    });
    const { entries } = await store.auditLog!.read();
    expect(entries.map((e) => [e.action, e.target, e.surface])).toEqual([
      ["profile.sync-created", CLAUDE_CLI_PROFILE_ID, "sync"],
    ]);
    expectNoSecretIn(await auditText(), secrets);
  });

  it("without a refresh token it becomes a token profile with the expiry", async () => {
    const t = tokens({ refresh: false });
    await writeClaudeFile(t);
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "created", type: "token" });
    const profile = await stored();
    expect(profile).toMatchObject({
      type: "token",
      token: t.accessToken,
      expires: t.expiresAt,
      origin: "claude-code",
    });
    expect(profile).not.toHaveProperty("refresh");
  });

  it("a missing file is 'absent' and creates no store file", async () => {
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "absent" });
    await expect(stat(stateDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a file without claudeAiOauth (logged out) is 'absent'", async () => {
    await mkdir(claudeDir, { recursive: true });
    await writeFile(credentialsPath, JSON.stringify({ mcpOAuth: {} }));
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "absent" });
    await expect(stat(stateDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a corrupt file is an error naming it, quoting none of it", async () => {
    const t = tokens();
    const mcp = fakeSecret("mcp_", 40);
    secrets.push(mcp);
    await mkdir(claudeDir, { recursive: true });
    // An unquoted value: V8's own message would quote the text around it.
    await writeFile(
      credentialsPath,
      `{"claudeAiOauth":{"accessToken":"${t.accessToken}"},"mcpOAuth":${mcp}}`,
    );
    const err = await syncClaudeCode(store, loc).catch((e: unknown) => e);
    expect(isTesseraError(err) && err.code).toBe("CLAUDE_CODE_UNREADABLE");
    if (!isTesseraError(err)) return;
    expect(err.message).toContain(credentialsPath);
    expectNoSecretIn(`${err.message}\n${err.hint}`, secrets);
    await expect(stat(stateDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("unchanged: no write, no lock, no audit line", async () => {
    await writeClaudeFile(tokens());
    await syncClaudeCode(store, loc);
    const before = await fileId(store.path);
    const auditBefore = await auditText();
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "unchanged" });
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "unchanged" });
    expect(await fileId(store.path)).toEqual(before);
    expect(await auditText()).toBe(auditBefore);
    expect(
      (await readdir(join(stateDir, "agents", "main", "agent"))).filter((n) => n.endsWith(".lock")),
    ).toEqual([]);
  });

  it("a profile the user wrote is not overwritten ('shadowed')", async () => {
    const mine = fakeSecret("sk-ant-oat01-", 108);
    secrets.push(mine);
    await store.upsertProfile(
      CLAUDE_CLI_PROFILE_ID,
      { type: "token", provider: "anthropic", token: mine, origin: "user" },
      { actor: "cli:me", surface: "cli" },
    );
    const before = await fileId(store.path);
    await writeClaudeFile(tokens());
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "shadowed" });
    expect(await stored()).toMatchObject({ type: "token", token: mine, origin: "user" });
    expect(await fileId(store.path)).toEqual(before);
  });

  it("never downgrades oauth to a token", async () => {
    await writeClaudeFile(tokens());
    await syncClaudeCode(store, loc);
    const oauth = await stored();
    const before = await fileId(store.path);
    await writeClaudeFile(tokens({ refresh: false, expiresAt: Date.now() + 48 * HOUR }));
    const result = await syncClaudeCode(store, loc);
    expect(result.status).toBe("kept");
    expect(await stored()).toEqual(oauth);
    expect(await fileId(store.path)).toEqual(before);
  });

  it("an older Claude Code credential does not replace a newer stored one", async () => {
    const newer = tokens({ expiresAt: Date.now() + 8 * HOUR });
    await writeClaudeFile(newer);
    await syncClaudeCode(store, loc);
    await writeClaudeFile(tokens({ expiresAt: Date.now() + 2 * HOUR }));
    const result = await syncClaudeCode(store, loc);
    expect(result).toMatchObject({ status: "kept" });
    expect(await stored()).toMatchObject({ access: newer.accessToken, refresh: newer.refreshToken });
  });

  it("a newer Claude Code credential replaces ours and clears its needs-reauth mark", async () => {
    await writeClaudeFile(tokens({ expiresAt: Date.now() + HOUR }));
    await syncClaudeCode(store, loc);
    await store.markFailure(CLAUDE_CLI_PROFILE_ID, "auth", { message: "refresh failed" });
    const newer = tokens({ expiresAt: Date.now() + 8 * HOUR });
    await writeClaudeFile(newer);
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "updated", type: "oauth" });
    expect(await stored()).toMatchObject({ access: newer.accessToken, refresh: newer.refreshToken });
    expect((await store.load()).state.usage[CLAUDE_CLI_PROFILE_ID]?.needsReauth).toBeUndefined();
    const { entries } = await store.auditLog!.read();
    expect(entries.map((e) => e.action)).toEqual(["profile.sync-created", "profile.sync-updated"]);
    expectNoSecretIn(await auditText(), secrets);
  });

  it("a static token we synced is upgraded when Claude Code gains a refresh token", async () => {
    await writeClaudeFile(tokens({ refresh: false, expiresAt: Date.now() + 8 * HOUR }));
    await syncClaudeCode(store, loc);
    await writeClaudeFile(tokens({ expiresAt: Date.now() + HOUR }));
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "updated", type: "oauth" });
    expect((await stored())?.type).toBe("oauth");
  });

  it("keeps the other profiles of the store as they were", async () => {
    const key = fakeSecret("sk-ant-api03-");
    secrets.push(key);
    await store.upsertProfile(
      "anthropic:work",
      { type: "api_key", provider: "anthropic", key },
      { actor: "t", surface: "t" },
    );
    await store.setOrder("anthropic", ["anthropic:work"], { actor: "t", surface: "t" });
    await writeClaudeFile(tokens());
    await syncClaudeCode(store, loc);
    const { profiles } = await store.load();
    expect(profiles.profiles["anthropic:work"]).toMatchObject({ key });
    expect(profiles.order).toEqual({ anthropic: ["anthropic:work"] });
  });
});

describe("writeBackClaudeCode", () => {
  it("rewrites only the three token fields, keeps everything else and the file's mode, atomically", async () => {
    const doc = await writeClaudeFile(tokens(), 0o644);
    await chmod(claudeDir, 0o755);
    const before = await stat(credentialsPath);
    const rotated = {
      access: fakeSecret("sk-ant-oat01-", 108),
      refresh: fakeSecret("sk-ant-ort01-", 108),
      expires: Date.now() + 8 * HOUR,
    };
    expect(await writeBackClaudeCode(loc, rotated)).toBe(true);

    const after = JSON.parse(await readFile(credentialsPath, "utf8"));
    const original = doc.claudeAiOauth as Record<string, unknown>;
    expect(after).toEqual({
      ...doc,
      claudeAiOauth: {
        ...original,
        accessToken: rotated.access,
        refreshToken: rotated.refresh,
        expiresAt: rotated.expires,
      },
    });
    const s = await stat(credentialsPath);
    expect(s.mode & 0o777).toBe(0o644);
    expect((await stat(claudeDir)).mode & 0o777).toBe(0o755);
    // Replaced by rename (a new inode), with no temp file left beside it.
    expect(s.ino).not.toBe(before.ino);
    expect(await readdir(claudeDir)).toEqual([".credentials.json"]);
  });

  it("writes through a symlinked credentials file instead of replacing the link", async () => {
    await mkdir(claudeDir, { recursive: true });
    const real = join(claudeDir, "real-credentials.json");
    await writeFile(real, JSON.stringify({ claudeAiOauth: tokens() }), { mode: 0o600 });
    await symlink(real, credentialsPath);
    await writeBackClaudeCode(loc, { access: "a".repeat(40), refresh: "r".repeat(40), expires: 7 });
    expect((await lstat(credentialsPath)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(real, "utf8")).claudeAiOauth).toMatchObject({
      accessToken: "a".repeat(40),
      expiresAt: 7,
    });
  });

  it("keeps a 0600 file at 0600", async () => {
    await writeClaudeFile(tokens(), 0o600);
    await writeBackClaudeCode(loc, { access: "a".repeat(40), refresh: "r".repeat(40), expires: 1 });
    expect((await stat(credentialsPath)).mode & 0o777).toBe(0o600);
  });

  it("does nothing when the file is missing or holds no Claude login", async () => {
    expect(await writeBackClaudeCode(loc, { access: "a", refresh: "r", expires: 1 })).toBe(false);
    await expect(stat(credentialsPath)).rejects.toMatchObject({ code: "ENOENT" });
    await mkdir(claudeDir, { recursive: true });
    const bytes = JSON.stringify({ mcpOAuth: {} });
    await writeFile(credentialsPath, bytes);
    expect(await writeBackClaudeCode(loc, { access: "a", refresh: "r", expires: 1 })).toBe(false);
    expect(await readFile(credentialsPath, "utf8")).toBe(bytes);
  });

  it("after a write-back of what we stored, the next sync is unchanged", async () => {
    await writeClaudeFile(tokens({ expiresAt: Date.now() + HOUR }));
    await syncClaudeCode(store, loc);
    // What the refresh code does: store the rotated tokens, then hand them back to Claude Code.
    const rotated = {
      access: fakeSecret("sk-ant-oat01-", 108),
      refresh: fakeSecret("sk-ant-ort01-", 108),
      expires: Date.now() + 8 * HOUR,
    };
    secrets.push(rotated.access, rotated.refresh);
    await store.upsertProfile(
      CLAUDE_CLI_PROFILE_ID,
      { type: "oauth", provider: "anthropic", ...rotated, origin: "claude-code" },
      { actor: "tessera", surface: "runtime" },
    );
    await writeBackClaudeCode(loc, rotated);
    const before = await fileId(store.path);
    expect(await syncClaudeCode(store, loc)).toEqual({ status: "unchanged" });
    expect(await fileId(store.path)).toEqual(before);
    expectNoSecretIn(await auditText(), secrets);
  });
});
