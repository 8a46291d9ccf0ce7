import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { type EnvSnapshot, loadEnvironment } from "../config/env.js";
import { type ConfigInspection, inspectConfig } from "../config/load.js";
import { isRecord } from "../config/migrations.js";
import type { StatePaths } from "../config/paths.js";
import { type Config, ConfigSchema } from "../config/schema.js";
import { resolveStateLocation } from "../config/state-location.js";
import { isTesseraError } from "../errors.js";
import { type AgentAuth, agentAuthLoader } from "./agent-auth.js";

/**
 * Everything the doctor's checks look at, gathered once per run without throwing: an invalid config
 * is part of the picture, not a reason to stop (PRODUCT §7). When the config is invalid, checks run
 * on the defaults plus whatever agent ids can still be read from the raw file.
 */
export interface DoctorScope {
  paths: StatePaths;
  inspection: ConfigInspection;
  /** The validated config, or the defaults when it is invalid (see `configValid`). */
  config: Config;
  configValid: boolean;
  /** Agents the config names (default first). */
  configuredAgents: string[];
  /** Configured agents plus every `<state>/agents/<id>` directory on disk. */
  agents: string[];
  env: EnvSnapshot;
  processEnv: NodeJS.ProcessEnv;
  home: string;
  now: number;
  /** An agent's store and credentials, loaded (and Claude Code synced) once per run. */
  agentAuth(agent: string): Promise<AgentAuth>;
}

export interface ScopeOptions {
  stateDir?: string;
  configPath?: string;
  processEnv: NodeJS.ProcessEnv;
  now?: number;
}

export async function gatherDoctorScope(opts: ScopeOptions): Promise<DoctorScope> {
  const paths = resolveStateLocation(
    { stateDir: opts.stateDir, configPath: opts.configPath },
    opts.processEnv,
  );
  const inspection = await inspectConfig(paths.configPath);
  const configValid = inspection.config !== undefined;
  const config = inspection.config ?? ConfigSchema.parse({});
  const configuredAgents = configValid ? agentsOf(config) : agentsOfRaw(inspection.raw);
  const onDisk = await agentDirsOnDisk(paths.stateDir);
  const agents = [...new Set([...configuredAgents, ...onDisk])];
  // A .env that cannot be read at all (a link, a FIFO, a directory) is the file-types check's
  // finding; the other checks run without it rather than not at all.
  const env = await loadEnvironment({ processEnv: opts.processEnv, envPath: paths.envPath, config }).catch(
    (err: unknown) => {
      if (!isTesseraError(err)) throw err;
      return loadEnvironment({ processEnv: opts.processEnv, envPath: undefined, config });
    },
  );
  const scope = {
    paths,
    inspection,
    config,
    configValid,
    configuredAgents,
    agents,
    env,
    processEnv: opts.processEnv,
    home: opts.processEnv.HOME || homedir(),
    now: opts.now ?? Date.now(),
  };
  return { ...scope, agentAuth: agentAuthLoader(scope) };
}

function agentsOf(config: Config): string[] {
  return [...new Set([config.agents.default, ...config.agents.list.map((a) => a.id)])];
}

/** Agent ids from a config that does not validate: whatever `agents.default` and `agents.list[].id` hold. */
function agentsOfRaw(raw: Record<string, unknown> | undefined): string[] {
  const ids = ["main"];
  const agents = raw?.agents;
  if (isRecord(agents)) {
    if (typeof agents.default === "string" && isSafeId(agents.default)) ids.unshift(agents.default);
    if (Array.isArray(agents.list)) {
      for (const entry of agents.list) if (isRecord(entry) && isSafeId(entry.id)) ids.push(entry.id);
    }
  }
  return [...new Set(ids)];
}

function isSafeId(id: unknown): id is string {
  return typeof id === "string" && /^[a-z0-9][a-z0-9_-]*$/i.test(id);
}

async function agentDirsOnDisk(stateDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(stateDir, "agents"), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && isSafeId(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
