import { createHash } from "node:crypto";
import { z } from "zod";
import { JsonStateFile } from "../files/json-state-file.js";

/**
 * What a token stands for: the command a press runs, and for a menu's ‹ › controls the page each
 * menu of the answer is to show (menu index → page index).
 */
export const ActionTargetSchema = z.object({
  action: z.string().min(1),
  pages: z.record(z.string(), z.number().int().nonnegative()).optional(),
});
export type ActionTarget = z.infer<typeof ActionTargetSchema>;

const TokenEntrySchema = z.object({
  target: ActionTargetSchema,
  expiresAt: z.number(),
});
export const ActionTokensFileSchema = z.looseObject({
  version: z.number().default(1),
  tokens: z.record(z.string(), TokenEntrySchema).default({}),
});
type ActionTokensFile = z.infer<typeof ActionTokensFileSchema>;
type TokenEntry = z.infer<typeof TokenEntrySchema>;

/** A pressed token's fate: the target to run, or why it cannot run. */
export type TokenLookup = { kind: "ok" | "expired"; target: ActionTarget } | { kind: "unknown" };

/** How long a button keeps working after it was last handed out. */
export const TOKEN_TTL_MS = 7 * 24 * 60 * 60_000;
/** Tokens kept at most; the soonest to expire go first (a picker that old answers "expired"). */
export const TOKEN_MAX_ENTRIES = 20_000;

/** `~` and 14 base64url characters (84 bits): short for any platform, never typed by a person. */
const TOKEN = /^~[A-Za-z0-9_-]{14}$/;

/**
 * The router's button tokens. Telegram carries 64 bytes back from a button and Discord 100, while a
 * Tessera action (`/model anthropic/claude-sonnet-4-5@anthropic:me@example.com`) can be far longer,
 * so on those platforms every action travels as a short opaque token.
 *
 * Decisions:
 * - A token is a hash of its target, so the same button gets the same token in every message and
 *   the file grows with distinct actions, not with messages. Handing a token out again pushes its
 *   expiry forward; the file is written only when a token is new or half its lifetime has passed.
 * - Tokens are persisted (`<agent>/sessions/action-tokens.json`, locked, atomic, 0600) so a restarted
 *   gateway still understands yesterday's picker, and bounded in number.
 * - A token grants nothing: pressing it runs its action as a message from the presser, through the
 *   same access control as typing it. So tokens are not bound to a chat or a person.
 */
export class ActionTokens {
  private readonly known = new Map<string, TokenEntry>();
  private readonly pending = new Map<string, TokenEntry>();
  private readonly file: JsonStateFile<ActionTokensFile>;

  constructor(
    path: string,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOKEN_TTL_MS,
    private readonly maxEntries = TOKEN_MAX_ENTRIES,
  ) {
    this.file = new JsonStateFile(path, ActionTokensFileSchema, () => ({ version: 1, tokens: {} }));
  }

  get path(): string {
    return this.file.path;
  }

  /** Whether a pressed button's data is one of our tokens (rather than a command carried as is). */
  static isToken(text: string): boolean {
    return TOKEN.test(text);
  }

  /** The token for `target`; remembered in memory until `flush` writes it. */
  tokenFor(target: ActionTarget): string {
    const token = tokenOf(target);
    const now = this.now();
    const entry = this.pending.get(token) ?? this.known.get(token);
    if (!entry || entry.expiresAt - now < this.ttlMs / 2) {
      const fresh = { target, expiresAt: now + this.ttlMs };
      this.pending.set(token, fresh);
      this.remember(token, fresh);
    }
    return token;
  }

  /**
   * Keeps `known` as bounded as the file: the oldest handed out go first, never one not yet written
   * (`lookup` reads only `known` and the file). Before, `known` grew with every distinct action a
   * process handed out — and people choose actions (`/model sonet@<anything>` offers a button per
   * suggestion) — while tokens already dropped from the file kept working in the process that wrote
   * them (test/router/action-tokens.test.ts, "bounded in the process too").
   */
  private remember(token: string, entry: TokenEntry): void {
    this.known.delete(token);
    this.known.set(token, entry);
    for (const id of this.known.keys()) {
      if (this.known.size <= this.maxEntries) break;
      if (!this.pending.has(id)) this.known.delete(id);
    }
  }

  /** Writes the tokens handed out since the last flush (one locked write, or none). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = new Map(this.pending);
    this.pending.clear();
    const now = this.now();
    await this.file.update((data) => {
      for (const [token, entry] of Object.entries(data.tokens)) {
        if (entry.expiresAt <= now) delete data.tokens[token];
      }
      for (const [token, entry] of batch) {
        const stored = data.tokens[token];
        if (!stored || stored.expiresAt < entry.expiresAt) data.tokens[token] = entry;
      }
      const ids = Object.keys(data.tokens);
      if (ids.length > this.maxEntries) {
        ids.sort((a, b) => data.tokens[a]!.expiresAt - data.tokens[b]!.expiresAt);
        for (const token of ids.slice(0, ids.length - this.maxEntries)) delete data.tokens[token];
      }
    });
  }

  /** What a pressed token stands for; read from the file when this process has not seen it. */
  async lookup(token: string): Promise<TokenLookup> {
    let entry = this.known.get(token);
    if (!entry) {
      const data = await this.file.read();
      const stored = Object.entries(data.tokens).sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
      for (const [id, found] of stored) if (!this.known.has(id)) this.remember(id, found);
      entry = data.tokens[token];
    }
    if (!entry) return { kind: "unknown" };
    if (entry.expiresAt <= this.now()) return { kind: "expired", target: entry.target };
    return { kind: "ok", target: entry.target };
  }
}

function tokenOf(target: ActionTarget): string {
  const pages = target.pages
    ? Object.entries(target.pages)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([menu, page]) => `${menu}:${page}`)
        .join(",")
    : "";
  const digest = createHash("sha256").update(`${target.action}\u0000${pages}`).digest("base64url");
  return `~${digest.slice(0, 14)}`;
}
