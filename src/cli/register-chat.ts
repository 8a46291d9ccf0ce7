import { type Command, Option } from "commander";
import { LOG_LEVELS } from "../runtime/log-levels.js";
import type { GatewayFlags } from "./gateway-command.js";
import type { Runner } from "./main.js";
import { registerGatewayServiceCommands } from "./register-gateway-service.js";

/**
 * Registers `tessera chat` (the console adapter) and `tessera gateway`. The implementations are
 * imported inside the actions, so other commands never load the router, the chat commands, readline,
 * pino or a platform library.
 */
export function registerChatCommands(program: Command, run: Runner): void {
  program
    .command("chat")
    .description("Chat with the gateway's router in the terminal (the same commands as Telegram/Discord)")
    .option("--agent <id>", "agent to use (default: the configured default agent)")
    .option("--as <userId>", "console user id shown by /whoami and in the audit log (default: local)")
    .action(
      run(async (ctx, opts: { agent?: string; as?: string }) => {
        const { runChat } = await import("./chat-command.js");
        return runChat(ctx, opts);
      }),
    );

  const gateway = program
    .command("gateway")
    .description("Run the enabled chat adapters (Telegram, Discord) until SIGINT/SIGTERM")
    .option("--agent <id>", "agent to use (default: the configured default agent)")
    .addOption(
      new Option("--log-level <level>", "least severe log lines written").choices(LOG_LEVELS).default("info"),
    )
    .option("--console", "also serve the local console on this terminal (stdin/stdout), like tessera chat")
    .addHelpText(
      "after",
      `
Logs go to stderr: JSON lines (one object per line: level, time, msg, channel, …), or readable
coloured lines when stderr is a terminal. No secret is ever written to the log.
SIGINT or SIGTERM: stop taking messages, let answers in flight finish (at most 10 s; the rest are
cancelled and their chats told to send again), then exit 0. A second signal exits at once.
One gateway runs per state dir; a second one exits 1 naming the first one's pid.`,
    )
    .action(
      run(async (ctx, flags: GatewayFlags) => {
        const { runGatewayCommand } = await import("./gateway-command.js");
        return runGatewayCommand(ctx, flags);
      }),
    );
  registerGatewayServiceCommands(gateway, run);

  gateway
    .command("status")
    .description(
      "Whether this state dir's gateway runs: pid, config, each adapter's state (exit 1 when not running)",
    )
    .option("--json", "machine-readable output")
    .action(
      run(async (ctx, opts: { json?: boolean }) => {
        const { runGatewayStatus } = await import("./gateway-status-command.js");
        return runGatewayStatus(ctx, opts);
      }),
    );
}
