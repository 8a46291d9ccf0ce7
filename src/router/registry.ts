import type { Actor } from "../audit/audit-log.js";
import type { AuthSnapshot } from "../auth/auth-store.js";
import { editDistance } from "../models/catalog.js";
import type { SessionEntry } from "../sessions/session-store.js";
import type { MenuCommand } from "./adapter.js";
import type { ChatServices } from "./chat-services.js";
import type { IncomingMessage, Reply } from "./types.js";

/** What a command handler gets: the message, its arguments, who sent it, and the services. */
export interface CommandContext {
  message: IncomingMessage;
  /** The command's name as registered (an alias is resolved to it). */
  name: string;
  /** The first line after the command, trimmed, and split on whitespace. */
  argText: string;
  args: string[];
  sessionKey: string;
  /** The session as read for this message, stale pins cleared (undefined: it never pinned or talked). */
  session: SessionEntry | undefined;
  /**
   * The agent's credential store as read for this message: loaded on first use, then shared (the
   * stale-pin check, the command and its status report all see one snapshot, read once).
   */
  authSnapshot(): Promise<AuthSnapshot>;
  isOwner: boolean;
  /** Recorded in the audit log for every change this command makes (`telegram:123`, surface `chat`). */
  actor: Actor;
  services: ChatServices;
  registry: CommandRegistry;
  /** The standard, audited refusal of an owner-only action; `instead` says what the sender can do. */
  refuseOwnerOnly(what: string, instead?: string): Promise<Reply>;
}

/** One suggestion for an argument: what a menu shows, and what goes in when it is picked. */
export interface ArgChoice {
  /** At most 100 characters (Discord's rule for choice names). */
  label: string;
  /** At most 100 characters. */
  value: string;
}

/**
 * What an argument's autocomplete hook gets: the text typed so far for this argument, the other
 * arguments as typed, and the same view of the sender a command has (owners see credentials).
 */
export interface AutocompleteContext {
  typed: string;
  values: Record<string, string | undefined>;
  message: IncomingMessage;
  sessionKey: string;
  isOwner: boolean;
  services: ChatServices;
  authSnapshot(): Promise<AuthSnapshot>;
}

/**
 * One argument, as native command menus (Discord options, the console's tab completion) show it.
 * `choices` is a fixed list; `autocomplete` computes suggestions as the person types (the router
 * checks access first and caps the answer at 25).
 */
export interface CommandArg {
  name: string;
  description: string;
  /** Only strings today; the field exists so a platform can map it to its option type. */
  type: "string";
  required?: boolean;
  choices?: ArgChoice[];
  autocomplete?: (ctx: AutocompleteContext) => Promise<ArgChoice[]>;
}

/** One line of `/help`: a form of the command and what it does. */
export interface CommandUsage {
  form: string;
  description: string;
  /** Shown only to owners (they alone may use this form). */
  ownersOnly?: boolean;
}

/**
 * A chat command: the single definition that feeds parsing, `/help`, Telegram `setMyCommands` and
 * Discord application commands. Adding a command is adding one of these to the registry.
 */
export interface CommandDefinition {
  /** Lower-case `a-z0-9_`, at most 32 characters (Telegram's rule, the strictest). */
  name: string;
  /** Other names typed for it (hidden from menus). */
  aliases?: string[];
  /** One line, at most 256 characters (menus on both platforms). */
  description: string;
  args?: CommandArg[];
  usage: CommandUsage[];
  /** Who may run it at all; finer rules (owner-only forms) are checked by the handler. */
  access: "anyone" | "owners";
  /** `dm`: answers only in direct chats (elsewhere it says so). */
  chats: "any" | "dm";
  /** Not offered in menus or `/help` (e.g. Telegram's `/start`). */
  hidden?: boolean;
  /** Builds the text arguments from native command options (Discord), e.g. `{model, profile}`. */
  formatArgs?: (values: Record<string, string | undefined>) => string;
  run(ctx: CommandContext): Promise<Reply | Reply[]>;
}

const NAME = /^[a-z0-9_]{1,32}$/;

/**
 * The one list of chat commands. Checks itself when built (names, duplicates, descriptions), so a bad
 * definition fails at startup rather than at a platform's API.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, CommandDefinition>();

  constructor(readonly definitions: readonly CommandDefinition[]) {
    for (const def of definitions) {
      for (const name of [def.name, ...(def.aliases ?? [])]) {
        if (!NAME.test(name)) throw new Error(`command name "${name}" must match ${NAME}`);
        if (this.byName.has(name)) throw new Error(`command name "${name}" is registered twice`);
        this.byName.set(name, def);
      }
      if (def.description.length === 0 || def.description.length > 256) {
        throw new Error(`command ${def.name}: description must be 1-256 characters`);
      }
    }
  }

  /** The command for a (lower-case) name or alias. */
  find(name: string): CommandDefinition | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Commands this sender may use in this kind of chat, for `/help`. */
  availableTo(who: { isOwner: boolean; chatType: IncomingMessage["chatType"] }): CommandDefinition[] {
    return this.definitions.filter(
      (d) =>
        !d.hidden && (d.access === "anyone" || who.isOwner) && (d.chats === "any" || who.chatType === "dm"),
    );
  }

  /** The commands for platform menus (Telegram `setMyCommands`, Discord application commands). */
  menu(): MenuCommand[] {
    return this.definitions
      .filter((d) => !d.hidden)
      .map((d) => ({
        name: d.name,
        description: d.description,
        args: d.args ?? [],
        ownersOnly: d.access === "owners",
        toText: (values: Record<string, string | undefined>) => {
          const args = d.formatArgs
            ? d.formatArgs(values)
            : (d.args ?? []).map((a) => values[a.name] ?? "").join(" ");
          return `/${d.name} ${args}`.trim();
        },
      }));
  }

  /** The closest registered name to a mistyped one, if any is close. */
  closest(name: string): string | undefined {
    let best: { name: string; distance: number } | undefined;
    for (const def of this.definitions) {
      if (def.hidden) continue;
      const distance = editDistance(name.toLowerCase(), def.name);
      if (distance <= 2 && (!best || distance < best.distance)) best = { name: def.name, distance };
    }
    return best?.name;
  }
}
