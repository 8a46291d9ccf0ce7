import type { Credential } from "../auth/credentials.js";
import type { Config } from "../config/schema.js";
import { parseRef, resolveModelInput } from "../models/catalog.js";
import { ownEntry } from "../own-entry.js";
import type { SessionEntry } from "./session-store.js";

/** The model a session talks to and why: its pin, else `models.default`. */
export interface SessionModel {
  ref: string;
  provider: string;
  model: string;
  source: "pin" | "default";
}

/** What the session's next model call uses; the agent turn and every view agree by calling this. */
export function sessionModel(config: Config, entry: SessionEntry | undefined): SessionModel {
  const pinned = entry?.model?.ref;
  const ref = pinned ?? config.models.default;
  const parsed = parseRef(ref) ?? { provider: "", model: ref };
  return { ref, ...parsed, source: pinned ? "pin" : "default" };
}

/** A pin that can no longer apply, with the reason in words. */
export interface InvalidPin {
  kind: "model" | "profile";
  value: string;
  reason: string;
}

/**
 * Pins that stopped making sense since they were set: a profile that was removed (`models auth
 * remove`), a model that `models.allow` no longer lists or whose provider left the config, a profile
 * of another provider than the session's model (the default changed under a profile-only pin).
 * The caller clears them and tells the session on its next message.
 */
export function invalidPins(
  config: Config,
  entry: SessionEntry | undefined,
  profiles: Record<string, Credential>,
): InvalidPin[] {
  const found: InvalidPin[] = [];
  let modelRef = entry?.model?.ref;
  if (modelRef !== undefined) {
    const resolved = resolveModelInput(config, modelRef);
    if (!resolved.ok) {
      found.push({
        kind: "model",
        value: modelRef,
        reason:
          resolved.reason === "not-allowed"
            ? "it is no longer in models.allow"
            : "its provider is no longer configured",
      });
      modelRef = undefined;
    }
  }
  const profileId = entry?.profile?.id;
  if (profileId !== undefined) {
    // Own properties only: a pin's id came from a person (`@constructor`).
    const credential = ownEntry(profiles, profileId);
    const provider = parseRef(modelRef ?? config.models.default)?.provider;
    if (!credential) {
      found.push({ kind: "profile", value: profileId, reason: "that profile no longer exists" });
    } else if (provider !== undefined && credential.provider !== provider) {
      found.push({
        kind: "profile",
        value: profileId,
        reason: `it is a credential for ${credential.provider}, and this chat's model now uses ${provider}`,
      });
    }
  }
  return found;
}
