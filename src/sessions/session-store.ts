import { z } from "zod";
import type { Actor, AuditLog } from "../audit/audit-log.js";
import { sessionsPath } from "../config/paths.js";
import { JsonStateFile } from "../files/json-state-file.js";

/**
 * Per-session state in `<state>/agents/<agentId>/sessions/sessions.json`: pins and recent history.
 * A pin records who set it, when, and the source (`user`: set by a person; Tessera never pins on
 * its own — it only clears a pin that became invalid, and says so).
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
const SessionEntrySchema = z.looseObject({
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
export const SessionsFileSchema = z.looseObject({
  version: z.number().default(1),
  sessions: z.record(z.string(), SessionEntrySchema).default({}),
});

export type HistoryMessage = z.infer<typeof HistoryMessageSchema>;
export type SessionEntry = z.infer<typeof SessionEntrySchema>;
export type SessionsFile = z.infer<typeof SessionsFileSchema>;

const emptySessions = (): SessionsFile => ({ version: 1, sessions: {} });

/** At most this many messages of history are kept per session (oldest dropped first). */
export const HISTORY_MAX_MESSAGES = 40;
/** …and at most this many characters in total, so a session's context stays affordable. */
export const HISTORY_MAX_CHARS = 32_000;
/** One message longer than this is stored cut, with a marker, so one paste cannot evict everything. */
export const HISTORY_MAX_MESSAGE_CHARS = 16_000;
const CUT_MARKER = "\n[… cut: message too long to keep in history]";

/**
 * A pin change: a string sets, `null` clears, `undefined` leaves that pin as it is. Model and profile
 * change in one locked write, so `/model sonnet@anthropic:work` never lands half-applied.
 */
export interface PinChange {
  model?: string | null;
  profile?: string | null;
}

export interface Pins {
  model?: string;
  profile?: string;
}

/**
 * The sessions of one agent, on the files layer (locked read-modify-write, atomic, 0600). Every pin
 * change is one locked update and is audited with who made it; several routers and processes can
 * write at once without losing each other's changes.
 */
export class SessionStore {
  private readonly file: JsonStateFile<SessionsFile>;

  constructor(
    stateDir: string,
    readonly agentId: string,
    readonly auditLog?: AuditLog,
    private readonly now: () => number = Date.now,
  ) {
    this.file = new JsonStateFile(sessionsPath(stateDir, agentId), SessionsFileSchema, emptySessions);
  }

  get path(): string {
    return this.file.path;
  }

  /** The session as on disk now, or undefined when it has never pinned or talked. */
  async get(key: string): Promise<SessionEntry | undefined> {
    return (await this.file.read()).sessions[key];
  }

  /** Every session, for `doctor` (pins pointing at missing profiles) and tests. */
  async all(): Promise<Record<string, SessionEntry>> {
    return (await this.file.read()).sessions;
  }

  /** Applies a pin change (see `PinChange`) and audits each pin that actually changed. */
  async setPins(key: string, change: PinChange, who: Actor): Promise<{ before: Pins; after: Pins }> {
    const now = this.now();
    const result = await this.file.update((data) => {
      const existing = data.sessions[key];
      const before: Pins = { model: existing?.model?.ref, profile: existing?.profile?.id };
      const after: Pins = {
        model: change.model === undefined ? before.model : (change.model ?? undefined),
        profile: change.profile === undefined ? before.profile : (change.profile ?? undefined),
      };
      if (after.model === before.model && after.profile === before.profile) return { before, after };
      const entry = existing ?? newEntry(now);
      const meta = { setBy: who.actor, setAt: now, source: "user" as const };
      if (after.model !== before.model) {
        if (after.model === undefined) delete entry.model;
        else entry.model = { ref: after.model, ...meta };
      }
      if (after.profile !== before.profile) {
        if (after.profile === undefined) delete entry.profile;
        else entry.profile = { id: after.profile, ...meta };
      }
      entry.updatedAt = now;
      data.sessions[key] = entry;
      return { before, after };
    });
    await this.auditPinChanges(key, result.before, result.after, who);
    return result;
  }

  /** Clears both pins: the session follows the configured default model and credential order again. */
  reset(key: string, who: Actor) {
    return this.setPins(key, { model: null, profile: null }, who);
  }

  /**
   * Clears a pin only if it still holds `value` (another message may have changed it meanwhile), for
   * pins that became invalid. Returns whether this call cleared it; audited with `reason`.
   */
  async clearPinIf(
    key: string,
    kind: "model" | "profile",
    value: string,
    reason: string,
    who: Actor,
  ): Promise<boolean> {
    const now = this.now();
    const cleared = await this.file.update((data) => {
      const entry = data.sessions[key];
      const current = kind === "model" ? entry?.model?.ref : entry?.profile?.id;
      if (!entry || current !== value) return false;
      delete entry[kind];
      entry.updatedAt = now;
      return true;
    });
    if (cleared) {
      await this.auditLog?.append(who, "pin.clear", {
        agent: this.agentId,
        target: key,
        detail: `${kind} ${value}: ${reason}`,
      });
    }
    return cleared;
  }

  /**
   * Adds messages to the session's history and trims it: at most `HISTORY_MAX_MESSAGES` messages and
   * `HISTORY_MAX_CHARS` characters, oldest first out, and never starting with an assistant message
   * (provider APIs expect the user to speak first).
   */
  async appendHistory(
    key: string,
    messages: { role: "user" | "assistant"; content: string }[],
  ): Promise<void> {
    if (messages.length === 0) return;
    const now = this.now();
    await this.file.update((data) => {
      const entry = data.sessions[key] ?? newEntry(now);
      entry.history = capHistory([
        ...entry.history,
        ...messages.map((m) => ({ role: m.role, content: m.content, at: now })),
      ]);
      entry.updatedAt = now;
      data.sessions[key] = entry;
    });
  }

  /** The session's recent conversation, oldest first, as a model call needs it. */
  async history(key: string): Promise<{ role: "user" | "assistant"; content: string }[]> {
    return ((await this.get(key))?.history ?? []).map((m) => ({ role: m.role, content: m.content }));
  }

  /** `/new`: forgets the conversation, keeps the pins. Returns how many messages were dropped. */
  async newConversation(key: string, who: Actor): Promise<{ dropped: number; pins: Pins }> {
    const now = this.now();
    const result = await this.file.update((data) => {
      const entry = data.sessions[key] ?? newEntry(now);
      const dropped = entry.history.length;
      entry.history = [];
      entry.conversationStartedAt = now;
      entry.updatedAt = now;
      data.sessions[key] = entry;
      return { dropped, pins: { model: entry.model?.ref, profile: entry.profile?.id } };
    });
    await this.auditLog?.append(who, "session.new", {
      agent: this.agentId,
      target: key,
      detail: `dropped ${result.dropped} messages; pins kept`,
    });
    return result;
  }

  private async auditPinChanges(key: string, before: Pins, after: Pins, who: Actor): Promise<void> {
    if (!this.auditLog) return;
    const fields = { agent: this.agentId, target: key };
    for (const kind of ["model", "profile"] as const) {
      if (before[kind] === after[kind]) continue;
      const value = after[kind];
      if (value === undefined) {
        await this.auditLog.append(who, "pin.clear", { ...fields, detail: `${kind} ${before[kind]}` });
      } else {
        await this.auditLog.append(who, `pin.${kind}`, { ...fields, detail: value });
      }
    }
  }
}

function newEntry(now: number): SessionEntry {
  return { createdAt: now, updatedAt: now, history: [] };
}

/** Applies the history limits (see `appendHistory`). */
export function capHistory(messages: HistoryMessage[]): HistoryMessage[] {
  const out = messages.map((m) =>
    m.content.length > HISTORY_MAX_MESSAGE_CHARS ? { ...m, content: cut(m.content) } : m,
  );
  let total = out.reduce((sum, m) => sum + m.content.length, 0);
  let start = 0;
  while (start < out.length && (out.length - start > HISTORY_MAX_MESSAGES || total > HISTORY_MAX_CHARS)) {
    total -= out[start]!.content.length;
    start++;
  }
  while (start < out.length && out[start]!.role === "assistant") start++;
  return out.slice(start);
}

function cut(text: string): string {
  let end = HISTORY_MAX_MESSAGE_CHARS - CUT_MARKER.length;
  // Do not leave half of a surrogate pair at the cut.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + CUT_MARKER;
}
