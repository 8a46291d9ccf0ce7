import { helpCommand } from "../../commands/help.js";
import { modelCommand } from "../../commands/model.js";
import { newCommand } from "../../commands/new.js";
import { whoamiCommand } from "../../commands/whoami.js";
import { actionTokensPath, displayPath } from "../config/paths.js";
import { ActionTokens } from "../router/action-tokens.js";
import type { ChatServices } from "../router/chat-services.js";
import { CommandRegistry } from "../router/registry.js";
import { Router } from "../router/router.js";
import type { PlainMessageHandler } from "../router/types.js";
import { chatTurnHandler } from "./chat-turn.js";
import { type AgentServices, statusReportFor } from "./services.js";

/** The chat commands, in the order `/help` and the platform menus list them. */
export function chatCommandRegistry(): CommandRegistry {
  return new CommandRegistry([modelCommand, newCommand, whoamiCommand, helpCommand]);
}

export interface ComposeOptions {
  services: AgentServices;
  /** The agent turn; defaults to the real one (`chatTurnHandler`): tests may pass their own. */
  onPlainMessage?: PlainMessageHandler;
  /** Where the router reports what it cannot say in chat. */
  log?: (line: string) => void;
  /** Clock for pins, "3m ago" and button expiry; tests pass their own. */
  now?: () => number;
  /** Button tokens; defaults to the agent's persisted ones (`actionTokensPath`). */
  tokens?: ActionTokens;
}

/**
 * The composition root of the chat side: the one router with the registered commands, wired to the
 * agent's stores. Every surface (console, Telegram, Discord) builds its router here, so all of them
 * answer the same way.
 */
export function composeRouter(opts: ComposeOptions): Router {
  const now = opts.now ?? Date.now;
  const { services } = opts;
  const chat: ChatServices = {
    agentId: services.agentId,
    // Read at each use: a config reload (the gateway's) replaces services.config.
    get config() {
      return services.config;
    },
    sessions: services.sessions,
    auth: services.store,
    audit: services.audit,
    statusReport: (session, auth) =>
      statusReportFor(services, { pin: session.pin, sessionProvider: session.provider, auth, now: now() }),
    displayPath: (path) => displayPath(path, services.processEnv.HOME || undefined),
    now,
  };
  return new Router({
    services: chat,
    registry: chatCommandRegistry(),
    onPlainMessage:
      opts.onPlainMessage ??
      chatTurnHandler({
        services,
        // The answer was delivered; the write after it failed: the operator's log says what and how to fix it.
        onBookkeepingFailure: opts.log
          ? (failure) => opts.log!(`${failure.message} (fix: ${failure.fix})`)
          : undefined,
      }),
    log: opts.log,
    tokens: opts.tokens ?? new ActionTokens(actionTokensPath(services.paths.stateDir, services.agentId), now),
  });
}
