import { join } from "node:path";
import type { z } from "zod";
import { AuthStateFileSchema } from "../auth/auth-state.js";
import { AuthProfilesFileSchema } from "../auth/credentials.js";
import { agentDir, authProfilesPath, authStatePath, sessionsPath } from "../config/paths.js";
import { SessionsFileSchema } from "../sessions/session-store.js";
import type { DoctorScope } from "./doctor-scope.js";

/** A file Tessera keeps on the gateway host (PRODUCT §2), as the doctor checks it. */
export interface StateFile {
  path: string;
  /** `auth-profiles.json of agent main`, for messages. */
  label: string;
  /** Readable by others would expose credentials or conversations: a wrong mode is an error. */
  private: boolean;
  /** The layout a JSON state file must have; absent for files that are not JSON objects. */
  schema?: z.ZodType;
  agent?: string;
}

/** Every state file of the installation, existing or not: config, `.env`, audit log, each agent's files. */
export function stateFilesOf(scope: DoctorScope): StateFile[] {
  const { stateDir, configPath, envPath, auditPath } = scope.paths;
  const files: StateFile[] = [
    { path: configPath, label: "config", private: true },
    { path: envPath, label: ".env", private: true },
    { path: auditPath, label: "audit log", private: false },
  ];
  for (const agent of scope.agents) {
    files.push(
      {
        path: authProfilesPath(stateDir, agent),
        label: `credential store of agent ${agent}`,
        private: true,
        schema: AuthProfilesFileSchema,
        agent,
      },
      {
        path: authStatePath(stateDir, agent),
        label: `auth state of agent ${agent}`,
        private: false,
        schema: AuthStateFileSchema,
        agent,
      },
      {
        path: sessionsPath(stateDir, agent),
        label: `sessions of agent ${agent}`,
        private: true,
        schema: SessionsFileSchema,
        agent,
      },
    );
  }
  return files;
}

/** Every state directory: the state dir, `agents/`, and each agent's dir, `agent/` and `sessions/`. */
export function stateDirsOf(scope: DoctorScope): string[] {
  const { stateDir } = scope.paths;
  const dirs = [stateDir, join(stateDir, "agents")];
  for (const agent of scope.agents) {
    dirs.push(
      join(stateDir, "agents", agent),
      agentDir(stateDir, agent),
      join(stateDir, "agents", agent, "sessions"),
    );
  }
  return dirs;
}
