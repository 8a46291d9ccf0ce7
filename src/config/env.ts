import { spawn } from "node:child_process";
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
  /** `<state>/.env`; undefined skips it (doctor, when the file cannot be read at all). */
  envPath: string | undefined;
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
    // An empty (or blank) value does not count as set: `KEY=` in a unit file must not hide `.env`.
    if (value === undefined || value.trim() === "" || merged.has(name)) return false;
    merged.set(name, { value, origin });
    return true;
  };
  for (const [name, value] of Object.entries(processEnv)) offer(name, value, "process");
  const dotenvText = opts.envPath === undefined ? undefined : await readTextIfExists(opts.envPath);
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

/**
 * The keys the login-shell import looks for when the caller names none: the known credential and
 * channel variables plus every `apiKeyEnv` a provider in config declares.
 */
export function defaultWantedKeys(config: Config): string[] {
  const custom = Object.values(config.models.providers).flatMap((p) => (p.apiKeyEnv ? [p.apiKeyEnv] : []));
  return [...new Set([...KNOWN_ENV_KEYS, ...custom])];
}

/** Output cap for the login shell: an environment is a few KiB; more means something is wrong. */
const SHELL_OUTPUT_CAP = 2 * 1024 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs the user's login shell once and returns the environment it ends up with. Daemons started by
 * systemd or launchd do not inherit the variables a user exports in their shell profile; this is how
 * they get them anyway. Bounded by a timeout and an output cap. The shell runs in its own session
 * (no terminal, stdin closed, so a prompt cannot hang it); on timeout, and once the shell exits, its
 * whole process group is killed, so a hung or backgrounded command in a profile script is neither
 * waited for nor left behind as an orphan.
 */
export function readLoginShellEnv(
  shell: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(shell, ["-l", "-c", "env -0"], {
        env,
        detached: true,
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch (err) {
      reject(err as Error);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    const stop = (why: string) => {
      failure ??= why;
      killGroup(child);
    };
    const timer = setTimeout(
      () => stop(`timed out after ${timeoutMs}ms (env.shellEnv.timeoutMs)`),
      timeoutMs,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > SHELL_OUTPUT_CAP) stop(`printed more than ${SHELL_OUTPUT_CAP} bytes`);
      else chunks.push(chunk);
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // When the shell exits, whatever its profile left running in the session goes too: such a process
    // would keep our stdout pipe open (and `close` would wait for it), and nobody else would reap it.
    child.on("exit", () => killGroup(child));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(new Error(failure));
      else if (code !== 0) reject(new Error(signal ? `killed by ${signal}` : `exited with status ${code}`));
      else resolve(parseEnvZero(Buffer.concat(chunks).toString("utf8")));
    });
  });
}

/**
 * Parses `env -0` output (`KEY=value\0` entries; values may hold newlines). A profile script that
 * prints a banner before `env` runs leaves text in front of the first key: only the part after the
 * last newline before `=` is the key, and anything that is not a variable name is dropped.
 */
export function parseEnvZero(output: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const entry of output.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const head = entry.slice(0, eq);
    const name = head.slice(head.lastIndexOf("\n") + 1);
    if (ENV_NAME.test(name)) result.set(name, entry.slice(eq + 1));
  }
  return result;
}

function killGroup(child: ReturnType<typeof spawn>): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** A snapshot of just the given values, for tests and for callers that already hold the env. */
export function envSnapshotOf(values: Record<string, string>, origin: EnvOrigin = "process"): EnvSnapshot {
  return {
    get: (name) => {
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      return value?.trim() ? { value, origin } : undefined;
    },
    shellImported: [],
  };
}
