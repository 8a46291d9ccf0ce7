import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { type CliContext, type GlobalOptions, processCliContext, reportError } from "./cli-context.js";
import { registerAdminCommands } from "./register-admin.js";
import { registerChatCommands } from "./register-chat.js";
import { registerModelsCommands } from "./register-models.js";

/**
 * A command's action: runs with the CLI context and returns the process exit code. Registration
 * files declare flags with commander and import the implementation only inside the action, so
 * `tessera models status` never loads what `tessera onboard` needs.
 */
export type RunCommand<A extends unknown[]> = (ctx: CliContext, ...commanderArgs: A) => Promise<number>;

/**
 * Wraps an action for commander: the action receives the context first, then commander's own
 * arguments (positional args, the options object, the Command).
 */
// biome-ignore lint/suspicious/noExplicitAny: commander passes positional args of any shape
export type Runner = <A extends any[]>(action: RunCommand<A>) => (...args: A) => Promise<void>;

/**
 * Builds the `tessera` program. Each registration file adds its commands; `run` wraps an action so
 * that it receives the context and its exit code and errors land in one place. Only what `argv` can
 * reach is declared (declaring the ~40 commands is ~2 ms, a fair share of the CLI's own start-up):
 * none for a bare `--version`, the `models` group for `tessera models …` (commander dispatches on the
 * first argument and never looks at the other top-level commands), all of them otherwise — `--help`,
 * a global option first, any other command.
 */
function buildProgram(argv: string[]): { program: Command; exitCode: () => number } {
  let code = 0;
  const program = new Command("tessera")
    .description("Self-hosted Telegram/Discord LLM gateway with per-session model and credential control")
    .version(VERSION, "-V, --version")
    .option("--state-dir <dir>", "state directory (default: $TESSERA_STATE_DIR or ~/.tessera)")
    .option("--config <path>", "config file (default: $TESSERA_CONFIG or <state dir>/config.json)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const run: Runner =
    (action) =>
    async (...args) => {
      const ctx = processCliContext(program.opts<GlobalOptions>());
      try {
        code = await action(ctx, ...args);
      } catch (err) {
        code = reportError(ctx, err);
      }
    };
  if (isBareVersion(argv)) return { program, exitCode: () => code };
  registerModelsCommands(program, run);
  if (argv[2] === "models") return { program, exitCode: () => code };
  registerAdminCommands(program, run);
  registerChatCommands(program, run);
  return { program, exitCode: () => code };
}

/**
 * `tessera --version` (or `-V`) alone: commander prints the version while it reads the program's own
 * options, before it looks for a subcommand, so the subcommands would change nothing.
 */
function isBareVersion(argv: string[]): boolean {
  return argv.length === 3 && (argv[2] === "--version" || argv[2] === "-V");
}

/** Entry point used by `bin/tessera.js`; returns the exit code instead of exiting. */
export async function main(argv: string[]): Promise<number> {
  endQuietlyWhenOutputCloses();
  const { program, exitCode } = buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 1;
    }
    return reportError({ stderr: process.stderr }, err);
  }
  return exitCode();
}

let closing = false;

/**
 * A reader that stops early (`tessera audit | head -1`, `tessera chat | head`) closes our stdout, and
 * the next write fails with EPIPE. That is the reader saying it has read enough, not an error: the
 * command ends quietly with exit code 0 instead of Node's unhandled-'error' stack trace (and a chat
 * stops answering — nobody reads the answers any more, and each would be a paid model call). State
 * writes already under way (a session's history, batched credential usage) are finished first. The
 * same holds for stderr (`2>&1 | head`). Other stream errors stay errors.
 */
function endQuietlyWhenOutputCloses(): void {
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    if (closing) return;
    closing = true;
    void finishStateWrites().finally(() => process.exit(0));
  };
  process.stdout.on("error", onError);
  process.stderr.on("error", onError);
}

async function finishStateWrites(): Promise<void> {
  const [{ settleSessionWrites }, { flushDeferredSuccesses }] = await Promise.all([
    import("../sessions/session-store.js"),
    import("../auth/deferred-successes.js"),
  ]);
  await Promise.allSettled([settleSessionWrites(), flushDeferredSuccesses()]);
}
