import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Where Tessera keeps its files. Every path is derived from the state dir so that a test (or a second
 * installation) can point `TESSERA_STATE_DIR` somewhere else and touch nothing of the user's.
 */
export interface StatePaths {
  stateDir: string;
  configPath: string;
  envPath: string;
  auditPath: string;
}

/** Resolves the state dir and config path: explicit option → env var → `~/.tessera`. */
export function resolveStatePaths(
  opts: { stateDir?: string; configPath?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): StatePaths {
  const stateDir = resolve(expandHome(opts.stateDir ?? env.TESSERA_STATE_DIR ?? join(homedir(), ".tessera")));
  const configPath = resolve(
    expandHome(opts.configPath ?? env.TESSERA_CONFIG ?? join(stateDir, "config.json")),
  );
  return {
    stateDir,
    configPath,
    envPath: join(stateDir, ".env"),
    auditPath: join(stateDir, "audit.jsonl"),
  };
}

/** `<state>/agents/<agentId>/agent` — holds the agent's credentials and their hot state. */
export function agentDir(stateDir: string, agentId: string): string {
  return join(stateDir, "agents", agentId, "agent");
}

export function authProfilesPath(stateDir: string, agentId: string): string {
  return join(agentDir(stateDir, agentId), "auth-profiles.json");
}

export function authStatePath(stateDir: string, agentId: string): string {
  return join(agentDir(stateDir, agentId), "auth-state.json");
}

/** `<state>/agents/<agentId>/sessions` — the agent's chat sessions, one small file each (see below). */
export function sessionsDir(stateDir: string, agentId: string): string {
  return join(stateDir, "agents", agentId, "sessions");
}

/**
 * The file of one session: `sessions/<hh>/<hash>.json`, where `<hash>` is the first 32 hex digits of
 * the SHA-256 of the session key and `<hh>` its first two. A hash, not the key itself: keys hold
 * ids that people and platforms choose (thread ids, chat ids), and a hash is always a short, safe,
 * case-proof file name. The 256 shard directories keep each directory to a few hundred entries at
 * 100,000 sessions, so creating, locking and sweeping one session's file never walks a huge
 * directory. The file records its key, so a listing needs no index.
 */
export function sessionFilePath(stateDir: string, agentId: string, sessionKey: string): string {
  const hash = sessionFileHash(sessionKey);
  return join(sessionsDir(stateDir, agentId), hash.slice(0, 2), `${hash}.json`);
}

/** The hash that names a session's file (see `sessionFilePath`). */
export function sessionFileHash(sessionKey: string): string {
  return createHash("sha256").update(sessionKey).digest("hex").slice(0, 32);
}

/**
 * Where sessions lived before they got a file each: one `sessions.json` for all of an agent's
 * sessions. Read once by the migration (`src/sessions/session-migration.ts`), then kept as
 * `sessions.json.migrated`.
 */
export function legacySessionsPath(stateDir: string, agentId: string): string {
  return join(sessionsDir(stateDir, agentId), "sessions.json");
}

/**
 * The router's button tokens for the agent (`ActionTokens`): beside the sessions, since both are chat
 * state and neither holds a secret.
 */
export function actionTokensPath(stateDir: string, agentId: string): string {
  return join(sessionsDir(stateDir, agentId), "action-tokens.json");
}

/** Shortens a path under the home dir to `~/…` for display; never used for file access. */
export function displayPath(path: string, home: string = homedir()): string {
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export function expandHome(path: string, home: string = homedir()): string {
  return path === "~" || path.startsWith("~/") ? join(home, path.slice(1)) : path;
}
