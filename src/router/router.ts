import type { Actor } from "../audit/audit-log.js";
import type { AuthSnapshot } from "../auth/auth-store.js";
import { redactSecrets } from "../auth/mask.js";
import { isTesseraError } from "../errors.js";
import { sessionKeyFor } from "../sessions/session-key.js";
import { type AccessDecision, DenialMemory, decideAccess, refusalNotice, refusalReply } from "./access.js";
import { type ActionTarget, ActionTokens } from "./action-tokens.js";
import type { ChatServices } from "./chat-services.js";
import { fitReplies } from "./fit-replies.js";
import { bold, escapeMarkup, quoteInput } from "./markup.js";
import { type ParsedInput, parseInput } from "./parse.js";
import { PLATFORM_LIMITS } from "./platform-limits.js";
import type { ArgChoice, CommandContext, CommandDefinition, CommandRegistry } from "./registry.js";
import { settleSession } from "./stale-pins.js";
import {
  type HandleOptions,
  type IncomingMessage,
  IncomingMessageSchema,
  type PlainMessageHandler,
  type Reply,
} from "./types.js";

export interface RouterOptions {
  services: ChatServices;
  registry: CommandRegistry;
  /** Answers messages that are not commands (the agent turn). */
  onPlainMessage: PlainMessageHandler;
  /** Where the router reports what it cannot say in chat (malformed adapter input, unexpected errors). */
  log?: (line: string) => void;
  /** Button tokens for platforms that limit what a button carries; without it actions go as they are. */
  tokens?: ActionTokens;
}

/** What routing produced: the replies, and the command line that produced them (for menu paging). */
interface Routed {
  replies: Reply[];
  source?: string;
}

type Command = Extract<ParsedInput, { kind: "command" }>;

/** Autocomplete answers: Discord shows at most 25 choices of at most 100 characters each. */
const MAX_CHOICES = 25;
const MAX_CHOICE_CHARS = 100;

/**
 * The one router: every adapter hands it a neutral message and renders the replies it returns.
 * Commands are parsed and answered here before anything reaches a model; everything else goes to
 * the plain-message handler with the session key.
 *
 * `handle` never throws. It returns the replies to send, in order — an empty list means stay
 * silent — each within `REPLY_TEXT_LIMIT` characters. Errors become a reply that says what went
 * wrong and how to fix it (in full for owners; non-owners are pointed to the owner), never with
 * a secret in it.
 */
export class Router {
  private readonly denials = new DenialMemory();

  constructor(private readonly opts: RouterOptions) {}

  async handle(input: IncomingMessage, opts: HandleOptions = {}): Promise<Reply[]> {
    const checked = IncomingMessageSchema.safeParse(input);
    if (!checked.success) {
      this.log(`router: dropped a malformed message from an adapter: ${checked.error.message}`);
      return [];
    }
    // The original object goes on, so fields an adapter adds for itself (message ids) reach the handler.
    let message = input;
    let pages: ActionTarget["pages"];
    const limits = PLATFORM_LIMITS[message.channel];
    try {
      if (message.source === "button" && ActionTokens.isToken(message.text.trim())) {
        const found = await this.lookupToken(message.text.trim());
        if (found.kind !== "ok") return fitReplies([found.reply], limits);
        message = { ...message, text: found.target.action };
        pages = found.target.pages;
      }
      const routed = await this.route(message, opts);
      return await this.fit(routed, message, pages);
    } catch (err) {
      return fitReplies([this.errorReply(err, false)], limits);
    }
  }

  /**
   * Suggestions for one argument of a command as the person types it (Discord autocomplete, the
   * console's Tab). The sender goes through access control first; the answer has at most 25
   * choices, each label and value at most 100 characters. Never throws: a failure suggests nothing.
   */
  async autocomplete(request: {
    message: IncomingMessage;
    command: string;
    arg: string;
    values: Record<string, string | undefined>;
  }): Promise<ArgChoice[]> {
    const { services } = this.opts;
    const { message } = request;
    try {
      const access = decideAccess(services.config, message, true);
      if (access.kind !== "admit") return [];
      const definition = this.opts.registry.find(request.command);
      const arg = definition?.args?.find((a) => a.name === request.arg);
      if (!definition || !arg || (definition.access === "owners" && !access.isOwner)) return [];
      const typed = request.values[arg.name] ?? "";
      let snapshot: Promise<AuthSnapshot> | undefined;
      const choices = arg.autocomplete
        ? await arg.autocomplete({
            typed,
            values: request.values,
            message,
            sessionKey: sessionKeyFor(services.agentId, message),
            isOwner: access.isOwner,
            services,
            authSnapshot: () => {
              snapshot ??= services.auth.load();
              return snapshot;
            },
          })
        : (arg.choices ?? []).filter((c) => c.label.toLowerCase().includes(typed.toLowerCase()));
      return choices
        .filter((c) => c.value.length > 0 && c.value.length <= MAX_CHOICE_CHARS)
        .slice(0, MAX_CHOICES)
        .map((c) => ({ label: [...c.label].slice(0, MAX_CHOICE_CHARS).join("") || c.value, value: c.value }));
    } catch (err) {
      this.log(
        `router: autocomplete failed: ${redactSecrets(err instanceof Error ? err.message : String(err))}`,
      );
      return [];
    }
  }

  /** Fits replies to the message's platform and persists the tokens handed out for its buttons. */
  private async fit(
    routed: Routed,
    message: IncomingMessage,
    pages: ActionTarget["pages"],
  ): Promise<Reply[]> {
    const tokens = this.opts.tokens;
    const replies = fitReplies(routed.replies, PLATFORM_LIMITS[message.channel], {
      encode: tokens ? (target) => tokens.tokenFor(target) : undefined,
      source: routed.source,
      pages,
    });
    // A token that did not reach the file still works in this process; a restart forgets it.
    await tokens?.flush().catch((err) => this.log(`router: could not save button tokens: ${String(err)}`));
    return replies;
  }

  private async lookupToken(
    token: string,
  ): Promise<{ kind: "ok"; target: ActionTarget } | { kind: "gone"; reply: Reply }> {
    const found = this.opts.tokens ? await this.opts.tokens.lookup(token) : ({ kind: "unknown" } as const);
    if (found.kind === "ok") return { kind: "ok", target: found.target };
    const command = found.kind === "expired" ? /^\/\w+/.exec(found.target.action)?.[0] : undefined;
    return { kind: "gone", reply: { text: expiredNotice(command), notice: true } };
  }

  private async route(message: IncomingMessage, opts: HandleOptions): Promise<Routed> {
    const { services } = this.opts;
    const parsed = parseInput(message.text, message.botUsername);
    if (parsed.kind === "other-bot") return { replies: [] };
    const access = decideAccess(services.config, message, parsed.kind === "command");
    if (access.kind === "ignore") return { replies: [] };
    if (access.kind === "deny") return { replies: await this.deny(message, access) };

    const sessionKey = sessionKeyFor(services.agentId, message);
    const actor: Actor = { actor: `${message.channel}:${message.senderId}`, surface: "chat" };
    try {
      const definition = parsed.kind === "command" ? this.opts.registry.find(parsed.name) : undefined;
      if (parsed.kind === "command" && !definition) return { replies: this.unknownCommand(message, parsed) };
      let snapshot: Promise<AuthSnapshot> | undefined;
      const authSnapshot = () => {
        snapshot ??= services.auth.load();
        return snapshot;
      };
      const { session, notices } = await settleSession(services, sessionKey, authSnapshot);
      const isOwner = access.isOwner;
      if (parsed.kind === "text") {
        const reply = await this.opts.onPlainMessage({ message, sessionKey, session, isOwner, ...opts });
        return { replies: withNotices(notices, [reply]) };
      }
      const replies = await this.runCommand(definition!, parsed, {
        message,
        sessionKey,
        session,
        authSnapshot,
        isOwner,
        actor,
      });
      if (parsed.ignoredLines > 0) {
        const lines =
          parsed.ignoredLines === 1 ? "1 more line was" : `${parsed.ignoredLines} more lines were`;
        appendNote(replies, `(Only the first line of a command is read; ${lines} ignored.)`);
      }
      return {
        replies: markEdit(message, withNotices(notices, replies)),
        source: `/${parsed.name}${parsed.argText ? ` ${parsed.argText}` : ""}`,
      };
    } catch (err) {
      return { replies: [this.errorReply(err, access.isOwner)] };
    }
  }

  private async runCommand(
    definition: CommandDefinition,
    parsed: Command,
    base: Pick<CommandContext, "message" | "sessionKey" | "session" | "authSnapshot" | "isOwner" | "actor">,
  ): Promise<Reply[]> {
    const { services } = this.opts;
    const ctx: CommandContext = {
      ...base,
      name: definition.name,
      argText: parsed.argText,
      args: parsed.args,
      services,
      registry: this.opts.registry,
      refuseOwnerOnly: async (what, instead) => {
        await services.audit.append(base.actor, "access.denied", {
          agent: services.agentId,
          target: base.sessionKey,
          detail: `owners only: ${what}`,
        });
        // On a pressed button the refusal is a notice to the presser: the menu stays as it was.
        return {
          text: `Only the bot's owners can ${escapeMarkup(what)}.${instead ? ` ${instead}` : ""}`,
          ...(base.message.source === "button" ? { notice: true } : {}),
        };
      },
    };
    if (definition.chats === "dm" && base.message.chatType !== "dm") {
      return [{ text: `/${definition.name} answers only in a direct message with the bot; send it there.` }];
    }
    if (definition.access === "owners" && !base.isOwner) {
      return [await ctx.refuseOwnerOnly(`use /${definition.name}`, "See /help for what you can use.")];
    }
    const result = await definition.run(ctx);
    return Array.isArray(result) ? result : [result];
  }

  private unknownCommand(message: IncomingMessage, parsed: Command): Reply[] {
    // In a group a stray `/start` may be meant for another bot; answer only when clearly ours.
    if (message.chatType !== "dm" && !parsed.mentionsBot) return [];
    const closest = this.opts.registry.closest(parsed.name);
    return [
      {
        text:
          `There is no command ${quoteInput(`/${parsed.name}`)}.` +
          `${closest ? ` Did you mean /${closest}?` : ""} /help lists the commands you can use.`,
      },
    ];
  }

  private async deny(message: IncomingMessage, decision: Extract<AccessDecision, { kind: "deny" }>) {
    const { services } = this.opts;
    const key = `${message.channel}:${message.chatId}:${message.senderId}`;
    // A refused press or native command is always answered (the platform waits for it); the audit
    // line is still once an hour.
    const waiting = message.source === "button" || message.source === "native";
    if (!this.denials.firstIn(key, services.now()))
      return waiting ? [refusalNotice(message, decision.subject)] : [];
    await services.audit.append(
      { actor: `${message.channel}:${message.senderId}`, surface: "chat" },
      "access.denied",
      {
        agent: services.agentId,
        target: `${message.channel}:${message.chatType}:${message.chatId}`,
        detail: decision.reason,
      },
    );
    if (waiting) return [refusalNotice(message, decision.subject)];
    return decision.refuse ? [refusalReply(message)] : [];
  }

  private errorReply(err: unknown, isOwner: boolean): Reply {
    if (isTesseraError(err) && isOwner) {
      const hint = err.hint ? `\n${bold("Fix:")} ${escapeMarkup(err.hint)}` : "";
      return { text: `${bold("That did not work:")} ${escapeMarkup(err.message)}${hint}` };
    }
    const detail = err instanceof Error ? err.message : String(err);
    this.log(`router: ${isTesseraError(err) ? err.code : "unexpected error"}: ${redactSecrets(detail)}`);
    if (isOwner) {
      return { text: `${bold("Something went wrong:")} ${escapeMarkup(redactSecrets(detail))}` };
    }
    return {
      text: "Something went wrong on the gateway. Its owner can find out more with `tessera doctor`.",
    };
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }
}

/** Puts notices (cleared pins, ignored lines) in front of the first reply, or before it when plain text. */
function withNotices(notices: string[], replies: Reply[]): Reply[] {
  if (notices.length === 0) return replies;
  const text = notices.join("\n");
  const [first, ...rest] = replies;
  if (!first || first.format === "plain") return [{ text }, ...replies];
  return [{ ...first, text: `${text}\n\n${first.text}` }, ...rest];
}

/** Adds a closing note to the last reply. */
function appendNote(replies: Reply[], note: string): void {
  const last = replies.at(-1);
  if (last && last.format !== "plain")
    replies[replies.length - 1] = { ...last, text: `${last.text}\n${note}` };
  else replies.push({ text: note });
}

/** A pressed button's answer replaces the message the button was on. */
function markEdit(message: IncomingMessage, replies: Reply[]): Reply[] {
  if (message.source !== "button" || replies.length === 0) return replies;
  const [first, ...rest] = replies;
  return [{ ...first!, edit: first!.edit ?? true }, ...rest];
}

/** What a press of a token that expired (or that the router no longer knows) answers. */
function expiredNotice(command: string | undefined): string {
  return `This menu expired — send ${command ?? "the command"} again.`;
}
