import type { Command } from "commander";
import type { Runner } from "./main.js";

/**
 * Registers `tessera chat` (the console adapter). The implementation is imported inside the action,
 * so other commands never load the router, the chat commands or readline.
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
}
