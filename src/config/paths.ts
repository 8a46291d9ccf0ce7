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

export function sessionsPath(stateDir: string, agentId: string): string {
  return join(stateDir, "agents", agentId, "sessions", "sessions.json");
}

/**
 * The router's button tokens for the agent (`ActionTokens`): beside the sessions, since both are chat
 * state and neither holds a secret.
 */
export function actionTokensPath(stateDir: string, agentId: string): string {
  return join(stateDir, "agents", agentId, "sessions", "action-tokens.json");
}

/** Shortens a path under the home dir to `~/…` for display; never used for file access. */
export function displayPath(path: string, home: string = homedir()): string {
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export function expandHome(path: string, home: string = homedir()): string {
  return path === "~" || path.startsWith("~/") ? join(home, path.slice(1)) : path;
}
