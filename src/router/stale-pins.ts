import type { Actor } from "../audit/audit-log.js";
import { parseRef } from "../models/catalog.js";
import { invalidPins } from "../sessions/session-model.js";
import type { ChatServices } from "./chat-services.js";
import { bold, code, escapeMarkup } from "./markup.js";

/** Tessera itself, as the audit log names it when it clears a pin that became invalid. */
export const TESSERA_ACTOR: Actor = { actor: "tessera", surface: "chat" };

/**
 * Clears the session's pins that no longer apply (a removed profile, a model no longer allowed) and
 * returns one notice per cleared pin, with the fix, to show on this message. Each pin is cleared
 * and reported once, even when several messages of the session arrive together.
 */
export async function clearInvalidPins(services: ChatServices, sessionKey: string): Promise<string[]> {
  const entry = await services.sessions.get(sessionKey);
  if (!entry?.model && !entry?.profile) return [];
  const { profiles } = await services.auth.load();
  const invalid = invalidPins(services.config, entry, profiles.profiles);
  const fallback = services.config.models.default;
  const modelNow = invalid.some((p) => p.kind === "model") ? fallback : (entry.model?.ref ?? fallback);
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
          `it now uses the default, ${code(fallback)}. Pick another with /model list.`,
      );
    } else {
      const provider = parseRef(modelNow)?.provider ?? "its provider";
      notices.push(
        `${bold("Note:")} this chat's pinned credential ${code(pin.value)} was unpinned because ${escapeMarkup(pin.reason)}; ` +
          `it now uses the default credential order for ${escapeMarkup(provider)}. ` +
          `An owner can pin another with /model @<profile> (see /model status).`,
      );
    }
  }
  return notices;
}
