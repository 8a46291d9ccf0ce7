import type { Actor, AuditLog } from "../audit/audit-log.js";
import { legacySessionsPath, sessionFilePath, sessionsDir } from "../config/paths.js";
import { ensurePrivateDir } from "../files/atomic-write.js";
import {
  SessionFileHandle,
  type SessionFileProblem,
  type SessionScan,
  scanSessionFiles,
} from "./session-files.js";
import { capHistory } from "./session-history.js";
import { legacyFileExists, migrateLegacySessions, readLegacySessions } from "./session-migration.js";
import type { SessionEntry, SessionFile } from "./session-schema.js";

export {
  capHistory,
  HISTORY_MAX_CHARS,
  HISTORY_MAX_MESSAGE_CHARS,
  HISTORY_MAX_MESSAGES,
} from "./session-history.js";
export type { HistoryMessage, SessionEntry } from "./session-schema.js";

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
 * Writes to session files still running in this process, by file: a read of the same session waits
 * for them, so a message sees the history its session's previous answer wrote even when that write
 * was not awaited (the agent turn hands the answer back first; see `AgentTurnRunner`).
 */
const writesInFlight = new Map<string, Promise<unknown>>();

/**
 * The sessions of one agent, one small file each (`sessions/<hh>/<hash>.json`, see
 * `sessionFilePath`): a message reads and writes only its own session's file, under that file's own
 * lock, so what a message costs does not grow with the number of sessions. Every pin change is one
 * locked update and is audited with who made it; a change that changes nothing takes no lock and
 * writes nothing. Several routers and processes can write at once without losing each other's
 * changes. The first use migrates the old single `sessions.json` (see `migrateLegacySessions`).
 */
export class SessionStore {
  private migrated: Promise<unknown> | undefined;

  constructor(
    readonly stateDir: string,
    readonly agentId: string,
    readonly auditLog?: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** The directory that holds the agent's session files. */
  get path(): string {
    return sessionsDir(this.stateDir, this.agentId);
  }

  /** The file of one session (whether or not it exists yet). */
  pathOf(key: string): string {
    return sessionFilePath(this.stateDir, this.agentId, key);
  }

  /** The session as on disk now, or undefined when it has never pinned or talked. */
  get(key: string): Promise<SessionEntry | undefined> {
    return this.read(key);
  }

  /**
   * Every session, for `doctor` (pins pointing at missing profiles), `models auth remove` and tests:
   * the only read that pays per session. Sessions still in an unmigrated `sessions.json` are
   * included (this read migrates nothing). A session file that cannot be read fails the listing with
   * its path; `scan()` lists around it.
   */
  async all(): Promise<Record<string, SessionEntry>> {
    const { sessions, problems } = await this.scan();
    if (problems[0]) throw problems[0].error;
    return sessions;
  }

  /**
   * `all()`, with the files it could not use reported instead of thrown. `files`: a scan of the
   * session files already made (doctor shares one between its checks).
   */
  async scan(
    files?: SessionScan,
  ): Promise<{ sessions: Record<string, SessionEntry>; problems: SessionFileProblem[] }> {
    const scan = files ?? (await scanSessionFiles(this.path));
    const legacy = (await legacyFileExists(legacySessionsPath(this.stateDir, this.agentId)))
      ? await readLegacySessions(this.stateDir, this.agentId)
      : undefined;
    if (!legacy) return scan;
    // A file of its own is newer than the old file's copy (the migration never overwrites one).
    const merged = Object.entries(legacy.sessions).filter(([key]) => !Object.hasOwn(scan.sessions, key));
    const sessions = Object.fromEntries([...Object.entries(scan.sessions), ...merged].sort(byKey));
    return { sessions, problems: scan.problems };
  }

  /**
   * The sessions whose profile pin is `profileId` (sorted), for `models auth remove` to say who is
   * affected; `unreadable` counts session files that could not be checked. Pays per session.
   */
  async pinnedToProfile(profileId: string): Promise<{ keys: string[]; unreadable: number }> {
    const { sessions, problems } = await this.scan();
    const keys = Object.entries(sessions)
      .filter(([, entry]) => entry.profile?.id === profileId)
      .map(([key]) => key);
    return { keys, unreadable: problems.length };
  }

  /** Applies a pin change (see `PinChange`) and audits each pin that actually changed. */
  async setPins(key: string, change: PinChange, who: Actor): Promise<{ before: Pins; after: Pins }> {
    // A plain read first: a pin that is already so (a repeated `/model x`) takes no lock, writes nothing.
    const current = pinsOf(await this.read(key));
    if (samePins(applyChange(current, change), current)) return { before: current, after: current };
    const now = this.now();
    const result = await this.update(key, (data) => {
      const existing = data.session;
      const before = pinsOf(existing);
      const after = applyChange(before, change);
      if (samePins(after, before)) return { before, after };
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
      data.session = entry;
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
    const holds = (entry: SessionEntry | undefined) =>
      (kind === "model" ? entry?.model?.ref : entry?.profile?.id) === value;
    if (!holds(await this.read(key))) return false;
    const now = this.now();
    const cleared = await this.update(key, (data) => {
      const entry = data.session;
      if (!entry || !holds(entry)) return false;
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
   * Adds messages to the session's history and trims it (`capHistory`): at most
   * `HISTORY_MAX_MESSAGES` messages and `HISTORY_MAX_CHARS` characters, oldest first out, never
   * starting with an assistant message. Resolves once the session's file is written.
   */
  async appendHistory(
    key: string,
    messages: { role: "user" | "assistant"; content: string }[],
  ): Promise<void> {
    if (messages.length === 0) return;
    const now = this.now();
    await this.update(key, (data) => {
      const entry = data.session ?? newEntry(now);
      entry.history = capHistory([
        ...entry.history,
        ...messages.map((m) => ({ role: m.role, content: m.content, at: now })),
      ]);
      entry.updatedAt = now;
      data.session = entry;
    });
  }

  /** The session's recent conversation, oldest first, as a model call needs it. */
  async history(key: string): Promise<{ role: "user" | "assistant"; content: string }[]> {
    return ((await this.get(key))?.history ?? []).map((m) => ({ role: m.role, content: m.content }));
  }

  /** `/new`: forgets the conversation, keeps the pins. Returns how many messages were dropped. */
  async newConversation(key: string, who: Actor): Promise<{ dropped: number; pins: Pins }> {
    const now = this.now();
    const result = await this.update(key, (data) => {
      const entry = data.session ?? newEntry(now);
      const dropped = entry.history.length;
      entry.history = [];
      entry.conversationStartedAt = now;
      entry.updatedAt = now;
      data.session = entry;
      return { dropped, pins: pinsOf(entry) };
    });
    await this.auditLog?.append(who, "session.new", {
      agent: this.agentId,
      target: key,
      detail: `dropped ${result.dropped} messages; pins kept`,
    });
    return result;
  }

  /** `get`, also for this class's own plain reads (which are no reads of the session by a caller). */
  private async read(key: string): Promise<SessionEntry | undefined> {
    const file = await this.fileOf(key);
    await writesInFlight.get(file.path);
    return file.read();
  }

  /**
   * Migrates the old `sessions.json` once (the first time this store is used; a failure, such as a
   * corrupt old file, is retried on the next use), then hands out the session's file.
   */
  private async fileOf(key: string): Promise<SessionFileHandle> {
    this.migrated ??= migrateLegacySessions(this.stateDir, this.agentId).catch((err) => {
      this.migrated = undefined;
      throw err;
    });
    await this.migrated;
    return new SessionFileHandle(this.pathOf(key), key);
  }

  /**
   * A locked update of one session's file, visible to this process's reads of it until it lands.
   * Registered before anything is awaited, so a read that starts right after this call waits for it.
   */
  private update<R>(key: string, mutate: (data: SessionFile) => R): Promise<R> {
    const path = this.pathOf(key);
    const write = this.fileOf(key).then(async (file) => {
      // The files layer keeps a file's own directory (the shard) 0700 on every write; the sessions
      // directory above it is kept so as well, as when it held sessions.json itself.
      await ensurePrivateDir(this.path);
      return file.update(mutate);
    });
    const settled = write.then(
      () => {},
      () => {},
    );
    writesInFlight.set(path, settled);
    void settled.then(() => {
      if (writesInFlight.get(path) === settled) writesInFlight.delete(path);
    });
    return write;
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

/**
 * Waits for every session write this process has started (the agent turn does not wait for its
 * history write): for an orderly exit, and for tests that read files directly.
 */
export async function settleSessionWrites(): Promise<void> {
  while (writesInFlight.size > 0) await Promise.all(writesInFlight.values());
  // One turn of the event loop more, so what callers chained on those writes (a failure report) has run.
  await new Promise((resolve) => setImmediate(resolve));
}

function pinsOf(entry: SessionEntry | undefined): Pins {
  return { model: entry?.model?.ref, profile: entry?.profile?.id };
}

function applyChange(before: Pins, change: PinChange): Pins {
  return {
    model: change.model === undefined ? before.model : (change.model ?? undefined),
    profile: change.profile === undefined ? before.profile : (change.profile ?? undefined),
  };
}

function samePins(a: Pins, b: Pins): boolean {
  return a.model === b.model && a.profile === b.profile;
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function newEntry(now: number): SessionEntry {
  return { createdAt: now, updatedAt: now, history: [] };
}
