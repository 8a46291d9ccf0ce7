/**
 * The state the Discord stand-in keeps, with no I/O: users, guilds and their channels and threads,
 * DM channels, every message by channel, registered commands and open interactions. The REST side
 * (`discord-rest.ts`) and the test-driving helpers (`discord-server.ts`) both read and change it.
 */
import type {
  APIApplicationCommand,
  APIInteraction,
  APIMessage,
  APIThreadChannel,
  APIUser,
  GatewayGuildCreateDispatchData,
} from "discord.js";
import {
  channelPayload,
  discordTimestamp,
  dmChannelPayload,
  type FakeGuildInput,
  type FakeThreadInput,
  type FakeUserInput,
  guildCreatePayload,
  INTENTS,
  memberPayload,
  snowflakeGenerator,
  storedCommand,
  threadPayload,
  userPayload,
  withoutReference,
} from "./discord-payloads.js";
import { API_ERRORS } from "./discord-validation.js";
import type { JsonObject } from "./http-fake.js";

/** A channel the fake knows, of any kind, with the guild it belongs to. */
export type ChannelRecord =
  | {
      kind: "guild";
      id: string;
      guildId: string;
      type: number;
      payload: GatewayGuildCreateDispatchData["channels"][number];
    }
  | { kind: "thread"; id: string; guildId: string; type: number; payload: APIThreadChannel }
  | { kind: "dm"; id: string; type: 1; recipient: APIUser };

/** An interaction the fake dispatched, and what the bot has answered so far. */
export interface InteractionRecord {
  id: string;
  token: string;
  kind: "command" | "autocomplete" | "component";
  payload: APIInteraction;
  channelId: string;
  guildId?: string;
  createdAt: number;
  /** The first callback's type, once the bot acknowledged it. */
  acknowledgedWith?: number;
  /** What `@original` refers to: the response message (4, 5) or the component's message (6, 7). */
  originalMessageId?: string;
  /** For components: the message whose component was used. */
  sourceMessageId?: string;
}

interface GuildRecord {
  input: FakeGuildInput;
  ownerId: string;
  botRoleId: string;
  threads: Map<string, APIThreadChannel>;
}

/** Everything the fake knows; one per running fake. */
export class DiscordWorld {
  readonly nextId = snowflakeGenerator();
  readonly joinedAt = discordTimestamp();
  readonly users = new Map<string, APIUser>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly commands: CommandStore;
  private readonly guilds = new Map<string, GuildRecord>();
  private readonly messages = new Map<string, APIMessage>();
  private readonly dmByUser = new Map<string, string>();

  constructor(
    readonly bot: APIUser,
    readonly applicationId: string,
    guilds: FakeGuildInput[],
    defaultOwner: APIUser,
  ) {
    this.users.set(bot.id, bot);
    this.users.set(defaultOwner.id, defaultOwner);
    this.commands = new CommandStore(applicationId, this.nextId);
    for (const guild of guilds) this.addGuild(guild, defaultOwner.id);
  }

  // ─── Users and channels ────────────────────────────────────────────────────────────────────────

  /** The full user for `input`, remembered so later lookups (mentions, REST) find it. */
  user(input: FakeUserInput | APIUser): APIUser {
    if ("discriminator" in input) {
      this.users.set(input.id, input);
      return input;
    }
    const known = this.users.get(input.id);
    const onlyId = input.username === undefined && input.global_name === undefined && input.bot === undefined;
    if (known && onlyId) return known;
    const full = userPayload(input);
    this.users.set(full.id, full);
    return full;
  }

  /** The DM channel with `user`, opened on first use as Discord opens one on the first message. */
  dmChannel(user: APIUser): ChannelRecord & { kind: "dm" } {
    const id = this.dmByUser.get(user.id) ?? this.nextId();
    this.dmByUser.set(user.id, id);
    const record = { kind: "dm" as const, id, type: 1 as const, recipient: user };
    this.channels.set(id, record);
    return record;
  }

  /** The channel payload REST returns for `GET /channels/{id}`. */
  channelPayload(record: ChannelRecord): unknown {
    if (record.kind === "dm")
      return dmChannelPayload(record.id, record.recipient, this.lastMessageId(record.id));
    return { ...record.payload, last_message_id: this.lastMessageId(record.id) };
  }

  guildIds(): string[] {
    return [...this.guilds.keys()];
  }

  hasGuild(guildId: string): boolean {
    return this.guilds.has(guildId);
  }

  /** GUILD_CREATE for each guild, threads included, as sent after READY. */
  guildCreates(): GatewayGuildCreateDispatchData[] {
    return [...this.guilds.values()].map((guild) =>
      guildCreatePayload(guild.input, {
        bot: this.bot,
        botRoleId: guild.botRoleId,
        ownerId: guild.ownerId,
        joinedAt: this.joinedAt,
        threads: [...guild.threads.values()],
      }),
    );
  }

  /** Adds a thread under a text channel of a guild; returns its channel object for THREAD_CREATE. */
  addThread(input: FakeThreadInput): APIThreadChannel {
    const parent = this.channels.get(input.parentId);
    if (parent?.kind !== "guild") {
      throw new Error(`discord fake: no guild channel ${input.parentId} to hold thread ${input.id}`);
    }
    const guild = this.guilds.get(parent.guildId) as GuildRecord;
    const thread = threadPayload(parent.guildId, input, guild.ownerId);
    guild.threads.set(thread.id, thread);
    this.channels.set(thread.id, {
      kind: "thread",
      id: thread.id,
      guildId: parent.guildId,
      type: thread.type,
      payload: thread,
    });
    return structuredClone(thread);
  }

  private addGuild(input: FakeGuildInput, defaultOwnerId: string): void {
    const record: GuildRecord = {
      input,
      ownerId: input.ownerId ?? defaultOwnerId,
      botRoleId: this.nextId(),
      threads: new Map(),
    };
    this.guilds.set(input.id, record);
    input.channels.forEach((channel, position) => {
      const payload = channelPayload(input.id, channel, position);
      this.channels.set(channel.id, {
        kind: "guild",
        id: channel.id,
        guildId: input.id,
        type: payload.type,
        payload,
      });
    });
    for (const thread of input.threads ?? []) this.addThread(thread);
  }

  // ─── Messages ──────────────────────────────────────────────────────────────────────────────────

  storeMessage(message: APIMessage): APIMessage {
    this.messages.set(message.id, structuredClone(message));
    const thread = this.channels.get(message.channel_id);
    if (thread?.kind === "thread") {
      thread.payload.message_count = (thread.payload.message_count ?? 0) + 1;
      thread.payload.total_message_sent = (thread.payload.total_message_sent ?? 0) + 1;
    }
    return structuredClone(message);
  }

  /** Replaces a stored message (an edit); returns a copy. */
  replaceMessage(message: APIMessage): APIMessage {
    this.messages.set(message.id, structuredClone(message));
    return structuredClone(message);
  }

  message(id: string): APIMessage | undefined {
    const message = this.messages.get(id);
    return message && structuredClone(message);
  }

  deleteMessage(id: string): boolean {
    return this.messages.delete(id);
  }

  /** Every message in a channel, oldest first. */
  messagesIn(channelId: string): APIMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.channel_id === channelId)
      .sort((a, b) => compareSnowflakes(a.id, b.id))
      .map((m) => structuredClone(m));
  }

  /** How many messages a thread holds, for the `position` Discord gives thread messages. */
  positionIn(channelId: string): number | undefined {
    if (this.channels.get(channelId)?.kind !== "thread") return undefined;
    return this.messagesIn(channelId).length;
  }

  /** The message a reply points at, or undefined; throws Discord's 50035 when it must exist and does not. */
  replyTarget(channelId: string, reference: unknown): { message: APIMessage; guildId?: string } | undefined {
    if (typeof reference !== "object" || reference === null) return undefined;
    const ref = reference as JsonObject;
    const target = typeof ref.message_id === "string" ? this.messages.get(ref.message_id) : undefined;
    const targetChannel = typeof ref.channel_id === "string" ? ref.channel_id : channelId;
    if (target && target.channel_id === targetChannel) {
      const channel = this.channels.get(target.channel_id);
      return {
        message: withoutReference(target),
        guildId: channel && "guildId" in channel ? channel.guildId : undefined,
      };
    }
    if (ref.fail_if_not_exists === false) return undefined;
    throw API_ERRORS.invalidFormBody({
      message_reference: { _errors: [{ code: "REPLIES_UNKNOWN_MESSAGE", message: "Unknown message" }] },
    });
  }

  /**
   * The MESSAGE_CREATE/UPDATE data one session gets, or undefined when its intents exclude the event:
   * guild messages need GUILD_MESSAGES, DMs DIRECT_MESSAGES; without MESSAGE_CONTENT a guild message
   * that neither mentions the bot nor is the bot's own arrives with empty content, embeds,
   * attachments and components, as Discord sends it.
   */
  messageEventFor(message: APIMessage, intents: number): unknown {
    const channel = this.channels.get(message.channel_id);
    if (!channel) return undefined;
    if (channel.kind === "dm") {
      if (!(intents & INTENTS.DirectMessages)) return undefined;
      return { ...message, channel_type: 1 };
    }
    if (!(intents & INTENTS.GuildMessages)) return undefined;
    const guild = this.guilds.get(channel.guildId) as GuildRecord;
    const memberOf = (user: APIUser) => ({
      ...memberPayload(this.joinedAt),
      roles: user.id === this.bot.id ? [guild.botRoleId] : [],
    });
    const exempt =
      intents & INTENTS.MessageContent ||
      message.author.id === this.bot.id ||
      message.mentions.some((u) => u.id === this.bot.id);
    return {
      ...message,
      ...(exempt ? {} : { content: "", embeds: [], attachments: [], components: [] }),
      guild_id: channel.guildId,
      member: memberOf(message.author),
      mentions: message.mentions.map((user) => ({ ...user, member: memberOf(user) })),
      channel_type: channel.type,
    };
  }

  private lastMessageId(channelId: string): string | null {
    return this.messagesIn(channelId).at(-1)?.id ?? null;
  }
}

/** Orders snowflakes numerically (string order is wrong when lengths differ). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ─── Commands ────────────────────────────────────────────────────────────────────────────────────

/**
 * Registered commands per scope (global, or one guild), kept as Discord keeps them: overwriting a
 * list keeps the id of a command whose type and name stay, and bumps `version` only when it changed.
 */
export class CommandStore {
  private readonly byScope = new Map<string, APIApplicationCommand[]>();

  constructor(
    private readonly applicationId: string,
    private readonly nextId: () => string,
  ) {}

  list(guildId?: string): APIApplicationCommand[] {
    return structuredClone(this.byScope.get(guildId ?? "") ?? []);
  }

  get(id: string, guildId?: string): APIApplicationCommand {
    const found = this.byScope.get(guildId ?? "")?.find((c) => c.id === id);
    if (!found) throw API_ERRORS.unknownCommand();
    return structuredClone(found);
  }

  overwrite(bodies: JsonObject[], guildId?: string): APIApplicationCommand[] {
    const before = this.byScope.get(guildId ?? "") ?? [];
    const next = bodies.map((body) => this.store(body, before, guildId));
    this.byScope.set(guildId ?? "", next);
    return structuredClone(next);
  }

  /** `POST`: creates, or overwrites the command of the same type and name (Discord's upsert). */
  upsert(body: JsonObject, guildId?: string): { command: APIApplicationCommand; created: boolean } {
    const list = this.byScope.get(guildId ?? "") ?? [];
    const index = list.findIndex((c) => sameCommand(c, body));
    const command = this.store(body, list, guildId);
    if (index >= 0) list[index] = command;
    else list.push(command);
    this.byScope.set(guildId ?? "", list);
    return { command: structuredClone(command), created: index < 0 };
  }

  edit(id: string, patch: JsonObject, guildId?: string): APIApplicationCommand {
    const list = this.byScope.get(guildId ?? "") ?? [];
    const index = list.findIndex((c) => c.id === id);
    const current = list[index];
    if (!current) throw API_ERRORS.unknownCommand();
    const command = this.store({ ...bodyOf(current), ...patch }, list, guildId);
    list[index] = command;
    return structuredClone(command);
  }

  remove(id: string, guildId?: string): void {
    const list = this.byScope.get(guildId ?? "") ?? [];
    if (!list.some((c) => c.id === id)) throw API_ERRORS.unknownCommand();
    this.byScope.set(
      guildId ?? "",
      list.filter((c) => c.id !== id),
    );
  }

  /** The chat-input command a user could run by `name` in a guild (guild commands first) or a DM. */
  find(name: string, guildId?: string): APIApplicationCommand | undefined {
    const isNamed = (c: APIApplicationCommand) => c.name === name && c.type === 1;
    const found =
      (guildId ? this.byScope.get(guildId)?.find(isNamed) : undefined) ?? this.byScope.get("")?.find(isNamed);
    return found && structuredClone(found);
  }

  private store(
    body: JsonObject,
    existing: APIApplicationCommand[],
    guildId?: string,
  ): APIApplicationCommand {
    const previous = existing.find((c) => sameCommand(c, body));
    const id = previous?.id ?? this.nextId();
    const unchanged =
      previous &&
      JSON.stringify(bodyOf(previous)) ===
        JSON.stringify(
          bodyOf(
            storedCommand(body, {
              id,
              applicationId: this.applicationId,
              version: previous.version,
              guildId,
            }),
          ),
        );
    const version = unchanged ? previous.version : this.nextId();
    return storedCommand(body, { id, applicationId: this.applicationId, version, guildId });
  }
}

function sameCommand(command: APIApplicationCommand, body: JsonObject): boolean {
  return command.name === body.name && command.type === (typeof body.type === "number" ? body.type : 1);
}

/** The registered part of a stored command (what a later PUT would send). */
function bodyOf(command: APIApplicationCommand): JsonObject {
  const { id: _id, application_id: _app, version: _version, guild_id: _guild, ...body } = command;
  return body as JsonObject;
}
