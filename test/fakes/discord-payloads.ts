/**
 * Typed builders for every object the Discord stand-in (`discord-server.ts`) hands to discord.js:
 * users, guilds with their roles and channels, threads, DM channels, members, messages, interactions,
 * the application and stored commands, and Discord's error bodies.
 *
 * Why builders rather than literals at the call sites: discord.js reads these payloads inside its
 * gateway emitter, and a missing field there (`application` on READY, `entitlements` on an
 * interaction) is not an `error` event but an uncaught TypeError that kills the process under test.
 * Each builder is typed with discord-api-types (re-exported by discord.js), so a field Discord always
 * sends cannot be left out without `npm run typecheck` failing.
 *
 * Only types are imported from discord.js: the fake runs in the test process, which should not load
 * the library it is testing. Enum values are therefore written as numbers, checked by their types.
 */
import { randomBytes } from "node:crypto";
import type {
  APIApplication,
  APIApplicationCommand,
  APIApplicationCommandInteractionDataOption,
  APIDMChannel,
  APIEmbed,
  APIGuildMember,
  APIInteractionGuildMember,
  APIMessage,
  APIMessageTopLevelComponent,
  APIRole,
  APITextChannel,
  APIThreadChannel,
  APIUser,
  ChannelFlags,
  GatewayGuildCreateDispatchData,
  GatewayReadyDispatchData,
  GuildMemberFlags,
  GuildSystemChannelFlags,
  Locale,
  RoleFlags,
  UserFlags,
} from "discord.js";

// ─── Numbers discord.js and Discord agree on ─────────────────────────────────────────────────────

/** Gateway intent bits the fake acts on (Discord's values). */
export const INTENTS = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

/** Gateway opcodes, by Discord's names. */
export const OP = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

/** Message flags the fake sets or reads. */
export const MESSAGE_FLAGS = { Ephemeral: 1 << 6, Loading: 1 << 7, IsComponentsV2: 1 << 15 } as const;

/** Discord's epoch (2015-01-01), the zero of every snowflake's timestamp. */
const DISCORD_EPOCH = 1420070400000n;

/**
 * The permissions the fake says the bot has everywhere (`app_permissions`): view, send, send in
 * threads, create threads, embed, attach, read history, add reactions, external emoji, use commands.
 */
export const BOT_PERMISSIONS = [6, 10, 11, 14, 15, 16, 18, 31, 35, 38]
  .reduce((all, bit) => all | (1n << BigInt(bit)), 0n)
  .toString();

/** What a member without roles may do in the fake's guilds (the @everyone role's permissions). */
const EVERYONE_PERMISSIONS = [6, 10, 11, 15, 16, 18, 31, 35, 38]
  .reduce((all, bit) => all | (1n << BigInt(bit)), 0n)
  .toString();

// ─── Ids and tokens ──────────────────────────────────────────────────────────────────────────────

/**
 * Returns a generator of real snowflakes (timestamp << 22 | counter), always increasing, so ids
 * sort in creation order and discord.js's `createdTimestamp` is now.
 */
export function snowflakeGenerator(): () => string {
  let last = 0n;
  return () => {
    const now = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    last = now > last ? now : last + 1n;
    return last.toString();
  };
}

/** An interaction token: opaque, long, URL-safe, as Discord's are. */
export function interactionToken(): string {
  return `aW50ZXJhY3Rpb24${randomBytes(60).toString("base64url")}`;
}

/** A gateway session id: 32 hex characters. */
export function sessionId(): string {
  return randomBytes(16).toString("hex");
}

/** `new Date().toISOString()` in Discord's spelling (`+00:00`, microseconds). */
export function discordTimestamp(at: number = Date.now()): string {
  return new Date(at).toISOString().replace("Z", "000+00:00");
}

// ─── Users and members ───────────────────────────────────────────────────────────────────────────

/** A user as a test names one; the fake fills in the rest of Discord's user object. */
export interface FakeUserInput {
  id: string;
  username?: string;
  global_name?: string | null;
  bot?: boolean;
}

/** A complete user object (pomelo usernames: `discriminator` is `"0"`). */
export function userPayload(input: FakeUserInput): APIUser {
  const username = input.username ?? `user${input.id.slice(-4)}`;
  return {
    id: input.id,
    username,
    discriminator: "0",
    global_name: input.global_name === undefined ? username : input.global_name,
    avatar: null,
    ...(input.bot ? { bot: true } : {}),
    public_flags: 0 as UserFlags,
    flags: 0 as UserFlags,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
}

/** The member part of a guild MESSAGE_CREATE (Discord leaves `user` out there). */
export function memberPayload(joinedAt: string): Omit<APIGuildMember, "user"> {
  return {
    roles: [],
    nick: null,
    avatar: null,
    banner: null,
    premium_since: null,
    joined_at: joinedAt,
    pending: false,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    communication_disabled_until: null,
  };
}

/** The member of a guild interaction: with `user` and the member's computed `permissions`. */
export function interactionMemberPayload(user: APIUser, joinedAt: string): APIInteractionGuildMember {
  return { ...memberPayload(joinedAt), user, permissions: EVERYONE_PERMISSIONS };
}

// ─── Guilds and channels ─────────────────────────────────────────────────────────────────────────

/** A guild channel as a test names it. */
export interface FakeChannelInput {
  id: string;
  name: string;
  /** 0 text (default), 2 voice, 4 category, 5 announcement, 15 forum. */
  type?: 0 | 2 | 4 | 5 | 15;
  /** The category it sits in. */
  parentId?: string;
  topic?: string;
}

/** A thread as a test names it: under a text channel, public (11) by default. */
export interface FakeThreadInput {
  id: string;
  name: string;
  parentId: string;
  /** 11 public (default), 12 private. */
  type?: 11 | 12;
  /** Who started it; defaults to the guild owner. */
  ownerId?: string;
}

/** A guild as a test names it. */
export interface FakeGuildInput {
  id: string;
  name?: string;
  /** Default: the fake's default user. */
  ownerId?: string;
  channels: FakeChannelInput[];
  /** Active threads, sent in GUILD_CREATE's `threads`. */
  threads?: FakeThreadInput[];
}

const NO_CHANNEL_FLAGS = 0 as ChannelFlags;

type GuildCreateChannel = GatewayGuildCreateDispatchData["channels"][number];

/** A guild channel object with every field a guild channel of its type carries. */
export function channelPayload(
  guildId: string,
  input: FakeChannelInput,
  position: number,
): GuildCreateChannel {
  const base = {
    id: input.id,
    guild_id: guildId,
    name: input.name,
    position,
    permission_overwrites: [],
    parent_id: input.parentId ?? null,
    nsfw: false,
    flags: NO_CHANNEL_FLAGS,
  };
  switch (input.type ?? 0) {
    case 0:
      return textChannelPayload(guildId, input, position);
    case 2:
      return {
        ...base,
        type: 2,
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        last_message_id: null,
        rate_limit_per_user: 0,
      };
    case 4:
      return { ...base, type: 4, parent_id: null };
    case 5:
      return {
        ...base,
        type: 5,
        topic: input.topic ?? null,
        last_message_id: null,
        default_auto_archive_duration: 1440,
      };
    case 15:
      return {
        ...base,
        type: 15,
        topic: input.topic ?? null,
        last_message_id: null,
        rate_limit_per_user: 0,
        default_auto_archive_duration: 1440,
        default_thread_rate_limit_per_user: 0,
        available_tags: [],
        default_reaction_emoji: null,
        default_sort_order: null,
        default_forum_layout: 0,
      };
    default:
      throw new Error(`discord fake: unsupported channel type ${String(input.type)}`);
  }
}

/** A text channel (type 0): the kind a guild MESSAGE_CREATE needs cached to be emitted. */
export function textChannelPayload(
  guildId: string,
  input: FakeChannelInput,
  position: number,
): APITextChannel {
  return {
    id: input.id,
    type: 0,
    guild_id: guildId,
    name: input.name,
    position,
    permission_overwrites: [],
    parent_id: input.parentId ?? null,
    topic: input.topic ?? null,
    nsfw: false,
    last_message_id: null,
    last_pin_timestamp: null,
    rate_limit_per_user: 0,
    default_auto_archive_duration: 1440,
    default_thread_rate_limit_per_user: 0,
    flags: NO_CHANNEL_FLAGS,
  };
}

/** A thread channel (type 11/12) with its `thread_metadata`, as GUILD_CREATE and THREAD_CREATE carry it. */
export function threadPayload(guildId: string, input: FakeThreadInput, ownerId: string): APIThreadChannel {
  const now = discordTimestamp();
  return {
    id: input.id,
    type: input.type ?? 11,
    guild_id: guildId,
    parent_id: input.parentId,
    owner_id: input.ownerId ?? ownerId,
    name: input.name,
    last_message_id: null,
    last_pin_timestamp: null,
    rate_limit_per_user: 0,
    flags: NO_CHANNEL_FLAGS,
    thread_metadata: {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: now,
      locked: false,
      create_timestamp: now,
      ...(input.type === 12 ? { invitable: true } : {}),
    },
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    applied_tags: [],
  };
}

/** The DM channel between the bot and `recipient`. */
export function dmChannelPayload(id: string, recipient: APIUser, lastMessageId: string | null): APIDMChannel {
  return {
    id,
    type: 1,
    name: null,
    last_message_id: lastMessageId,
    flags: NO_CHANNEL_FLAGS,
    recipients: [recipient],
  };
}

/** The @everyone role (its id is the guild's) plus the bot's managed role. */
export function guildRoles(guildId: string, botRoleId: string, bot: APIUser): APIRole[] {
  const role = (
    id: string,
    name: string,
    position: number,
    permissions: string,
    managed: boolean,
  ): APIRole => ({
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions,
    managed,
    mentionable: false,
    flags: 0 as RoleFlags,
    ...(managed ? { tags: { bot_id: bot.id } } : {}),
  });
  return [
    role(guildId, "@everyone", 0, EVERYONE_PERMISSIONS, false),
    role(botRoleId, bot.username, 1, BOT_PERMISSIONS, true),
  ];
}

/**
 * A full GUILD_CREATE: roles (with @everyone), channels, threads, the bot as the one member and
 * `unavailable: false`, so discord.js caches every channel and does not drop guild messages.
 */
export function guildCreatePayload(
  input: FakeGuildInput,
  parts: { bot: APIUser; botRoleId: string; ownerId: string; joinedAt: string; threads: APIThreadChannel[] },
): GatewayGuildCreateDispatchData {
  const botMember: APIGuildMember = {
    ...memberPayload(parts.joinedAt),
    user: parts.bot,
    roles: [parts.botRoleId],
  };
  return {
    id: input.id,
    name: input.name ?? `Guild ${input.id.slice(-4)}`,
    icon: null,
    icon_hash: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: parts.ownerId,
    region: "deprecated",
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    roles: guildRoles(input.id, parts.botRoleId, parts.bot),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    max_presences: null,
    max_members: 500000,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: "en-US" as Locale,
    nsfw_level: 0,
    hub_type: null,
    incidents_data: null,
    joined_at: parts.joinedAt,
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [botMember],
    channels: input.channels.map((channel, position) => channelPayload(input.id, channel, position)),
    threads: parts.threads,
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

// ─── Application, READY, commands ────────────────────────────────────────────────────────────────

/**
 * Application flags that say which privileged intents the portal has switched on (the `…_LIMITED`
 * bits, as an unverified bot in under 100 servers has them).
 */
export function applicationFlags(enabled: {
  messageContent: boolean;
  guildMembers: boolean;
  guildPresences: boolean;
}): number {
  return (
    (enabled.guildPresences ? 1 << 13 : 0) |
    (enabled.guildMembers ? 1 << 15 : 0) |
    (enabled.messageContent ? 1 << 19 : 0)
  );
}

/** The application object of `GET /oauth2/applications/@me` and `GET /applications/@me`. */
export function applicationPayload(id: string, bot: APIUser, owner: APIUser, flags: number): APIApplication {
  return {
    id,
    name: bot.username,
    icon: null,
    description: "",
    summary: "",
    type: null,
    bot_public: true,
    bot_require_code_grant: false,
    bot,
    owner,
    team: null,
    verify_key: "f0".repeat(32),
    flags,
    flags_new: String(flags),
    approximate_guild_count: 1,
    redirect_uris: [],
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    integration_types_config: { 0: {} },
  } as APIApplication;
}

/** READY: `application` and `guilds` are the fields whose absence breaks discord.js. */
export function readyPayload(parts: {
  bot: APIUser;
  guildIds: string[];
  sessionId: string;
  resumeUrl: string;
  applicationId: string;
  applicationFlags: number;
  shard?: [number, number];
}): GatewayReadyDispatchData {
  return {
    v: 10,
    user: { ...parts.bot, verified: true, mfa_enabled: false, email: null },
    guilds: parts.guildIds.map((id) => ({ id, unavailable: true })),
    session_id: parts.sessionId,
    resume_gateway_url: parts.resumeUrl,
    ...(parts.shard ? { shard: parts.shard } : {}),
    application: {
      id: parts.applicationId,
      flags: parts.applicationFlags,
      flags_new: String(parts.applicationFlags),
    },
  };
}

/** A command as Discord stores it: the registered body plus id, application_id, version and defaults. */
export function storedCommand(
  body: Record<string, unknown>,
  parts: { id: string; applicationId: string; version: string; guildId?: string },
): APIApplicationCommand {
  const type = typeof body.type === "number" ? body.type : 1;
  return {
    ...body,
    id: parts.id,
    application_id: parts.applicationId,
    version: parts.version,
    type,
    name: String(body.name ?? ""),
    description: typeof body.description === "string" ? body.description : "",
    default_member_permissions:
      typeof body.default_member_permissions === "string" ? body.default_member_permissions : null,
    dm_permission: body.dm_permission !== false,
    nsfw: body.nsfw === true,
    integration_types: Array.isArray(body.integration_types) ? body.integration_types : [0],
    contexts: Array.isArray(body.contexts) ? body.contexts : null,
    ...(parts.guildId ? { guild_id: parts.guildId } : {}),
  } as APIApplicationCommand;
}

// ─── Messages ────────────────────────────────────────────────────────────────────────────────────

/** What a message is made of; `messagePayload` fills in every field discord.js's Message reads. */
export interface MessageParts {
  id: string;
  channelId: string;
  author: APIUser;
  content: string;
  embeds?: APIEmbed[];
  components?: APIMessageTopLevelComponent[];
  attachments?: APIMessage["attachments"];
  mentions?: APIUser[];
  mentionRoles?: string[];
  mentionEveryone?: boolean;
  flags?: number;
  /** 0 default, 19 reply, 20 chat-input command response. */
  type?: 0 | 19 | 20;
  tts?: boolean;
  /** The message this one replies to, as stored (its own `referenced_message` is dropped). */
  replyTo?: { message: APIMessage; guildId?: string };
  webhookId?: string;
  applicationId?: string;
  interactionMetadata?: APIMessage["interaction_metadata"];
  /** Position in a thread. */
  position?: number;
  nonce?: string | number;
}

/** A complete message object: what `POST /channels/{id}/messages` returns and MESSAGE_CREATE carries. */
export function messagePayload(parts: MessageParts): APIMessage {
  const reply = parts.replyTo;
  return {
    id: parts.id,
    type: reply ? 19 : (parts.type ?? 0),
    channel_id: parts.channelId,
    author: parts.author,
    content: parts.content,
    timestamp: discordTimestamp(),
    edited_timestamp: null,
    tts: parts.tts ?? false,
    mention_everyone: parts.mentionEveryone ?? false,
    mentions: parts.mentions ?? [],
    mention_roles: parts.mentionRoles ?? [],
    attachments: parts.attachments ?? [],
    embeds: parts.embeds ?? [],
    components: parts.components ?? [],
    pinned: false,
    flags: parts.flags ?? 0,
    ...(parts.nonce === undefined ? {} : { nonce: parts.nonce }),
    ...(parts.position === undefined ? {} : { position: parts.position }),
    ...(parts.webhookId ? { webhook_id: parts.webhookId } : {}),
    ...(parts.applicationId ? { application_id: parts.applicationId } : {}),
    ...(parts.interactionMetadata ? { interaction_metadata: parts.interactionMetadata } : {}),
    ...(reply
      ? {
          message_reference: {
            type: 0,
            channel_id: reply.message.channel_id,
            message_id: reply.message.id,
            ...(reply.guildId ? { guild_id: reply.guildId } : {}),
          },
          referenced_message: withoutReference(reply.message),
        }
      : {}),
  };
}

/** A copy of a message without its own reply chain, as Discord nests `referenced_message` one level deep. */
export function withoutReference(message: APIMessage): APIMessage {
  const copy = structuredClone(message);
  delete copy.referenced_message;
  return copy;
}

/** Options of a chat-input interaction, as the test gives them by name or as the raw API list. */
export type CommandOptionsInput =
  | Record<string, string | number | boolean>
  | APIApplicationCommandInteractionDataOption[];

// ─── Errors ──────────────────────────────────────────────────────────────────────────────────────

/** One `{ _errors: [...] }` leaf of Discord's nested form-body errors. */
export interface FormErrorLeaf {
  code: string;
  message: string;
}

/**
 * The `errors` tree of a 50035 "Invalid Form Body": path segments (`components`, `0`, `custom_id`)
 * nest objects, and the leaf holds `_errors`.
 */
export type FormErrors = { [key: string]: FormErrors | FormErrorLeaf[] };

/** Builds the nested `errors` object for one field path, e.g. `["components", 0, "custom_id"]`. */
export function formErrorAt(path: (string | number)[], leaf: FormErrorLeaf): FormErrors {
  let tree: FormErrors = { _errors: [leaf] };
  for (const segment of [...path].reverse()) tree = { [String(segment)]: tree };
  return tree;
}

/** Discord's length errors, worded as the API words them. */
export const LENGTH_ERRORS = {
  max: (max: number): FormErrorLeaf => ({
    code: "BASE_TYPE_MAX_LENGTH",
    message: `Must be ${max} or fewer in length.`,
  }),
  between: (min: number, max: number): FormErrorLeaf => ({
    code: "BASE_TYPE_BAD_LENGTH",
    message: `Must be between ${min} and ${max} in length.`,
  }),
  required: (): FormErrorLeaf => ({ code: "BASE_TYPE_REQUIRED", message: "This field is required" }),
};
