import type { Readable, Writable } from "node:stream";
import { showControlChars } from "../control-chars.js";
import { isTesseraError } from "../errors.js";
import type { AgentServices } from "../runtime/services.js";

/** Options every command accepts (`--state-dir`, `--config`); read by commander in main.ts. */
export interface GlobalOptions {
  stateDir?: string;
  config?: string;
}

/**
 * What a command runs against: its streams, environment and the global options. Commands take this
 * instead of touching `process` so they stay testable and never print from library code.
 */
export interface CliContext {
  globals: GlobalOptions;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** ANSI colour only on a TTY and when `NO_COLOR` is unset. */
  color: boolean;
}

export function processCliContext(globals: GlobalOptions): CliContext {
  return {
    globals,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  };
}

/**
 * Opens the agent a command works on (`--agent`, else the configured default) and prints the
 * config's in-memory migration notices (stderr, one line each, so stdout stays clean for `--json`).
 * Imported on demand so that `--help`, `--version` and usage errors never load config, zod or the stores.
 */
export async function openServices(ctx: CliContext, agent?: string): Promise<AgentServices> {
  const { openAgentServices } = await import("../runtime/services.js");
  const services = await openAgentServices({
    stateDir: ctx.globals.stateDir,
    configPath: ctx.globals.config,
    agent,
    processEnv: ctx.env,
  });
  for (const notice of services.configNotices)
    ctx.stderr.write(`notice: migrated in memory: ${notice} (tessera doctor --fix writes it)\n`);
  return services;
}

/** The CLI's error format: `error: …` and `  fix: …` on stderr. Returns the exit code (1). */
export function reportError(ctx: Pick<CliContext, "stderr">, err: unknown): number {
  // An error may quote what was typed (`models auth remove $'x\e[2J'`): shown, never obeyed.
  const show = (text: string) => showControlChars(text, { keepLayout: true });
  if (isTesseraError(err)) {
    ctx.stderr.write(`error: ${show(err.message)}\n`);
    if (err.hint) ctx.stderr.write(`  fix: ${show(err.hint)}\n`);
  } else {
    ctx.stderr.write(`error: ${show(err instanceof Error ? err.message : String(err))}\n`);
  }
  return 1;
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The actor recorded in the audit log for CLI changes: `cli:<os user>`. */
export function cliActor(ctx: CliContext): { actor: string; surface: string } {
  return { actor: `cli:${ctx.env.USER ?? ctx.env.LOGNAME ?? "unknown"}`, surface: "cli" };
}
