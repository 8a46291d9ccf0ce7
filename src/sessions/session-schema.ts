import { z } from "zod";

/**
 * What a session holds: pins and recent history. A pin records who set it, when, and the source
 * (`user`: set by a person; Tessera never pins on its own — it only clears a pin that became
 * invalid, and says so).
 */
const pinMeta = {
  /** The actor that set it: `telegram:123`, `console:local`, `cli:alice`. */
  setBy: z.string(),
  setAt: z.number(),
  source: z.enum(["user"]),
};
const ModelPinSchema = z.looseObject({ ref: z.string().min(1), ...pinMeta });
const ProfilePinSchema = z.looseObject({ id: z.string().min(1), ...pinMeta });
const HistoryMessageSchema = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  at: z.number().optional(),
});
export const SessionEntrySchema = z.looseObject({
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Pinned model, `provider/model`. */
  model: ModelPinSchema.optional(),
  /** Pinned credential (profile id); only owners can set it. */
  profile: ProfilePinSchema.optional(),
  history: z.array(HistoryMessageSchema).default([]),
  /** When `/new` last started a fresh conversation. */
  conversationStartedAt: z.number().optional(),
});

/**
 * One session's file, `sessions/<hh>/<hash>.json` (see `sessionFilePath`). It names its own key, so
 * a listing reads keys from the files and needs no index, and a file copied to the wrong name is
 * recognised. `revision` counts the changes written to it (a write that changes nothing is skipped
 * and not counted), so two versions of a session can be told apart without comparing their history
 * — and a lost update shows as a count that falls short. `session` is absent only in the empty value
 * of a session never written.
 */
export const SessionFileSchema = z.looseObject({
  version: z.number(),
  key: z.string().min(1),
  revision: z.number().int().nonnegative().default(0),
  session: SessionEntrySchema.optional(),
});

/** The single-file layout before issue 11 (`sessions/sessions.json`), read only by the migration and doctor. */
export const LegacySessionsFileSchema = z.looseObject({
  version: z.number().default(1),
  sessions: z.record(z.string(), SessionEntrySchema).default({}),
});

export type HistoryMessage = z.infer<typeof HistoryMessageSchema>;
export type SessionEntry = z.infer<typeof SessionEntrySchema>;
export type SessionFile = z.infer<typeof SessionFileSchema>;
export type LegacySessionsFile = z.infer<typeof LegacySessionsFileSchema>;

/** The `version` this build writes into session files. */
export const SESSION_FILE_VERSION = 1;
