import { execFile, spawn } from "node:child_process";
import { realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { Actor } from "../audit/audit-log.js";
import { isTesseraError, TesseraError } from "../errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { readTextFollowingLinks } from "../files/json-state-file.js";
import { describeJsonSyntaxError } from "../files/json-syntax-error.js";
import type { AuthSnapshot, AuthStore } from "./auth-store.js";
import { type AuthProfilesFile, type Credential, sameCredential, secretOf } from "./credentials.js";
import { fingerprint } from "./mask.js";

/** How to get Claude Code's `claude` command, for every message that needs it. */
export const CLAUDE_INSTALL_HINT = "npm install -g @anthropic-ai/claude-code";

/** The profile id Claude Code's credentials are synced into. */
export const CLAUDE_CLI_PROFILE_ID = "anthropic:claude-cli";
const KEYCHAIN_SERVICE = "Claude Code-credentials";

/** What Claude Code keeps in `.credentials.json` (and the macOS keychain); other fields are kept as is. */
const ClaudeCredentialsFileSchema = z.looseObject({
  claudeAiOauth: z.looseObject({
    accessToken: z.string().min(1),
    refreshToken: z.string().optional(),
    expiresAt: z.number().optional(),
  }),
});

export interface ClaudeCodeLocation {
  /** `$CLAUDE_CONFIG_DIR/.credentials.json`, else `~/.claude/.credentials.json`. */
  filePath: string;
  /** Read the macOS keychain item first (darwin only). */
  useKeychain: boolean;
}

export function claudeCodeLocation(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home = homedir(),
): ClaudeCodeLocation {
  const dir = env.CLAUDE_CONFIG_DIR || join(home, ".claude");
  return { filePath: join(dir, ".credentials.json"), useKeychain: platform === "darwin" };
}

/**
 * Reads Claude Code's current credential and maps it to ours: with a refresh token it is `oauth`,
 * without one a static `token` with its expiry. Undefined when Claude Code has no credentials here.
 * A file that exists but cannot be read or parsed is a `CLAUDE_CODE_UNREADABLE` error naming it (we never
 * guess at someone else's file); views show it as a warning, since it is not Tessera's own state.
 */
export async function readClaudeCodeCredential(loc: ClaudeCodeLocation): Promise<Credential | undefined> {
  const keychain = loc.useKeychain ? await readKeychain() : undefined;
  const source = keychain !== undefined ? `the keychain item "${KEYCHAIN_SERVICE}"` : loc.filePath;
  const text =
    keychain ??
    (await readTextFollowingLinks(loc.filePath).catch((err: Error) => {
      throw new TesseraError(
        "CLAUDE_CODE_UNREADABLE",
        err.message,
        `check the permissions of ${loc.filePath}`,
      );
    }));
  if (text === undefined) return undefined;
  let parsed: z.infer<typeof ClaudeCredentialsFileSchema>;
  try {
    const result = ClaudeCredentialsFileSchema.safeParse(JSON.parse(text));
    if (!result.success) return undefined; // no claudeAiOauth block: Claude Code is not logged in
    parsed = result.data;
  } catch (err) {
    throw new TesseraError(
      "CLAUDE_CODE_UNREADABLE",
      `Claude Code's credentials in ${source} are not valid JSON (${describeJsonSyntaxError(err, text)})`,
      "run `claude` and log in again, or set auth.claudeCode.sync to false",
    );
  }
  const oauth = parsed.claudeAiOauth;
  if (oauth.refreshToken) {
    return {
      type: "oauth",
      provider: "anthropic",
      access: oauth.accessToken,
      refresh: oauth.refreshToken,
      expires: oauth.expiresAt,
      origin: "claude-code",
    };
  }
  return {
    type: "token",
    provider: "anthropic",
    token: oauth.accessToken,
    expires: oauth.expiresAt,
    origin: "claude-code",
  };
}

export type ClaudeCodeSyncResult =
  | { status: "disabled" | "absent" | "unchanged" }
  | { status: "created" | "updated"; type: Credential["type"] }
  /** The user stored their own credential under the id; Claude Code's is not used. */
  | { status: "shadowed" }
  /** We hold an oauth credential and Claude Code only a static token (or an older one): kept ours. */
  | { status: "kept"; why: string };

/**
 * Brings Claude Code's credential into `anthropic:claude-cli` (PRODUCT §5). Idempotent: nothing is
 * written (not even a lock taken) when nothing changed. Never downgrades oauth to token, never
 * replaces a newer credential with an older one, and never overwrites a profile the user wrote.
 */
export async function syncClaudeCode(
  store: AuthStore,
  loc: ClaudeCodeLocation,
  who: Actor = { actor: "tessera", surface: "sync" },
  /** The profiles as the caller just read them, to save a second read when nothing changes. */
  current?: AuthProfilesFile,
): Promise<ClaudeCodeSyncResult> {
  const incoming = await readClaudeCodeCredential(loc);
  if (!incoming) return { status: "absent" };
  const decide = (existing: Credential | undefined): ClaudeCodeSyncResult => {
    if (!existing) return { status: "created", type: incoming.type };
    if (existing.origin !== undefined && existing.origin !== "claude-code") return { status: "shadowed" };
    if (sameCredential(existing, incoming)) return { status: "unchanged" };
    if (existing.type === "oauth" && incoming.type !== "oauth") {
      return {
        status: "kept",
        why: "Claude Code now has only a static token; the stored oauth credential can refresh",
      };
    }
    if (existing.type === incoming.type && (incoming.expires ?? 0) < (existing.expires ?? 0)) {
      return { status: "kept", why: "the stored credential is newer than Claude Code's" };
    }
    return { status: "updated", type: incoming.type };
  };
  const profiles = (current ?? (await store.profilesFile.read())).profiles;
  const before = decide(
    Object.hasOwn(profiles, CLAUDE_CLI_PROFILE_ID) ? profiles[CLAUDE_CLI_PROFILE_ID] : undefined,
  );
  if (before.status !== "created" && before.status !== "updated") return before;
  const result = await store.profilesFile.update((data) => {
    const decision = decide(data.profiles[CLAUDE_CLI_PROFILE_ID]);
    if (decision.status === "created" || decision.status === "updated") {
      data.profiles[CLAUDE_CLI_PROFILE_ID] = { ...incoming, updatedAt: Date.now() };
    }
    return decision;
  });
  if (result.status === "created" || result.status === "updated") {
    await store.clearUsageMarks(CLAUDE_CLI_PROFILE_ID);
    const secret = secretOf(incoming);
    await store.auditLog?.append(who, `profile.sync-${result.status}`, {
      agent: store.agentId,
      target: CLAUDE_CLI_PROFILE_ID,
      detail: `${incoming.type} #${fingerprint(secret)} from Claude Code`,
    });
  }
  return result;
}

/** A sync outcome, or why it could not run this time (with the fix). */
export type SyncOutcome = ClaudeCodeSyncResult | { status: "error"; message: string; hint?: string };

/**
 * An agent's credentials as every surface loads them (PRODUCT §3.4): read the store once (or take
 * the `snapshot` the caller read), sync Claude Code's credential into it when `loc` is given (the
 * sync is on), and re-read only if the sync wrote. A Claude Code file that cannot be read is reported
 * in `claudeCode`, not thrown: it is another tool's file and must not hide a view. Errors of
 * Tessera's own store still throw.
 */
export async function loadSyncedStore(
  store: AuthStore,
  loc: ClaudeCodeLocation | undefined,
  opts: { who?: Actor; snapshot?: AuthSnapshot } = {},
): Promise<{ auth: AuthSnapshot; claudeCode: SyncOutcome }> {
  const auth = opts.snapshot ?? (await store.load());
  if (!loc) return { auth, claudeCode: { status: "disabled" } };
  let claudeCode: SyncOutcome;
  try {
    claudeCode = await syncClaudeCode(store, loc, opts.who, auth.profiles);
  } catch (err) {
    if (!isTesseraError(err) || err.code !== "CLAUDE_CODE_UNREADABLE") throw err;
    return { auth, claudeCode: { status: "error", message: err.message, hint: err.hint } };
  }
  const wrote = claudeCode.status === "created" || claudeCode.status === "updated";
  return { auth: wrote ? await store.load() : auth, claudeCode };
}

/**
 * After we refreshed `anthropic:claude-cli`, hands the rotated tokens back to Claude Code so it does
 * not keep a refresh token that is no longer valid. Rewrites only the three token fields; every other
 * field and the file's mode are preserved; the write is atomic. Only an existing file is updated.
 */
export async function writeBackClaudeCode(
  loc: ClaudeCodeLocation,
  tokens: { access: string; refresh: string; expires: number },
): Promise<boolean> {
  if (loc.useKeychain) {
    const current = await readKeychain();
    if (current !== undefined) {
      const updated = mergeTokens(current, tokens);
      if (updated && (await writeKeychain(updated))) return true;
    }
  }
  const text = await readTextFollowingLinks(loc.filePath);
  if (text === undefined) return false;
  const updated = mergeTokens(text, tokens);
  if (!updated) return false;
  // Write through a symlink (dotfile managers link ~/.claude/.credentials.json) rather than replace it.
  const target = await realpath(loc.filePath);
  const mode = (await stat(target)).mode & 0o777;
  await writeFileAtomic(target, updated, { mode, foreignDir: true });
  return true;
}

function mergeTokens(
  text: string,
  tokens: { access: string; refresh: string; expires: number },
): string | undefined {
  try {
    const doc = JSON.parse(text) as { claudeAiOauth?: Record<string, unknown> };
    if (!doc.claudeAiOauth || typeof doc.claudeAiOauth !== "object") return undefined;
    doc.claudeAiOauth.accessToken = tokens.access;
    doc.claudeAiOauth.refreshToken = tokens.refresh;
    doc.claudeAiOauth.expiresAt = tokens.expires;
    return `${JSON.stringify(doc, null, 2)}\n`;
  } catch {
    return undefined;
  }
}

/** Reads the keychain item with `security … -w`; the secret comes back on stdout, never on argv. */
function readKeychain(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      "security",
      ["find-generic-password", "-s", KEYCHAIN_SERVICE, "-w"],
      { timeout: 5000, encoding: "utf8" },
      (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined),
    );
  });
}

/**
 * Updates the keychain item in place. The JSON goes through `security -i` on stdin, so the secret
 * never appears in a process list.
 */
function writeKeychain(json: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("security", ["-i"], { stdio: ["pipe", "ignore", "ignore"] });
    child.on("error", () => resolve(false));
    child.on("exit", (code) => resolve(code === 0));
    const quoted = `'${json.replace(/'/g, `'\\''`)}'`;
    child.stdin.end(`add-generic-password -U -s "${KEYCHAIN_SERVICE}" -a "Claude Code" -w ${quoted}\n`);
  });
}
