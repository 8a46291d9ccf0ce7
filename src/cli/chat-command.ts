import { ConsoleAdapter } from "../../adapters/console/console-adapter.js";
import { ChatRuntime } from "../runtime/chat-runtime.js";
import { takeOwnerNotices } from "../runtime/expiry-notices.js";
import { runAdapters } from "../runtime/run-adapters.js";
import { type CliContext, openServices } from "./cli-context.js";
import { consoleLog } from "./console-log.js";
import { loadAuthForView } from "./models-claude-sync.js";

export interface ChatOptions {
  agent?: string;
  as?: string;
}

/** Default console user id: the console session is `agent:<id>:console:local`, whoever types. */
const CONSOLE_USER = "local";

/**
 * `tessera chat`: the router and commands in the terminal, on the same stores and the same chat
 * lifecycle as the gateway (the console is one more adapter). A REPL on a TTY; with piped stdin, one
 * message per line and each reply printed, so it can be scripted (`printf '/model list\n' | tessera
 * chat`). The console user is an owner; `--as <id>` only changes the id `/whoami` reports and the
 * audit log records (`console:<id>`). Ctrl-C or SIGTERM cancels a model call in flight at once (no
 * grace period: the person asked to stop).
 */
export async function runChat(ctx: CliContext, opts: ChatOptions): Promise<number> {
  const services = await openServices(ctx, opts.agent);
  // Like the views, pick up Claude Code's credential; an unreadable Claude Code file is only a warning.
  await loadAuthForView(ctx, services);
  const log = consoleLog(ctx.stderr);
  const runtime = new ChatRuntime({ services, log });
  const userId = opts.as?.trim() || CONSOLE_USER;
  // The console user is an owner: credential notices pending for this agent are shown up front.
  for (const notice of await takeOwnerNotices(services).catch(() => [])) ctx.stderr.write(`${notice}\n`);
  const console = new ConsoleAdapter({
    input: ctx.stdin,
    output: ctx.stdout,
    interactive: Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY),
    color: ctx.color,
    userId,
    banner:
      `Tessera console · agent ${services.agentId} · you are console:${userId} (owner)\n` +
      "Type /help for commands, a number to press a button, Ctrl-D to quit.",
  });
  return runAdapters({ runtime, adapters: [console], log, graceMs: 0, until: console.ended });
}
