import { type CliResult, runCli } from "../cli/models-harness.js";

/** Runs `tessera chat …` as a child process with `input` piped to stdin (not a TTY). */
export function chat(env: NodeJS.ProcessEnv, input: string, args: string[] = []): Promise<CliResult> {
  const defined = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined);
  return runCli(["chat", ...args], { input, env: Object.fromEntries(defined) });
}
