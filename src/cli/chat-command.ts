import { runConsole } from "../../adapters/console/console-adapter.js";
import { closeProviderPool } from "../models/providers/http-pool.js";
import { chatTurnHandler } from "../runtime/chat-turn.js";
import { composeRouter } from "../runtime/compose.js";
import { takeOwnerNotices } from "../runtime/expiry-notices.js";
import { SessionStore } from "../sessions/session-store.js";
import { type CliContext, openServices } from "./cli-context.js";
import { loadAuthForView } from "./models-claude-sync.js";

export interface ChatOptions {
  agent?: string;
  as?: string;
}

/** Default console user id: the console session is `agent:<id>:console:local`, whoever types. */
const CONSOLE_USER = "local";

/**
 * `tessera chat`: the router and commands in the terminal, on the same stores as the gateway. A
 * REPL on a TTY; with piped stdin, one message per line and each reply printed, so it can be
 * scripted (`printf '/model list\n' | tessera chat`). The console user is an owner; `--as <id>`
 * only changes the id `/whoami` reports and the audit log records (`console:<id>`).
 */
export async function runChat(ctx: CliContext, opts: ChatOptions): Promise<number> {
  const services = await openServices(ctx, opts.agent);
  // Like the views, pick up Claude Code's credential; an unreadable Claude Code file is only a warning.
  await loadAuthForView(ctx, services);
  const sessions = new SessionStore(services.paths.stateDir, services.agentId, services.audit);
  // Ctrl-C (or SIGTERM) cancels a model call in flight instead of waiting out its timeout.
  const shutdown = new AbortController();
  const router = composeRouter({
    services,
    sessions,
    onPlainMessage: chatTurnHandler({ services, sessions, signal: shutdown.signal }),
    log: (line) => ctx.stderr.write(`${line}\n`),
  });
  const userId = opts.as?.trim() || CONSOLE_USER;
  // The console user is an owner: credential notices pending for this agent are shown up front.
  for (const notice of await takeOwnerNotices(services).catch(() => [])) ctx.stderr.write(`${notice}\n`);
  const interactive = Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY);
  const stop = () => shutdown.abort();
  process.once("SIGTERM", stop);
  try {
    return await runConsole({
      input: ctx.stdin,
      output: ctx.stdout,
      interactive,
      color: ctx.color,
      userId,
      banner:
        `Tessera console · agent ${services.agentId} · you are console:${userId} (owner)\n` +
        "Type /help for commands, a number to press a button, Ctrl-D to quit.",
      handle: (message) => router.handle(message),
      onInterrupt: stop,
    });
  } finally {
    process.off("SIGTERM", stop);
    await closeProviderPool();
  }
}
