import { execFile } from "node:child_process";
import { parseEnv } from "node:util";
import { readTextIfExists } from "../files/json-state-file.js";
import type { Config } from "./schema.js";

/** Where an environment value came from; status views print `env: NAME` or `shell env: NAME`. */
export type EnvOrigin = "process" | "dotenv" | "config" | "shell";

/** The credential-related variables Tessera looks for (PRODUCT §3), plus the channel tokens. */
export const KNOWN_ENV_KEYS = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_OAUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "OPENAI_API_KEY",
  "OPENROUTER_API_KEY",
  "TELEGRAM_BOT_TOKEN",
  "DISCORD_BOT_TOKEN",
] as const;

/**
 * The merged environment Tessera runs on, with the origin of each value. Built once per command; it
 * never writes `process.env`, so tests and the CLI can hold several snapshots side by side.
 */
export interface EnvSnapshot {
  get(name: string): { value: string; origin: EnvOrigin } | undefined;
  /** Keys the login-shell import supplied, in the order they were imported. */
  shellImported: string[];
  /** Why the login-shell import failed or was skipped, when enabled and it did not complete. */
  shellError?: string;
}

export interface LoadEnvOptions {
  processEnv?: NodeJS.ProcessEnv;
  envPath: string;
  config: Config;
  /** Keys to look for in the login shell; defaults to the known keys plus custom providers' `apiKeyEnv`. */
  wantedKeys?: string[];
}

/**
 * Merges the sources in PRODUCT §3 order, first wins and nothing set is overridden:
 * process env → `<state>/.env` → config `env.vars` → login-shell import (only for wanted keys still
 * missing, each on its own, never all-or-nothing).
 */
export async function loadEnvironment(opts: LoadEnvOptions): Promise<EnvSnapshot> {
  const processEnv = opts.processEnv ?? process.env;
  const merged = new Map<string, { value: string; origin: EnvOrigin }>();
  const offer = (name: string, value: string | undefined, origin: EnvOrigin) => {
    if (value === undefined || value === "" || merged.has(name)) return false;
    merged.set(name, { value, origin });
    return true;
  };
  for (const [name, value] of Object.entries(processEnv)) offer(name, value, "process");
  const dotenvText = await readTextIfExists(opts.envPath);
  if (dotenvText !== undefined) {
    for (const [name, value] of Object.entries(parseEnv(dotenvText))) offer(name, value, "dotenv");
  }
  for (const [name, value] of Object.entries(opts.config.env.vars)) offer(name, value, "config");

  const shellImported: string[] = [];
  let shellError: string | undefined;
  const wanted = opts.wantedKeys ?? defaultWantedKeys(opts.config);
  const missing = wanted.filter((key) => !merged.has(key));
  if (opts.config.env.shellEnv.enabled && missing.length > 0) {
    const shell = processEnv.SHELL || "/bin/sh";
    try {
      const shellEnv = await readLoginShellEnv(shell, opts.config.env.shellEnv.timeoutMs, processEnv);
      for (const key of missing) if (offer(key, shellEnv.get(key), "shell")) shellImported.push(key);
    } catch (err) {
      shellError = `login-shell import (${shell} -l -c 'env -0') failed: ${(err as Error).message}`;
    }
  }
  return { get: (name) => merged.get(name), shellImported, shellError };
}

export function defaultWantedKeys(config: Config): string[] {
  const custom = Object.values(config.models.providers).flatMap((p) => (p.apiKeyEnv ? [p.apiKeyEnv] : []));
  return [...new Set([...KNOWN_ENV_KEYS, ...custom])];
}

/**
 * Runs the user's login shell once and returns the environment it ends up with. Daemons started by
 * systemd or launchd do not inherit the variables a user exports in their shell profile; this is how
 * they get them anyway. Bounded by a timeout and an output cap; stdin is closed so a prompt cannot hang.
 */
export function readLoginShellEnv(
  shell: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      shell,
      ["-l", "-c", "env -0"],
      { timeout: timeoutMs, maxBuffer: 2 * 1024 * 1024, env, encoding: "utf8" },
      (err, stdout) => {
        if (err) {
          const timedOut = (err as NodeJS.ErrnoException & { killed?: boolean }).killed;
          reject(
            new Error(timedOut ? `timed out after ${timeoutMs}ms (env.shellEnv.timeoutMs)` : err.message),
          );
          return;
        }
        const result = new Map<string, string>();
        for (const entry of stdout.split("\0")) {
          const eq = entry.indexOf("=");
          if (eq > 0) result.set(entry.slice(0, eq), entry.slice(eq + 1));
        }
        resolve(result);
      },
    );
    child.stdin?.end();
  });
}

/** A snapshot of just the given values, for tests and for callers that already hold the env. */
export function envSnapshotOf(values: Record<string, string>, origin: EnvOrigin = "process"): EnvSnapshot {
  return {
    get: (name) => (values[name] ? { value: values[name], origin } : undefined),
    shellImported: [],
  };
}
