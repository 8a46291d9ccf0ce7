import { AuditLog } from "../audit/audit-log.js";
import { type AuthSnapshot, AuthStore } from "../auth/auth-store.js";
import { claudeCodeLocation, loadSyncedStore, type SyncOutcome } from "../auth/claude-code.js";
import { type BuildReportInput, buildStatusReport, type StatusReport } from "../auth/status-report.js";
import { parseDuration } from "../config/duration.js";
import { type EnvSnapshot, loadEnvironment } from "../config/env.js";
import { loadConfig } from "../config/load.js";
import type { StatePaths } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import { resolveStateLocation } from "../config/state-location.js";
import { hasControlChars, showControlChars } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import { SessionStore } from "../sessions/session-store.js";

/**
 * Everything a command needs to work on one agent: paths, validated config, merged environment, the
 * agent's auth store and the audit log. Built the same way for the CLI, the console and the gateway,
 * so every surface sees the same files and the same rules.
 */
export interface AgentServices {
  paths: StatePaths;
  config: Config;
  /** One line per legacy config value migrated in memory. */
  configNotices: string[];
  env: EnvSnapshot;
  agentId: string;
  store: AuthStore;
  /** The agent's chat sessions (pins, history), for the chat surfaces and the checks that read pins. */
  sessions: SessionStore;
  audit: AuditLog;
  /** Process environment the services were built from (tests pass their own). */
  processEnv: NodeJS.ProcessEnv;
}

export interface OpenOptions {
  stateDir?: string;
  configPath?: string;
  agent?: string;
  processEnv?: NodeJS.ProcessEnv;
}

/** Loads config and env and opens the chosen agent (the configured default when `agent` is omitted). */
export async function openAgentServices(opts: OpenOptions = {}): Promise<AgentServices> {
  const processEnv = opts.processEnv ?? process.env;
  const paths = resolveStateLocation({ stateDir: opts.stateDir, configPath: opts.configPath }, processEnv);
  const { config, notices } = await loadConfig(paths.configPath);
  const agentId = resolveAgentId(config, opts.agent);
  const env = await loadEnvironment({ processEnv, envPath: paths.envPath, config });
  const audit = new AuditLog(paths.auditPath);
  return {
    paths,
    config,
    configNotices: notices,
    env,
    agentId,
    store: new AuthStore(paths.stateDir, agentId, audit),
    sessions: new SessionStore(paths.stateDir, agentId, audit),
    audit,
    processEnv,
  };
}

/** The single rule for `--agent`: given id must be configured; omitted means `agents.default`. */
export function resolveAgentId(config: Config, requested?: string): string {
  const known = new Set([config.agents.default, ...config.agents.list.map((a) => a.id)]);
  const id = requested ?? config.agents.default;
  if (!known.has(id)) {
    throw new TesseraError(
      "AGENT_UNKNOWN",
      `unknown agent "${showControlChars(id)}" (configured: ${[...known].join(", ")})`,
      hasControlChars(id)
        ? `pass --agent ${config.agents.default}`
        : `add { "id": "${id}" } to agents.list in the config, or pass --agent ${config.agents.default}`,
    );
  }
  return id;
}

/** The agent's credentials, read once and synced with Claude Code when `auth.claudeCode.sync` is on. */
export function loadSyncedAuth(
  services: AgentServices,
): Promise<{ auth: AuthSnapshot; claudeCode: SyncOutcome }> {
  const location = services.config.auth.claudeCode.sync
    ? claudeCodeLocation(services.processEnv, process.platform, services.processEnv.HOME)
    : undefined;
  return loadSyncedStore(services.store, location);
}

/** Builds the status report for the agent as it is on disk now. */
export async function statusReportFor(
  services: AgentServices,
  opts: {
    warnWithin?: string;
    now?: number;
    pin?: string;
    auth?: AuthSnapshot;
    sessionProvider?: string;
  } = {},
): Promise<StatusReport> {
  const input: BuildReportInput = {
    config: services.config,
    configPath: services.paths.configPath,
    agent: services.agentId,
    storePath: services.store.path,
    auth: opts.auth ?? (await services.store.load()),
    env: services.env,
    now: opts.now ?? Date.now(),
    warnWithinMs: parseDuration(opts.warnWithin ?? services.config.auth.warnWithin, "--warn-within"),
    pin: opts.pin,
    sessionProvider: opts.sessionProvider,
  };
  return buildStatusReport(input);
}
