import type { AuditLog } from "../audit/audit-log.js";
import type { AuthSnapshot, AuthStore } from "../auth/auth-store.js";
import type { StatusReport } from "../auth/status-report.js";
import type { Config } from "../config/schema.js";
import type { SessionStore } from "../sessions/session-store.js";

/**
 * What commands may use, handed to them through the router's context (commands never open stores
 * themselves). The composition root (`src/runtime/compose.ts`) builds it from `AgentServices`.
 */
export interface ChatServices {
  agentId: string;
  config: Config;
  sessions: SessionStore;
  /** The agent's credential store; commands read profile ids and providers from it, never secrets. */
  auth: AuthStore;
  audit: AuditLog;
  /**
   * The status report for this agent with the session's pinned profile applied — the same object
   * `tessera models status` renders, built by the one resolver from `auth` (the message's
   * `authSnapshot()`, so the store is read once per message). Chat views render it; they never
   * compute auth themselves.
   */
  /** The status report with the session's pin applied and its provider listed even when unused. */
  statusReport(session: { pin?: string; provider?: string }, auth: AuthSnapshot): Promise<StatusReport>;
  /** Shortens a path for display (`~/…`). */
  displayPath(path: string): string;
  now(): number;
}
