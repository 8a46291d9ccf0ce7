/**
 * A local stand-in for Discord (REST `{url}/api/v10/...` and the gateway WebSocket), for running
 * the real gateway (discord.js 14) end to end without Discord. Point discord.js at it with
 * `new Client({ ..., rest: { api: fake.apiBase } })`: discord.js asks `GET /gateway/bot` for the
 * WebSocket URL, so nothing else needs configuring.
 *
 * It keeps what a bot can observe: gateway sessions that resume (missed dispatches replayed with
 * rising `s`) or are invalidated, heartbeats (and ACKs a test can withhold), the guilds with their
 * channels and threads, DM channels, every message by channel (the bot's own echoed back to it as
 * Discord does), registered commands, and interactions with their one-time acknowledgement. It
 * rejects what Discord rejects, with Discord's error JSON (content over 2000, empty messages, bad
 * component layouts, a second acknowledgement, a late one, invalid command names), so a renderer
 * bug fails here rather than in a user's server.
 *
 * The parts: `discord-gateway.ts` (WebSocket protocol), `discord-rest.ts` (routes),
 * `discord-world.ts` (state), `discord-payloads.ts` (typed payload builders),
 * `discord-validation.ts` (Discord's limits and errors). This file holds the options, the handle a
 * test gets, and the things a user does (send a message, run a command, press a button).
 *
 * The gateway listens on a port of its own: `http-fake.ts` does not expose its server for a `ws`
 * upgrade, and the client never needs to know, since it learns the URL from `GET /gateway/bot`.
 */
import type {
  APIApplicationCommand,
  APIApplicationCommandInteractionDataOption,
  APIApplicationCommandOption,
  APIInteraction,
  APIMessage,
  APIUser,
} from "discord.js";
import {
  DiscordGateway,
  type GatewayConnection,
  type GatewayFrame,
  type SentDispatch,
} from "./discord-gateway.js";
import {
  applicationFlags,
  applicationPayload,
  BOT_PERMISSIONS,
  type CommandOptionsInput,
  type FakeGuildInput,
  type FakeThreadInput,
  type FakeUserInput,
  INTENTS,
  interactionMemberPayload,
  interactionToken,
  messagePayload,
  readyPayload,
  userPayload,
} from "./discord-payloads.js";
import {
  type DiscordFailure,
  type DiscordRequest,
  DiscordRest,
  type InteractionCallbackRecord,
} from "./discord-rest.js";
import type { ChannelRecord, InteractionRecord } from "./discord-world.js";
import { DiscordWorld } from "./discord-world.js";
import { type FakeServer, startHttpFake } from "./http-fake.js";

export type { GatewayConnection, GatewayFrame, SentDispatch } from "./discord-gateway.js";
export type { FakeChannelInput, FakeGuildInput, FakeThreadInput, FakeUserInput } from "./discord-payloads.js";
export { INTENTS } from "./discord-payloads.js";
export type { DiscordFailure, DiscordRequest, InteractionCallbackRecord } from "./discord-rest.js";

// ─── Defaults ────────────────────────────────────────────────────────────────────────────────────

/** The application id, which is also the bot user's id (as for every app created since 2021). */
export const DEFAULT_APPLICATION_ID = "1100000000000000001";

/**
 * A token of Discord's shape (base64 of the bot id, a timestamp part, an HMAC part), so code that
 * checks the shape (`tessera doctor`) accepts it.
 */
export const DEFAULT_DISCORD_TOKEN =
  "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GfAkE0.TesseraFakeDiscordTokenForTestsOnly0000";

/** The user `sendMessage` and friends act as when a test does not say who; also the guild owner. */
export const DEFAULT_DISCORD_USER: APIUser = userPayload({
  id: "1300000000000000001",
  username: "ada",
  global_name: "Ada",
});

/** The text channel of the default guild, where a test's guild messages go. */
export const DEFAULT_CHANNEL_ID = "1200000000000000010";

/** One guild with a text channel `general` (`DEFAULT_CHANNEL_ID`) and a second one, `random`. */
export const DEFAULT_GUILD: FakeGuildInput = {
  id: "1200000000000000001",
  name: "Tessera Lab",
  channels: [
    { id: DEFAULT_CHANNEL_ID, name: "general" },
    { id: "1200000000000000011", name: "random" },
  ],
};

/** Options for `startDiscordFake`. */
export interface DiscordFakeOptions {
  /** The only token the fake accepts (REST 401 and gateway 4004 otherwise). Default `DEFAULT_DISCORD_TOKEN`. */
  token?: string;
  /** Default `DEFAULT_APPLICATION_ID`; the bot user's id defaults to it. */
  applicationId?: string;
  /** The bot's user: id, username (default `tessera`), global_name. */
  bot?: Omit<FakeUserInput, "bot">;
  /** Default `[DEFAULT_GUILD]`; `[]` for a bot in no guild. */
  guilds?: FakeGuildInput[];
  /** HELLO's heartbeat interval. Default 1000 ms, so a withheld ACK is noticed within about a second. */
  heartbeatIntervalMs?: number;
  /**
   * Which privileged intents the developer portal has switched on. Asking for one that is off closes
   * the gateway with 4014 "Disallowed intent(s)", as Discord does. Default: message content on,
   * members and presences off (the portal's defaults, plus the one Tessera needs).
   */
  privilegedIntents?: { messageContent?: boolean; guildMembers?: boolean; guildPresences?: boolean };
  /**
   * How long the bot has to make the first callback of an interaction before it is gone (404 Unknown
   * interaction). Discord's is 3000 ms; 0 turns the check off.
   */
  interactionAckTimeoutMs?: number;
}

// ─── What tests give ─────────────────────────────────────────────────────────────────────────────

/** A user's message for `sendMessage`. */
export interface MessageInput {
  content: string;
  /** A guild text channel or thread (or the author's DM channel). Without it (and `thread`) the message is a DM. */
  channel?: string;
  /** Same as `channel`, for a thread. */
  thread?: string;
  /** Checked against the channel's guild, to catch a test talking to the wrong guild. */
  guild?: string;
  /** Default `DEFAULT_DISCORD_USER`. */
  author?: FakeUserInput | APIUser;
  /** Prefixes `<@bot> ` to the content and mentions the bot, as the Discord client does. */
  mentionBot?: boolean;
  /** Users mentioned besides every `<@id>` found in the content. */
  mentions?: (FakeUserInput | APIUser)[];
  /** A message in the same channel this one replies to; replying to the bot mentions it (a reply ping). */
  replyTo?: string;
}

/** Where and as whom an interaction happens; without `channel` it is in the DM with `user`. */
export interface InteractionPlace {
  /** Default `DEFAULT_DISCORD_USER`; in a guild it arrives as `member.user`. */
  user?: FakeUserInput | APIUser;
  channel?: string;
  /** Checked against the channel's guild. */
  guild?: string;
  /** The user's client language. Default `en-US`. */
  locale?: string;
}

/** A slash command for `interaction`. */
export interface CommandInput extends InteractionPlace {
  command: string;
  subcommandGroup?: string;
  subcommand?: string;
  /** By name (`{ name: "gpt" }`, types taken from the registered command) or the raw API list. */
  options?: CommandOptionsInput;
  /** Skip the checks that the command is registered and the options fit it. */
  unchecked?: boolean;
}

/** An autocomplete request for `autocomplete`: the user is typing `focused`'s value. */
export interface AutocompleteInput extends CommandInput {
  /** The option being typed; its value (from `options`, default "") is sent as a string. */
  focused: string;
}

/** A button press or select choice for `component`. */
export interface ComponentInput extends Omit<InteractionPlace, "channel" | "guild"> {
  /** Id of a message the bot sent (its channel is where the interaction happens). */
  message: string;
  customId: string;
  /** For a string select: the chosen option values. */
  values?: string[];
  /** Skip the checks that the message shows this component and the values are its options. */
  unchecked?: boolean;
}

/** What an interaction helper returns: enough to find its callbacks and its webhook. */
export interface InteractionHandle {
  id: string;
  token: string;
}

/** Matches REST requests for `waitFor`: a predicate, or method and path (`:name` segments match any id). */
export type RequestMatch =
  | ((request: DiscordRequest) => boolean)
  | { method?: string; path?: string | RegExp };

// ─── The handle ──────────────────────────────────────────────────────────────────────────────────

/** The running fake: where it listens, what it saw, and how a test drives it. */
export interface DiscordFake {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `${url}/api`: discord.js's `rest.api` (it appends `/v10`); Tessera's `channels.discord.apiBase`. */
  readonly apiBase: string;
  /** `ws://127.0.0.1:PORT2`, what `GET /gateway/bot` answers. */
  readonly gatewayUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly bot: APIUser;
  /** Every REST request, oldest first; no token in them. */
  readonly requests: readonly DiscordRequest[];
  /** Every gateway frame the client sent, oldest first; tokens redacted. */
  readonly frames: readonly GatewayFrame[];
  /** Every dispatch sent (or queued for a resume), all sessions, oldest first. */
  readonly dispatches: readonly SentDispatch[];
  /** Every WebSocket connection the client opened, with its URL and close code. */
  readonly connections: readonly GatewayConnection[];

  /** Resolves once a client holds a gateway session on an open socket (READY + GUILD_CREATEs, or RESUMED sent). */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** The earliest REST request matching that no earlier `waitFor` returned (waiting for it, and for its answer). */
  waitFor(match: RequestMatch, timeoutMs?: number): Promise<DiscordRequest>;
  /** The earliest client frame with `op` (and matching `predicate`) no earlier wait returned. */
  waitForFrame(
    op: number,
    predicate?: (frame: GatewayFrame) => boolean,
    timeoutMs?: number,
  ): Promise<GatewayFrame>;
  /** The earliest accepted interaction callback (of that interaction, if given) no earlier wait returned. */
  waitForCallback(interactionId?: string, timeoutMs?: number): Promise<InteractionCallbackRecord>;

  /** Accepted interaction callbacks, oldest first (of one interaction, if given). */
  callbacks(interactionId?: string): InteractionCallbackRecord[];
  /** Every message in a channel as held now (users' and the bot's, after edits, without deleted ones). */
  messages(channelId: string): APIMessage[];
  /** Only the bot's messages in a channel (posts, interaction responses, follow-ups; ephemeral ones with flag 64). */
  sent(channelId: string): APIMessage[];
  /** One message by id, wherever it is. */
  message(messageId: string): APIMessage | undefined;
  /** Registered commands: global, or of one guild. */
  commands(guildId?: string): APIApplicationCommand[];
  /** Live gateway sessions with the intents they identified with. */
  sessions(): { id: string; intents: number; seq: number; connected: boolean }[];
  /** The DM channel between the bot and a user (opened if need be), e.g. to read `sent()` there. */
  dmChannelId(user?: FakeUserInput | APIUser): string;
  /** Makes a user known (mentions, `GET /users/{id}`) and returns the full user object. */
  user(input: FakeUserInput): APIUser;

  /** Dispatches a user's MESSAGE_CREATE; returns the message id. */
  sendMessage(input: MessageInput): string;
  /** Creates a thread under a guild text channel and dispatches THREAD_CREATE; returns its id. */
  createThread(input: Omit<FakeThreadInput, "id"> & { id?: string }): string;
  /** Dispatches a slash-command INTERACTION_CREATE (type 2). */
  interaction(input: CommandInput): InteractionHandle;
  /** Dispatches an autocomplete INTERACTION_CREATE (type 4). */
  autocomplete(input: AutocompleteInput): InteractionHandle;
  /** Dispatches a button or string-select INTERACTION_CREATE (type 3) on a message the bot sent. */
  component(input: ComponentInput): InteractionHandle;
  /** Sends any dispatch to every session as given (no intent filtering); returns how many got it. */
  dispatch(t: string, d: unknown): number;

  /** Closes the gateway socket(s) with `code` (default 4000: the client resumes; 1000 makes it identify anew). */
  closeSocket(code?: number): void;
  /** Sends op 7 Reconnect; the client closes and resumes. */
  requestReconnect(): void;
  /** Leaves the next `count` heartbeats unanswered: the client sees a zombie connection and resumes. */
  skipHeartbeatAcks(count?: number): void;
  /** Answers the next `count` RESUMEs with op 9 (not resumable): the client identifies again after discord.js's 5 s throttle. */
  rejectNextResume(count?: number): void;
  /** Makes the next `times` REST requests matching `method` (`*` for any) and `path` fail (after the token check). */
  failNext(method: string, path: string | RegExp, failure: DiscordFailure, times?: number): void;
  /** Changes the accepted token, e.g. to revoke the running bot's token mid-test. */
  setToken(token: string): void;
  /** Drops every connection and stops both servers. Destroy the discord.js client first. */
  close(): Promise<void>;
}

// ─── Start ───────────────────────────────────────────────────────────────────────────────────────

/** Starts the fake on 127.0.0.1 (two free ports). `client.destroy()` first, then `close()` it in `afterEach`. */
export async function startDiscordFake(options: DiscordFakeOptions = {}): Promise<DiscordFake> {
  let token = options.token ?? DEFAULT_DISCORD_TOKEN;
  const applicationId = options.applicationId ?? DEFAULT_APPLICATION_ID;
  const bot = userPayload({
    username: "tessera",
    global_name: "Tessera",
    ...options.bot,
    id: options.bot?.id ?? applicationId,
    bot: true,
  });
  const privileged = {
    messageContent: options.privilegedIntents?.messageContent ?? true,
    guildMembers: options.privilegedIntents?.guildMembers ?? false,
    guildPresences: options.privilegedIntents?.guildPresences ?? false,
  };
  const flags = applicationFlags(privileged);
  const world = new DiscordWorld(bot, applicationId, options.guilds ?? [DEFAULT_GUILD], DEFAULT_DISCORD_USER);

  const gateway = await DiscordGateway.start(
    {
      tokenIsValid: (candidate) => candidate === token,
      intentsProblem: (intents) => intentsProblem(intents, privileged),
      ready: (session) =>
        readyPayload({
          bot,
          guildIds: world.guildIds(),
          sessionId: session.id,
          resumeUrl: session.resumeUrl,
          applicationId,
          applicationFlags: flags,
          shard: session.shard,
        }),
      guildCreates: () => world.guildCreates(),
    },
    options.heartbeatIntervalMs ?? 1000,
  );
  const rest = new DiscordRest(world, gateway, {
    token: () => token,
    interactionAckTimeoutMs: options.interactionAckTimeoutMs ?? 3000,
    application: () => applicationPayload(applicationId, bot, DEFAULT_DISCORD_USER, flags),
    gatewayUrl: gateway.url,
  });
  let server: FakeServer | undefined;
  server = await startHttpFake(async (req, res) => {
    // The shared plumbing keeps raw headers, Authorization included; only the redacted record stays.
    server?.requests.splice(0);
    await rest.handle(req, res);
  });
  const http = server;
  const users = new UserActions(world, gateway);

  return {
    url: http.url,
    apiBase: `${http.url}/api`,
    gatewayUrl: gateway.url,
    get token() {
      return token;
    },
    applicationId,
    bot,
    requests: rest.requests.all,
    frames: gateway.frames.all,
    dispatches: gateway.dispatches,
    connections: gateway.connections,
    waitForReady: (timeoutMs) => gateway.waitForLive(timeoutMs),
    waitFor: (match, timeoutMs) =>
      rest.requests.waitFor((r) => r.response !== undefined && requestMatches(match, r), timeoutMs),
    waitForFrame: (op, predicate = () => true, timeoutMs) =>
      gateway.frames.waitFor((f) => f.op === op && predicate(f), timeoutMs),
    waitForCallback: (interactionId, timeoutMs) =>
      rest.callbacks.waitFor(
        (c) => interactionId === undefined || c.interactionId === interactionId,
        timeoutMs,
      ),
    callbacks: (interactionId) =>
      rest.callbacks.all.filter((c) => interactionId === undefined || c.interactionId === interactionId),
    messages: (channelId) => world.messagesIn(channelId),
    sent: (channelId) => world.messagesIn(channelId).filter((m) => m.author.id === bot.id),
    message: (messageId) => world.message(messageId),
    commands: (guildId) => world.commands.list(guildId),
    sessions: () => gateway.sessionInfo(),
    dmChannelId: (user = DEFAULT_DISCORD_USER) => world.dmChannel(world.user(user)).id,
    user: (input) => world.user(input),
    sendMessage: (input) => users.sendMessage(input),
    createThread: (input) => users.createThread(input),
    interaction: (input) => users.command(input),
    autocomplete: (input) => users.autocomplete(input),
    component: (input) => users.component(input),
    dispatch: (t, d) => gateway.dispatch(t, () => d),
    closeSocket: (code = 4000) =>
      gateway.closeSockets(code, code === 4000 ? "Unknown error." : "Closed by the test."),
    requestReconnect: () => gateway.requestReconnect(),
    skipHeartbeatAcks: (count = 1) => gateway.skipHeartbeatAcks(count),
    rejectNextResume: (count = 1) => gateway.rejectResumes(count),
    failNext: (method, path, failure, times = 1) => rest.failNext(method, path, failure, times),
    setToken: (next) => {
      token = next;
    },
    async close() {
      rest.close();
      await gateway.close();
      await http.close();
    },
  };
}

function intentsProblem(
  intents: unknown,
  enabled: { messageContent: boolean; guildMembers: boolean; guildPresences: boolean },
): { code: number; reason: string } | undefined {
  if (typeof intents !== "number" || !Number.isInteger(intents) || intents < 0 || intents >= 1 << 26) {
    return { code: 4013, reason: "Invalid intent(s)." };
  }
  const disallowed =
    (intents & INTENTS.MessageContent && !enabled.messageContent) ||
    (intents & INTENTS.GuildMembers && !enabled.guildMembers) ||
    (intents & INTENTS.GuildPresences && !enabled.guildPresences);
  return disallowed ? { code: 4014, reason: "Disallowed intent(s)." } : undefined;
}

function requestMatches(match: RequestMatch, request: DiscordRequest): boolean {
  if (typeof match === "function") return match(request);
  if (match.method && match.method.toUpperCase() !== request.method) return false;
  if (match.path === undefined) return true;
  if (match.path instanceof RegExp) return match.path.test(request.path);
  const pattern = match.path
    .split("/")
    .map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${pattern.join("/")}$`).test(request.path);
}

// ─── What users do ───────────────────────────────────────────────────────────────────────────────

/** Builds the events a user's actions cause and dispatches them; throws on a test's own mistakes. */
class UserActions {
  constructor(
    private readonly world: DiscordWorld,
    private readonly gateway: DiscordGateway,
  ) {}

  sendMessage(input: MessageInput): string {
    this.requireSession("MESSAGE_CREATE");
    const author = this.world.user(input.author ?? DEFAULT_DISCORD_USER);
    const channel = this.place(input.thread ?? input.channel, input.guild, author);
    const content = input.mentionBot ? `<@${this.world.bot.id}> ${input.content}` : input.content;
    const replyTo =
      input.replyTo === undefined
        ? undefined
        : this.world.replyTarget(channel.id, { message_id: input.replyTo, fail_if_not_exists: false });
    if (input.replyTo !== undefined && !replyTo) {
      throw new Error(`discord fake: no message ${input.replyTo} in channel ${channel.id} to reply to`);
    }
    const mentioned = new Map<string, APIUser>();
    for (const match of content.matchAll(/<@!?(\d+)>/g)) {
      const user = this.world.users.get(match[1] as string);
      if (user) mentioned.set(user.id, user);
    }
    for (const user of input.mentions ?? []) mentioned.set(user.id, this.world.user(user));
    if (replyTo && replyTo.message.author.id === this.world.bot.id)
      mentioned.set(this.world.bot.id, this.world.bot);
    const message = messagePayload({
      id: this.world.nextId(),
      channelId: channel.id,
      author,
      content,
      mentions: [...mentioned.values()],
      mentionEveryone: /@(everyone|here)\b/.test(content),
      replyTo,
      position: this.world.positionIn(channel.id),
    });
    this.world.storeMessage(message);
    this.send("MESSAGE_CREATE", (intents) => this.world.messageEventFor(message, intents));
    return message.id;
  }

  createThread(input: Omit<FakeThreadInput, "id"> & { id?: string }): string {
    this.requireSession("THREAD_CREATE");
    const thread = this.world.addThread({ ...input, id: input.id ?? this.world.nextId() });
    this.send("THREAD_CREATE", (intents) =>
      intents & INTENTS.Guilds ? { ...thread, newly_created: true } : undefined,
    );
    return thread.id;
  }

  command(input: CommandInput): InteractionHandle {
    this.requireSession("INTERACTION_CREATE");
    return this.dispatchInteraction("command", 2, input, this.commandData(input));
  }

  autocomplete(input: AutocompleteInput): InteractionHandle {
    this.requireSession("INTERACTION_CREATE");
    return this.dispatchInteraction("autocomplete", 4, input, this.commandData(input, input.focused));
  }

  component(input: ComponentInput): InteractionHandle {
    this.requireSession("INTERACTION_CREATE");
    const message = this.world.message(input.message);
    if (!message || message.author.id !== this.world.bot.id) {
      throw new Error(`discord fake: the bot sent no message ${input.message}`);
    }
    const found = findComponent(message, input.customId);
    if (!found && !input.unchecked) {
      throw new Error(
        `discord fake: message ${input.message} shows no component with custom_id ${JSON.stringify(input.customId)} (it has ${JSON.stringify(customIdsOf(message))})`,
      );
    }
    const isSelect = found ? found.type === 3 : input.values !== undefined;
    if (isSelect && found && !input.unchecked) checkSelectValues(found, input.values ?? []);
    const data = isSelect
      ? { custom_id: input.customId, component_type: 3, values: input.values ?? [] }
      : { custom_id: input.customId, component_type: 2 };
    const place = { ...input, channel: message.channel_id };
    return this.dispatchInteraction("component", 3, place, data, message);
  }

  // ─── Shared pieces ─────────────────────────────────────────────────────────────────────────────

  /** The channel a user acts in: a known guild channel or thread, else the DM with `user`. */
  private place(channelId: string | undefined, guildId: string | undefined, user: APIUser): ChannelRecord {
    if (channelId === undefined) {
      if (guildId !== undefined) throw new Error("discord fake: a guild message needs a channel");
      return this.world.dmChannel(user);
    }
    const channel = this.world.channels.get(channelId);
    if (!channel) {
      throw new Error(
        `discord fake: no channel ${channelId}; known: ${[...this.world.channels.keys()].join(", ")}`,
      );
    }
    if (channel.kind === "dm") {
      if (channel.recipient.id !== user.id) {
        throw new Error(
          `discord fake: ${channelId} is the DM with ${channel.recipient.id}, not with ${user.id}`,
        );
      }
      return channel;
    }
    if (guildId !== undefined && channel.guildId !== guildId) {
      throw new Error(`discord fake: channel ${channelId} is in guild ${channel.guildId}, not ${guildId}`);
    }
    if (channel.kind === "guild" && channel.type !== 0 && channel.type !== 5) {
      throw new Error(`discord fake: channel ${channelId} (type ${channel.type}) does not hold messages`);
    }
    return channel;
  }

  /** A user's action needs a client to see it; without one the test most likely forgot to wait. */
  private requireSession(t: string): void {
    if (!this.gateway.hasSession) {
      throw new Error(`discord fake: no gateway session to send ${t} to; await fake.waitForReady() first`);
    }
  }

  private send(t: string, build: (intents: number) => unknown): void {
    this.gateway.dispatch(t, build);
  }

  private dispatchInteraction(
    kind: InteractionRecord["kind"],
    type: 2 | 3 | 4,
    input: InteractionPlace,
    data: unknown,
    message?: APIMessage,
  ): InteractionHandle {
    const user = this.world.user(input.user ?? DEFAULT_DISCORD_USER);
    const channel = this.place(input.channel, input.guild, user);
    const id = this.world.nextId();
    const token = interactionToken();
    const locale = input.locale ?? "en-US";
    const inGuild = channel.kind !== "dm";
    const payload = {
      id,
      application_id: this.world.applicationId,
      type,
      token,
      version: 1,
      data,
      channel_id: channel.id,
      channel: this.world.channelPayload(channel),
      app_permissions: BOT_PERMISSIONS,
      locale,
      entitlements: [],
      authorizing_integration_owners: { 0: inGuild ? channel.guildId : "0" },
      context: inGuild ? 0 : 1,
      attachment_size_limit: 10 * 1024 * 1024,
      ...(message ? { message } : {}),
      ...(inGuild
        ? {
            guild_id: channel.guildId,
            guild: { id: channel.guildId, locale: "en-US", features: [] },
            guild_locale: "en-US",
            member: interactionMemberPayload(user, this.world.joinedAt),
          }
        : { user }),
    } as unknown as APIInteraction;
    this.world.interactions.set(id, {
      id,
      token,
      kind,
      payload,
      channelId: channel.id,
      guildId: inGuild ? channel.guildId : undefined,
      createdAt: Date.now(),
      sourceMessageId: message?.id,
    });
    this.send("INTERACTION_CREATE", () => payload);
    return { id, token };
  }

  /** `data` of a command or autocomplete interaction, checked against the registered command. */
  private commandData(input: CommandInput, focused?: string): unknown {
    const channel = input.channel === undefined ? undefined : this.world.channels.get(input.channel);
    const guildId = channel && channel.kind !== "dm" ? channel.guildId : undefined;
    const registered = this.world.commands.find(input.command, guildId);
    if (!registered && !input.unchecked) {
      const known = [
        ...this.world.commands.list(),
        ...(guildId ? this.world.commands.list(guildId) : []),
      ].map((c) => c.name);
      throw new Error(
        `discord fake: no command /${input.command} is registered${guildId ? ` globally or in guild ${guildId}` : ""} (registered: ${known.join(", ") || "none"}); pass unchecked: true to send it anyway`,
      );
    }
    const options = buildOptions(input, registered?.options, focused);
    return {
      id: registered?.id ?? this.world.nextId(),
      name: input.command,
      type: 1,
      ...(options.length ? { options } : {}),
      ...(registered?.guild_id ? { guild_id: registered.guild_id } : {}),
    };
  }
}

// ─── Command options ─────────────────────────────────────────────────────────────────────────────

type OptionDefinition = APIApplicationCommandOption & {
  options?: APIApplicationCommandOption[];
  choices?: { value: unknown }[];
  required?: boolean;
  autocomplete?: boolean;
};

/** The interaction's `options`: nested under the subcommand (group), typed from the definition. */
function buildOptions(
  input: CommandInput,
  definitions: APIApplicationCommandOption[] | undefined,
  focused: string | undefined,
): APIApplicationCommandInteractionDataOption[] {
  if (Array.isArray(input.options)) return input.options;
  const checked = definitions !== undefined && !input.unchecked;
  let level = (definitions ?? []) as OptionDefinition[];
  const path: { name: string; type: 1 | 2 }[] = [];
  for (const [name, type] of [
    [input.subcommandGroup, 2],
    [input.subcommand, 1],
  ] as const) {
    if (name === undefined) continue;
    const definition = level.find((o) => o.name === name && o.type === type);
    if (!definition && checked)
      throw new Error(
        `discord fake: /${input.command} has no ${type === 2 ? "subcommand group" : "subcommand"} ${name}`,
      );
    path.push({ name, type });
    level = (definition?.options ?? []) as OptionDefinition[];
  }
  if (checked && path.length === 0 && level.some((o) => o.type === 1 || o.type === 2)) {
    throw new Error(
      `discord fake: /${input.command} needs a subcommand (${level.map((o) => o.name).join(", ")})`,
    );
  }
  const values = { ...(input.options ?? {}) } as Record<string, string | number | boolean>;
  if (focused !== undefined && !(focused in values)) values[focused] = "";
  const leaves = Object.entries(values).map(([name, value]) =>
    leafOption(
      input.command,
      name,
      value,
      level.find((o) => o.name === name),
      { checked, focused: name === focused },
    ),
  );
  if (checked && focused === undefined) {
    const missing = level.filter((o) => o.required && !(o.name in values)).map((o) => o.name);
    if (missing.length)
      throw new Error(`discord fake: /${input.command} is missing required options ${missing.join(", ")}`);
  }
  let options = leaves as APIApplicationCommandInteractionDataOption[];
  for (const step of path.reverse()) {
    options = [{ name: step.name, type: step.type, options } as APIApplicationCommandInteractionDataOption];
  }
  return options;
}

function leafOption(
  command: string,
  name: string,
  value: string | number | boolean,
  definition: OptionDefinition | undefined,
  how: { checked: boolean; focused: boolean },
): APIApplicationCommandInteractionDataOption {
  if (!definition && how.checked) throw new Error(`discord fake: /${command} has no option ${name}`);
  const type = definition?.type ?? inferOptionType(value);
  if (how.focused) {
    if (how.checked && !definition?.autocomplete)
      throw new Error(`discord fake: option ${name} of /${command} has no autocomplete`);
    return { name, type, value: String(value), focused: true } as APIApplicationCommandInteractionDataOption;
  }
  if (how.checked) checkOptionValue(command, name, value, definition as OptionDefinition);
  return { name, type, value } as APIApplicationCommandInteractionDataOption;
}

function inferOptionType(value: string | number | boolean): number {
  if (typeof value === "boolean") return 5;
  if (typeof value === "number") return Number.isInteger(value) ? 4 : 10;
  return 3;
}

/** What the Discord client enforces before it sends a command: the option's type and its choices. */
function checkOptionValue(
  command: string,
  name: string,
  value: string | number | boolean,
  definition: OptionDefinition,
): void {
  const expected: Record<number, (v: unknown) => boolean> = {
    3: (v) => typeof v === "string",
    4: (v) => Number.isInteger(v),
    5: (v) => typeof v === "boolean",
    10: (v) => typeof v === "number",
  };
  const fits = expected[definition.type];
  if (fits && !fits(value))
    throw new Error(
      `discord fake: option ${name} of /${command} (type ${definition.type}) cannot take ${JSON.stringify(value)}`,
    );
  if (definition.choices && !definition.choices.some((choice) => choice.value === value)) {
    throw new Error(
      `discord fake: ${JSON.stringify(value)} is not a choice of option ${name} of /${command}`,
    );
  }
}

// ─── Components ──────────────────────────────────────────────────────────────────────────────────

interface ComponentLike {
  type: number;
  custom_id?: string;
  options?: { value: string }[];
  min_values?: number;
  max_values?: number;
  components?: ComponentLike[];
}

function componentsOf(message: APIMessage): ComponentLike[] {
  const walk = (list: ComponentLike[]): ComponentLike[] =>
    list.flatMap((c) => [c, ...walk(c.components ?? [])]);
  return walk((message.components ?? []) as unknown as ComponentLike[]);
}

function findComponent(message: APIMessage, customId: string): ComponentLike | undefined {
  return componentsOf(message).find((c) => c.custom_id === customId);
}

function customIdsOf(message: APIMessage): string[] {
  return componentsOf(message).flatMap((c) => (c.custom_id ? [c.custom_id] : []));
}

/** What the Discord client lets a user pick: listed values, between min_values and max_values of them. */
function checkSelectValues(select: ComponentLike, values: string[]): void {
  const offered = new Set((select.options ?? []).map((o) => o.value));
  const unknown = values.filter((v) => !offered.has(v));
  if (unknown.length)
    throw new Error(
      `discord fake: select ${select.custom_id} offers no ${unknown.join(", ")} (it offers ${[...offered].join(", ")})`,
    );
  const min = select.min_values ?? 1;
  const max = select.max_values ?? 1;
  if (values.length < min || values.length > max) {
    throw new Error(
      `discord fake: select ${select.custom_id} takes ${min}–${max} values, got ${values.length}`,
    );
  }
}
