import type { Actor } from "../audit/audit-log.js";
import type { AuthSnapshot } from "../auth/auth-store.js";
import { invalidPins, sessionModel } from "../sessions/session-model.js";
import type { SessionEntry } from "../sessions/session-store.js";
import type { ChatServices } from "./chat-services.js";
import { bold, code, escapeMarkup } from "./markup.js";

/** Tessera itself, as the audit log names it when it clears a pin that became invalid. */
const TESSERA_ACTOR: Actor = { actor: "tessera", surface: "chat" };

/**
 * Reads the session a message belongs to and clears its pins that no longer apply (a removed
 * profile, a model no longer allowed), returning the session as this message sees it (those pins
 * gone) and one notice per cleared pin, with the fix. Each pin is cleared and reported once, even
 * when several messages of the session arrive together.
 */
export async function settleSession(
  services: ChatServices,
  sessionKey: string,
  authSnapshot: () => Promise<AuthSnapshot>,
): Promise<{ session: SessionEntry | undefined; notices: string[] }> {
  const entry = await services.sessions.get(sessionKey);
  if (!entry?.model && !entry?.profile) return { session: entry, notices: [] };
  const { profiles } = await authSnapshot();
  const invalid = invalidPins(services.config, entry, profiles.profiles);
  if (invalid.length === 0) return { session: entry, notices: [] };
  const session = { ...entry };
  for (const pin of invalid) delete session[pin.kind];
  const now = sessionModel(services.config, session);
  const notices: string[] = [];
  for (const pin of invalid) {
    const cleared = await services.sessions.clearPinIf(
      sessionKey,
      pin.kind,
      pin.value,
      pin.reason,
      TESSERA_ACTOR,
    );
    if (!cleared) continue;
    if (pin.kind === "model") {
      notices.push(
        `${bold("Note:")} this chat's pinned model ${code(pin.value)} was unpinned because ${escapeMarkup(pin.reason)}; ` +
          `it now uses the default, ${code(now.ref)}. Pick another with /model list.`,
      );
    } else {
      notices.push(
        `${bold("Note:")} this chat's pinned credential ${code(pin.value)} was unpinned because ${escapeMarkup(pin.reason)}; ` +
          `it now uses the default credential order for ${escapeMarkup(now.provider || "its provider")}. ` +
          `An owner can pin another with /model @<profile> (see /model status).`,
      );
    }
  }
  return { session, notices };
}
