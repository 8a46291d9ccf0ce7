import type { PlainMessageHandler, Reply } from "../router/types.js";
import { sessionModel } from "../sessions/session-model.js";
import { type AgentTurnDeps, AgentTurnRunner } from "./agent-turn.js";
import { takeOwnerNotices } from "./expiry-notices.js";
import type { AgentServices } from "./services.js";

/** How often an owner's answers carry a check for new credential notices. */
const NOTICE_CHECK_INTERVAL_MS = 60_000;

export interface ChatTurnOptions {
  services: AgentServices;
  runner?: AgentTurnRunner;
  /** Where a failed write after a delivered answer is reported (the gateway's log, the console's stderr). */
  onBookkeepingFailure?: AgentTurnDeps["onBookkeepingFailure"];
}

/**
 * The router's plain-message handler: the session's model (its pin, else `models.default`) and its
 * pinned profile for that provider go to the agent turn; the answer comes back as plain text (model
 * output is never read as markup). Owners see which credential answered after a failover and the
 * full error with its fix; others see that something failed and who can fix it, without credential
 * details. Owners also get each pending credential notice once, below the answer.
 */
export function chatTurnHandler(opts: ChatTurnOptions): PlainMessageHandler {
  const runner =
    opts.runner ??
    new AgentTurnRunner({
      services: opts.services,
      memory: opts.services.sessions,
      onBookkeepingFailure: opts.onBookkeepingFailure,
    });
  // Notices change on the scale of hours; checking them costs a status report, so not every message.
  let noticesCheckedAt = Number.NEGATIVE_INFINITY;
  return async ({ message, sessionKey, session, isOwner, onDelta, signal }) => {
    const model = sessionModel(opts.services.config, session);
    const result = await runner.run({
      sessionKey,
      text: message.text,
      model: { provider: model.provider, model: model.model },
      pin: session?.profile?.id,
      history: (session?.history ?? []).map(({ role, content }) => ({ role, content })),
      onDelta,
      signal,
    });
    const lines: string[] = [];
    if (result.error) {
      lines.push(
        isOwner
          ? `No answer from ${result.model}: ${result.error.message}\nfix: ${result.error.fix}`
          : `No answer from ${result.model} right now. The bot's owner can see why with \`tessera models status\`.`,
      );
    } else {
      lines.push(result.text || "(the model sent an empty answer)");
      if (result.note) lines.push(isOwner ? `— ${result.note}` : "— answered with a backup credential");
    }
    if (isOwner && Date.now() - noticesCheckedAt >= NOTICE_CHECK_INTERVAL_MS) {
      noticesCheckedAt = Date.now();
      lines.push(...(await takeOwnerNotices(opts.services).catch(() => [])));
    }
    const reply: Reply = { text: lines.join("\n\n"), format: "plain" };
    return reply;
  };
}
