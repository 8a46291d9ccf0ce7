import { AuditLog } from "../audit/audit-log.js";
import { type AuthSnapshot, AuthStore } from "../auth/auth-store.js";
import { claudeCodeLocation, loadSyncedStore, type SyncOutcome } from "../auth/claude-code.js";
import { isTesseraError } from "../errors.js";
import type { DoctorScope } from "./doctor-scope.js";

/** The doctor's actor in the audit log. */
export const DOCTOR_ACTOR = { actor: "tessera", surface: "doctor" } as const;

/** One agent's credentials as the doctor's checks see them. */
export interface AgentAuth {
  /** The agent's store, audited like every other writer (repairs write through it). */
  store: AuthStore;
  /**
   * The credentials after the Claude Code sync; undefined when a file does not parse, or is not a
   * regular file — the corrupt-files or file-types check reports that one, and the checks that need
   * the store skip the agent.
   */
  snapshot?: AuthSnapshot;
  /** What the Claude Code sync did; undefined when it did not run (see `syncsClaudeCode`). */
  claudeCode?: SyncOutcome;
}

/**
 * Loads each agent's credentials at most once per doctor run (the re-check after `--fix` gathers a
 * new scope). The first check that asks also syncs Claude Code's login into the store, as every load
 * by `models status` or the gateway does (PRODUCT §3.4), so every check sees the same synced snapshot.
 * A store that cannot be read for another reason rejects, and each check needing it reports that.
 */
export function agentAuthLoader(
  scope: Omit<DoctorScope, "agentAuth">,
): (agent: string) => Promise<AgentAuth> {
  const loaded = new Map<string, Promise<AgentAuth>>();
  return (agent) => {
    let entry = loaded.get(agent);
    if (!entry) {
      entry = loadAgentAuth(scope, agent);
      loaded.set(agent, entry);
    }
    return entry;
  };
}

async function loadAgentAuth(scope: Omit<DoctorScope, "agentAuth">, agent: string): Promise<AgentAuth> {
  const store = new AuthStore(scope.paths.stateDir, agent, new AuditLog(scope.paths.auditPath));
  const snapshot = await readSnapshot(store);
  if (!snapshot || !syncsClaudeCode(scope, agent)) return { store, snapshot };
  const location = claudeCodeLocation(scope.processEnv, process.platform, scope.home);
  try {
    const synced = await loadSyncedStore(store, location, { who: DOCTOR_ACTOR, snapshot });
    return { store, snapshot: synced.auth, claudeCode: synced.claudeCode };
  } catch (err) {
    // A lock or I/O failure while syncing: only the claude-code check reports it; the others go on
    // with the store as it was read.
    if (!isTesseraError(err)) throw err;
    return { store, snapshot, claudeCode: { status: "error", message: err.message, hint: err.hint } };
  }
}

/**
 * Sync runs for configured agents when `auth.claudeCode.sync` is on — and not on an invalid config,
 * which may be the very file that turns it off.
 */
function syncsClaudeCode(
  scope: Pick<DoctorScope, "configValid" | "config" | "configuredAgents">,
  agent: string,
): boolean {
  return scope.configValid && scope.config.auth.claudeCode.sync && scope.configuredAgents.includes(agent);
}

const UNREADABLE_STORE = new Set(["FILE_CORRUPT", "FILE_INVALID", "FILE_TYPE", "FILE_LINK"]);

async function readSnapshot(store: AuthStore): Promise<AuthSnapshot | undefined> {
  try {
    return await store.load();
  } catch (err) {
    // Reported by the corrupt-files check (a file that does not parse) or the file-types check (a
    // link, a FIFO or a directory in a store file's place); the checks needing the store skip it.
    if (isTesseraError(err) && UNREADABLE_STORE.has(err.code)) return undefined;
    throw err;
  }
}

/** `agent work: ` when the installation has several agents, else nothing: single-agent output stays short. */
export function agentPrefix(scope: DoctorScope, agent: string): string {
  return scope.configuredAgents.length > 1 || !scope.configuredAgents.includes(agent)
    ? `agent ${agent}: `
    : "";
}
