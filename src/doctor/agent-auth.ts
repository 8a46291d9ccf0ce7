import { AuditLog } from "../audit/audit-log.js";
import { type AuthSnapshot, AuthStore } from "../auth/auth-store.js";
import { isTesseraError } from "../errors.js";
import type { DoctorScope } from "./doctor-scope.js";

/** The doctor's actor in the audit log. */
export const DOCTOR_ACTOR = { actor: "tessera", surface: "doctor" } as const;

/** An agent's store for the doctor: audited like every other writer. */
export function doctorStore(scope: DoctorScope, agent: string): AuthStore {
  return new AuthStore(scope.paths.stateDir, agent, new AuditLog(scope.paths.auditPath));
}

/**
 * Loads an agent's credentials, or undefined when a file does not parse — the corrupt-files check
 * reports that one, and the checks that need the store skip the agent instead of repeating it.
 */
export async function loadAgentAuth(store: AuthStore): Promise<AuthSnapshot | undefined> {
  try {
    return await store.load();
  } catch (err) {
    if (isTesseraError(err) && (err.code === "FILE_CORRUPT" || err.code === "FILE_INVALID")) return undefined;
    throw err;
  }
}

/** `agent work: ` when the installation has several agents, else nothing: single-agent output stays short. */
export function agentPrefix(scope: DoctorScope, agent: string): string {
  return scope.configuredAgents.length > 1 || !scope.configuredAgents.includes(agent)
    ? `agent ${agent}: `
    : "";
}
