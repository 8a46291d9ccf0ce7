import { join } from "node:path";
import type { z } from "zod";
import { AuthStateFileSchema } from "../auth/auth-state.js";
import { AuthProfilesFileSchema } from "../auth/credentials.js";
import {
  agentDir,
  authProfilesPath,
  authStatePath,
  legacySessionsPath,
  sessionsDir,
} from "../config/paths.js";
import {
  listSessionFiles,
  listShardDirs,
  type SessionScan,
  scanSessionFiles,
} from "../sessions/session-files.js";
import { LEGACY_BACKUP_SUFFIX } from "../sessions/session-migration.js";
import { LegacySessionsFileSchema, SessionFileSchema } from "../sessions/session-schema.js";
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
        path: legacySessionsPath(stateDir, agent),
        label: `sessions of agent ${agent} in the old single-file layout, not migrated yet`,
        private: true,
        schema: LegacySessionsFileSchema,
        agent,
      },
      {
        path: `${legacySessionsPath(stateDir, agent)}${LEGACY_BACKUP_SUFFIX}`,
        label: `backup of agent ${agent}'s sessions from before the migration`,
        private: true,
        agent,
      },
    );
  }
  return files;
}

/**
 * Every session file of every agent (`sessions/<hh>/<hash>.json`), listed from disk: one per
 * session, so checks that use this pay per session — doctor is where that is meant to happen.
 * Listed once per doctor run (scope) and shared by the checks.
 */
export function sessionFilesOf(scope: DoctorScope): Promise<StateFile[]> {
  const memo = memoOf(scope);
  memo.files ??= listAll(scope);
  return memo.files;
}

async function listAll(scope: DoctorScope): Promise<StateFile[]> {
  const files: StateFile[] = [];
  for (const agent of scope.agents) {
    const paths = await listSessionFiles(sessionsDir(scope.paths.stateDir, agent)).catch(() => []);
    for (const path of paths) {
      files.push({
        path,
        label: `session file of agent ${agent}`,
        private: true,
        schema: SessionFileSchema,
        agent,
      });
    }
  }
  return files;
}

/**
 * Every session file of one agent read and validated (`scanSessionFiles`), once per doctor run and
 * shared by the checks: the layout, pin and corrupt-file checks each need all of them, and at
 * 100,000 sessions one pass is what a doctor run can afford.
 */
export function sessionScanOf(scope: DoctorScope, agent: string): Promise<SessionScan> {
  const memo = memoOf(scope);
  memo.scans ??= new Map();
  const scans = memo.scans;
  let scan = scans.get(agent);
  if (!scan) {
    scan = scanSessionFiles(sessionsDir(scope.paths.stateDir, agent));
    scans.set(agent, scan);
  }
  return scan;
}

const memos = new WeakMap<
  DoctorScope,
  { files?: Promise<StateFile[]>; scans?: Map<string, Promise<SessionScan>> }
>();

function memoOf(scope: DoctorScope) {
  let memo = memos.get(scope);
  if (!memo) {
    memo = {};
    memos.set(scope, memo);
  }
  return memo;
}

/** The session shard directories (`sessions/<hh>`) of every agent, listed from disk. */
export async function sessionDirsOf(scope: DoctorScope): Promise<string[]> {
  const dirs: string[] = [];
  for (const agent of scope.agents) {
    dirs.push(...(await listShardDirs(sessionsDir(scope.paths.stateDir, agent)).catch(() => [])));
  }
  return dirs;
}

/** Every state directory: the state dir, `agents/`, and each agent's dir, `agent/` and `sessions/`. */
export function stateDirsOf(scope: DoctorScope): string[] {
  const { stateDir } = scope.paths;
  const dirs = [stateDir, join(stateDir, "agents")];
  for (const agent of scope.agents) {
    dirs.push(join(stateDir, "agents", agent), agentDir(stateDir, agent), sessionsDir(stateDir, agent));
  }
  return dirs;
}
