/**
 * The REST half of the Discord stand-in: `{url}/api/v10/...` as discord.js's @discordjs/rest calls
 * it, answering with the complete objects discord.js builds its structures from.
 *
 * Bot routes need `Authorization: Bot <token>` (401 otherwise, which discord.js turns into
 * `TokenInvalid` at login); interaction callbacks and `/webhooks/...` come without it, as discord.js
 * sends them. What the bot posts is stored per channel and echoed to the gateway as MESSAGE_CREATE /
 * MESSAGE_UPDATE / MESSAGE_DELETE, because Discord echoes a bot's own messages to it too.
 *
 * Routes not served here answer Discord's `404: Not Found` and are still recorded, so a test can see
 * what the bot tried. Known simplifications: `allowed_mentions` does not change `mentions` (every
 * `<@id>` of a known user counts); file uploads are recorded by name and size only.
 */
import type { ServerResponse } from "node:http";
import type { APIInteraction, APIMessage, APIMessageInteractionMetadata, APIUser } from "discord.js";
import type { DiscordGateway } from "./discord-gateway.js";
import { MESSAGE_FLAGS, messagePayload } from "./discord-payloads.js";
import {
  API_ERRORS,
  checkAutocompleteChoices,
  checkCommandList,
  checkMessageFields,
  checkOneCommand,
  DiscordApiError,
  isEmptyMessage,
} from "./discord-validation.js";
import type { ChannelRecord, DiscordWorld, InteractionRecord } from "./discord-world.js";
import { type JsonObject, type RecordedRequest, sendJson } from "./http-fake.js";
import { RecordLog } from "./record-log.js";

/** One REST request as the fake saw it; the token never appears in it. */
export interface DiscordRequest {
  method: string;
  /** The path after `/api/v10`, decoded (`@original`, not `%40original`), without the query. */
  path: string;
  /** The route it matched, e.g. `/channels/:channel/messages`; undefined when nothing did (404). */
  route?: string;
  query: Record<string, string>;
  /** `bot`: the right `Bot <token>`; `invalid`: an Authorization header with anything else; `none`: no header. */
  auth: "bot" | "invalid" | "none";
  /** The JSON body (object or array), or a multipart upload's `payload_json`. */
  body: unknown;
  /** Files of a multipart upload. */
  files: { name: string; filename: string; size: number }[];
  receivedAt: number;
  /** What the fake answered (undefined until it did). */
  response?: { status: number; body: unknown };
}

/** An interaction callback the fake accepted (`POST /interactions/{id}/{token}/callback`). */
export interface InteractionCallbackRecord {
  interactionId: string;
  /** What the interaction was: a slash command, an autocomplete request, a button or select. */
  kind: InteractionRecord["kind"];
  /** 4 reply, 5 deferred reply, 6 deferred update, 7 update message, 8 autocomplete result, 9 modal. */
  type: number;
  data: unknown;
  receivedAt: number;
}

/**
 * A scripted failure for `failNext`. A 429 comes with Discord's rate-limit headers (`retry-after`
 * in whole seconds, `x-ratelimit-*`) and body `{message, retry_after, global}`; other codes with
 * `{message: "<status>: <reason>", code: 0}` unless `body` says otherwise.
 */
export interface DiscordFailure {
  status: number;
  body?: unknown;
  /** Seconds; 429 only. Default 0.5 (discord.js then waits the header's rounded-up 1 s). */
  retryAfter?: number;
  /** 429 only: a global rate limit (`x-ratelimit-global`, `x-ratelimit-scope: global`). */
  global?: boolean;
  headers?: Record<string, string>;
}

/** What the REST side needs that the fake's options decide. */
export interface RestConfig {
  token(): string;
  interactionAckTimeoutMs: number;
  application(): unknown;
  gatewayUrl: string;
}

interface Route {
  method: string;
  pattern: string;
  auth: boolean;
  handle(params: Record<string, string>, req: DiscordRequest): Reply;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const noContent = (): Reply => ({ status: 204 });
const ok = (body: unknown): Reply => ({ status: 200, body });

/** Response callback types Discord accepts per interaction kind. */
const CALLBACK_TYPES: Record<InteractionRecord["kind"], number[]> = {
  command: [4, 5, 9],
  autocomplete: [8],
  component: [4, 5, 6, 7, 9],
};

/** Serves the REST routes; one per running fake. */
export class DiscordRest {
  readonly requests = new RecordLog<DiscordRequest>(
    "request",
    (r) => `${r.method} ${r.path} → ${r.response?.status ?? "…"}`,
  );
  readonly callbacks = new RecordLog<InteractionCallbackRecord>(
    "interaction callback",
    (c) => `type ${c.type}`,
  );
  private readonly failures: { method: string; path: RegExp; failure: DiscordFailure; times: number }[] = [];
  private readonly routes: Route[];

  constructor(
    private readonly world: DiscordWorld,
    private readonly gateway: DiscordGateway,
    private readonly config: RestConfig,
  ) {
    this.routes = this.buildRoutes();
  }

  /** Makes the next `times` requests matching `method` (or `*`) and `path` fail with `failure`. */
  failNext(method: string, path: string | RegExp, failure: DiscordFailure, times: number): void {
    this.failures.push({ method: method.toUpperCase(), path: pathMatcher(path), failure, times });
  }

  /** The http-fake handler: record (without the token), route, answer. */
  async handle(raw: RecordedRequest, res: ServerResponse): Promise<void> {
    const request = this.record(raw);
    const reply = this.answer(request);
    request.response = { status: reply.status, body: reply.body };
    this.requests.notify();
    if (reply.status === 204) {
      if (!res.destroyed) res.writeHead(204, reply.headers ?? {}).end();
    } else {
      sendJson(res, reply.status, reply.body, reply.headers);
    }
  }

  close(): void {
    this.requests.close();
    this.callbacks.close();
  }

  // ─── Request flow ──────────────────────────────────────────────────────────────────────────────

  private record(raw: RecordedRequest): DiscordRequest {
    const url = new URL(raw.url, "http://fake.invalid");
    const header = raw.headers.authorization;
    const auth = header === undefined ? "none" : header === `Bot ${this.config.token()}` ? "bot" : "invalid";
    const { body, files } = bodyOf(raw);
    const request: DiscordRequest = {
      method: raw.method,
      path: decodePath(url.pathname.replace(/^\/api\/v\d+/, "")),
      query: Object.fromEntries(url.searchParams),
      auth,
      body,
      files,
      receivedAt: raw.receivedAt,
    };
    this.requests.push(request);
    return request;
  }

  private answer(request: DiscordRequest): Reply {
    try {
      const matched = this.match(request);
      if (!matched) throw API_ERRORS.notFound();
      request.route = matched.route.pattern;
      if (matched.route.auth && request.auth !== "bot") throw API_ERRORS.unauthorized();
      const failure = this.takeFailure(request);
      if (failure) return failureReply(failure);
      return matched.route.handle(matched.params, request);
    } catch (error) {
      if (error instanceof DiscordApiError) return { status: error.status, body: error.body };
      throw error;
    }
  }

  private match(request: DiscordRequest): { route: Route; params: Record<string, string> } | undefined {
    const segments = request.path.split("/").filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === request.method) return { route, params };
    }
    if (pathMatched) throw API_ERRORS.methodNotAllowed();
    return undefined;
  }

  private takeFailure(request: DiscordRequest): DiscordFailure | undefined {
    const index = this.failures.findIndex(
      (f) => (f.method === "*" || f.method === request.method) && f.path.test(request.path),
    );
    const entry = this.failures[index];
    if (!entry) return undefined;
    if (--entry.times <= 0) this.failures.splice(index, 1);
    return entry.failure;
  }

  // ─── Routes ────────────────────────────────────────────────────────────────────────────────────

  private buildRoutes(): Route[] {
    const bot = (method: string, pattern: string, handle: Route["handle"]): Route => ({
      method,
      pattern,
      auth: true,
      handle,
    });
    const open = (method: string, pattern: string, handle: Route["handle"]): Route => ({
      method,
      pattern,
      auth: false,
      handle,
    });
    const commands = (
      prefix: string,
      guildOf: (p: Record<string, string>) => string | undefined,
    ): Route[] => [
      bot("GET", `${prefix}/commands`, (p) => ok(this.commandScope(p, guildOf(p)).list(guildOf(p)))),
      bot("PUT", `${prefix}/commands`, (p, r) =>
        ok(this.commandScope(p, guildOf(p)).overwrite(checkCommandList(r.body), guildOf(p))),
      ),
      bot("POST", `${prefix}/commands`, (p, r) => {
        const { command, created } = this.commandScope(p, guildOf(p)).upsert(
          checkOneCommand(r.body),
          guildOf(p),
        );
        return { status: created ? 201 : 200, body: command };
      }),
      bot("GET", `${prefix}/commands/:command`, (p) =>
        ok(this.commandScope(p, guildOf(p)).get(p.command ?? "", guildOf(p))),
      ),
      bot("PATCH", `${prefix}/commands/:command`, (p, r) =>
        ok(this.commandScope(p, guildOf(p)).edit(p.command ?? "", objectBody(r), guildOf(p))),
      ),
      bot("DELETE", `${prefix}/commands/:command`, (p) => {
        this.commandScope(p, guildOf(p)).remove(p.command ?? "", guildOf(p));
        return noContent();
      }),
    ];
    return [
      open("GET", "/gateway", () => ok({ url: this.config.gatewayUrl })),
      bot("GET", "/gateway/bot", () =>
        ok({
          url: this.config.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        }),
      ),
      bot("GET", "/users/@me", () => ok(this.world.bot)),
      bot("POST", "/users/@me/channels", (_p, r) => ok(this.openDm(objectBody(r)))),
      bot("GET", "/users/:user", (p) => ok(this.knownUser(p.user ?? ""))),
      bot("GET", "/oauth2/applications/@me", () => ok(this.config.application())),
      bot("GET", "/applications/@me", () => ok(this.config.application())),
      bot("GET", "/channels/:channel", (p) => ok(this.world.channelPayload(this.channel(p.channel)))),
      bot("GET", "/channels/:channel/messages", (p, r) => ok(this.listMessages(p.channel, r.query))),
      bot("POST", "/channels/:channel/messages", (p, r) => ok(this.postMessage(this.channel(p.channel), r))),
      bot("GET", "/channels/:channel/messages/:message", (p) =>
        ok(this.channelMessage(p.channel, p.message)),
      ),
      bot("PATCH", "/channels/:channel/messages/:message", (p, r) =>
        ok(this.editMessage(this.channelMessage(p.channel, p.message), objectBody(r))),
      ),
      bot("DELETE", "/channels/:channel/messages/:message", (p) => {
        this.deleteMessage(this.channelMessage(p.channel, p.message));
        return noContent();
      }),
      bot("POST", "/channels/:channel/typing", (p) => {
        this.channel(p.channel);
        return noContent();
      }),
      ...commands("/applications/:application", () => undefined),
      ...commands("/applications/:application/guilds/:guild", (p) => p.guild),
      open("POST", "/interactions/:interaction/:token/callback", (p, r) => this.callback(p, r)),
      open("POST", "/webhooks/:application/:token", (p, r) => this.followUp(p, r)),
      open("GET", "/webhooks/:application/:token/messages/:message", (p) => ok(this.webhookMessage(p))),
      open("PATCH", "/webhooks/:application/:token/messages/:message", (p, r) =>
        ok(this.editMessage(this.webhookMessage(p), objectBody(r))),
      ),
      open("DELETE", "/webhooks/:application/:token/messages/:message", (p) => {
        this.deleteMessage(this.webhookMessage(p));
        return noContent();
      }),
    ];
  }

  // ─── Users, channels, messages ─────────────────────────────────────────────────────────────────

  private knownUser(id: string): APIUser {
    const user = id === "@me" ? this.world.bot : this.world.users.get(id);
    if (!user) throw API_ERRORS.unknownUser();
    return user;
  }

  private openDm(body: JsonObject): unknown {
    const recipient = this.knownUser(String(body.recipient_id ?? ""));
    return this.world.channelPayload(this.world.dmChannel(recipient));
  }

  private channel(id: string | undefined): ChannelRecord {
    const channel = this.world.channels.get(id ?? "");
    if (!channel) throw API_ERRORS.unknownChannel();
    return channel;
  }

  private channelMessage(channelId: string | undefined, messageId: string | undefined): APIMessage {
    this.channel(channelId);
    const message = this.world.message(messageId ?? "");
    if (!message || message.channel_id !== channelId) throw API_ERRORS.unknownMessage();
    return message;
  }

  private listMessages(channelId: string | undefined, query: Record<string, string>): APIMessage[] {
    const channel = this.channel(channelId);
    const limit = Math.min(Math.max(Number(query.limit ?? 50) || 50, 1), 100);
    return this.world.messagesIn(channel.id).reverse().slice(0, limit);
  }

  /** `POST /channels/{id}/messages`: checked like Discord, stored, echoed to the gateway. */
  private postMessage(channel: ChannelRecord, request: DiscordRequest): APIMessage {
    const body = objectBody(request);
    checkMessageFields(
      { ...body, attachments: request.files.length ? request.files : body.attachments },
      { requireBody: true },
    );
    const replyTo = this.world.replyTarget(channel.id, body.message_reference);
    const message = messagePayload({
      ...this.contentParts(body, request.files),
      id: this.world.nextId(),
      channelId: channel.id,
      author: this.world.bot,
      replyTo,
      tts: body.tts === true,
      nonce: typeof body.nonce === "string" || typeof body.nonce === "number" ? body.nonce : undefined,
      position: this.world.positionIn(channel.id),
    });
    return this.publish(message);
  }

  /** Applies an edit's fields (those present replace, as Discord's PATCH does) and echoes MESSAGE_UPDATE. */
  private editMessage(current: APIMessage, body: JsonObject): APIMessage {
    if (current.author.id !== this.world.bot.id) throw API_ERRORS.cannotEditOthers();
    checkMessageFields(body, { requireBody: false });
    const next: APIMessage = structuredClone(current);
    if ("content" in body) next.content = typeof body.content === "string" ? body.content : "";
    if ("embeds" in body)
      next.embeds = Array.isArray(body.embeds) ? (body.embeds as APIMessage["embeds"]) : [];
    if ("components" in body) {
      next.components = Array.isArray(body.components) ? (body.components as APIMessage["components"]) : [];
    }
    if ("attachments" in body)
      next.attachments = Array.isArray(body.attachments)
        ? (body.attachments as APIMessage["attachments"])
        : [];
    next.mentions = this.mentionsIn(next.content);
    next.flags = (next.flags ?? 0) & ~MESSAGE_FLAGS.Loading;
    if (isEmptyMessage(next as unknown as JsonObject)) throw API_ERRORS.emptyMessage();
    next.edited_timestamp = new Date().toISOString().replace("Z", "000+00:00");
    const stored = this.world.replaceMessage(next);
    if (!((stored.flags ?? 0) & MESSAGE_FLAGS.Ephemeral)) this.echo("MESSAGE_UPDATE", stored);
    return stored;
  }

  private deleteMessage(message: APIMessage): void {
    this.world.deleteMessage(message.id);
    const channel = this.world.channels.get(message.channel_id);
    const guildId = channel && channel.kind !== "dm" ? channel.guildId : undefined;
    this.gateway.dispatch("MESSAGE_DELETE", (intents) =>
      this.world.messageEventFor(message, intents) === undefined
        ? undefined
        : { id: message.id, channel_id: message.channel_id, ...(guildId ? { guild_id: guildId } : {}) },
    );
  }

  private contentParts(body: JsonObject, files: DiscordRequest["files"]) {
    const content = typeof body.content === "string" ? body.content : "";
    const keptFlags = MESSAGE_FLAGS.Ephemeral | MESSAGE_FLAGS.IsComponentsV2 | (1 << 2) | (1 << 12);
    return {
      content,
      embeds: Array.isArray(body.embeds) ? (body.embeds as APIMessage["embeds"]) : [],
      components: Array.isArray(body.components) ? (body.components as APIMessage["components"]) : [],
      attachments: files.map((file, i) => ({
        id: String(i),
        filename: file.filename,
        size: file.size,
        url: `https://cdn.discordapp.invalid/attachments/${file.filename}`,
        proxy_url: `https://media.discordapp.invalid/attachments/${file.filename}`,
      })),
      mentions: this.mentionsIn(content),
      mentionEveryone: /@(everyone|here)\b/.test(content),
      flags: (typeof body.flags === "number" ? body.flags : 0) & keptFlags,
    };
  }

  private mentionsIn(content: string): APIUser[] {
    const ids = new Set([...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1] as string));
    return [...ids].flatMap((id) => {
      const user = this.world.users.get(id);
      return user ? [user] : [];
    });
  }

  /** Stores a message the bot made and echoes it (ephemeral messages stay between the user and the bot). */
  private publish(message: APIMessage): APIMessage {
    const stored = this.world.storeMessage(message);
    if (!((stored.flags ?? 0) & MESSAGE_FLAGS.Ephemeral)) this.echo("MESSAGE_CREATE", stored);
    return stored;
  }

  private echo(t: "MESSAGE_CREATE" | "MESSAGE_UPDATE", message: APIMessage): void {
    this.gateway.dispatch(t, (intents) => this.world.messageEventFor(message, intents));
  }

  // ─── Interactions and their webhooks ───────────────────────────────────────────────────────────

  private interaction(id: string | undefined, token: string | undefined): InteractionRecord {
    const interaction = this.world.interactions.get(id ?? "");
    if (!interaction || interaction.token !== token) throw API_ERRORS.unknownInteraction();
    return interaction;
  }

  /** `POST /interactions/{id}/{token}/callback`: the first answer to an interaction, within the ack window. */
  private callback(params: Record<string, string>, request: DiscordRequest): Reply {
    const interaction = this.interaction(params.interaction, params.token);
    if (interaction.acknowledgedWith !== undefined) throw API_ERRORS.alreadyAcknowledged();
    const timeout = this.config.interactionAckTimeoutMs;
    if (timeout > 0 && request.receivedAt - interaction.createdAt > timeout)
      throw API_ERRORS.unknownInteraction();
    const body = objectBody(request);
    const type = body.type;
    const data = isObject(body.data) ? body.data : {};
    const allowed = CALLBACK_TYPES[interaction.kind];
    if (typeof type !== "number" || !allowed.includes(type)) {
      throw API_ERRORS.invalidFormBody({
        type: {
          _errors: [{ code: "BASE_TYPE_CHOICES", message: `Value must be one of {${allowed.join(", ")}}.` }],
        },
      });
    }
    const resource = this.respond(interaction, type, data, request.files);
    interaction.acknowledgedWith = type;
    this.callbacks.push({
      interactionId: interaction.id,
      kind: interaction.kind,
      type,
      data: body.data,
      receivedAt: request.receivedAt,
    });
    if (request.query.with_response !== "true") return noContent();
    const message = resource ? this.world.message(resource) : undefined;
    return ok({
      interaction: {
        id: interaction.id,
        type: interaction.payload.type,
        ...(message
          ? {
              response_message_id: message.id,
              response_message_loading: type === 5,
              response_message_ephemeral: Boolean((message.flags ?? 0) & MESSAGE_FLAGS.Ephemeral),
            }
          : {}),
      },
      resource: { type, ...(message ? { message } : {}) },
    });
  }

  /** Carries out a callback; returns the id of the message it created or updated, if any. */
  private respond(
    interaction: InteractionRecord,
    type: number,
    data: JsonObject,
    files: DiscordRequest["files"],
  ): string | undefined {
    switch (type) {
      case 4: {
        checkMessageFields(
          { ...data, attachments: files.length ? files : data.attachments },
          { requireBody: true, prefix: ["data"] },
        );
        const message = this.publish(this.responseMessage(interaction, this.contentParts(data, files)));
        interaction.originalMessageId = message.id;
        return message.id;
      }
      case 5: {
        const ephemeral = (typeof data.flags === "number" ? data.flags : 0) & MESSAGE_FLAGS.Ephemeral;
        const message = this.publish(
          this.responseMessage(interaction, { content: "", flags: MESSAGE_FLAGS.Loading | ephemeral }),
        );
        interaction.originalMessageId = message.id;
        return message.id;
      }
      case 6:
        interaction.originalMessageId = interaction.sourceMessageId;
        return interaction.sourceMessageId;
      case 7: {
        const source = this.world.message(interaction.sourceMessageId ?? "");
        if (!source) throw API_ERRORS.unknownMessage();
        checkMessageFields(data, { requireBody: false, prefix: ["data"] });
        const updated = this.editMessage(source, data);
        interaction.originalMessageId = updated.id;
        return updated.id;
      }
      case 8:
        checkAutocompleteChoices(data);
        return undefined;
      default:
        return undefined;
    }
  }

  private responseMessage(
    interaction: InteractionRecord,
    parts: { content: string; flags: number } & Partial<ReturnType<DiscordRest["contentParts"]>>,
  ): APIMessage {
    return messagePayload({
      ...parts,
      id: this.world.nextId(),
      channelId: interaction.channelId,
      author: this.world.bot,
      type: interaction.kind === "command" ? 20 : 0,
      webhookId: this.world.applicationId,
      applicationId: this.world.applicationId,
      interactionMetadata: interactionMetadata(interaction.payload, interaction.sourceMessageId),
      position: this.world.positionIn(interaction.channelId),
    });
  }

  /** The interaction behind `/webhooks/{application}/{token}`, once acknowledged (Discord: Unknown Webhook before). */
  private webhookInteraction(params: Record<string, string>): InteractionRecord {
    const interaction = [...this.world.interactions.values()].find((i) => i.token === params.token);
    if (
      !interaction ||
      params.application !== this.world.applicationId ||
      interaction.acknowledgedWith === undefined
    ) {
      throw API_ERRORS.unknownWebhook();
    }
    return interaction;
  }

  private webhookMessage(params: Record<string, string>): APIMessage {
    const interaction = this.webhookInteraction(params);
    const id = params.message === "@original" ? interaction.originalMessageId : params.message;
    const message = id ? this.world.message(id) : undefined;
    if (!message) throw API_ERRORS.unknownMessage();
    return message;
  }

  /**
   * `POST /webhooks/{application}/{token}`: a follow-up message, always returned (Discord ignores
   * `wait` here). Right after a deferred reply (callback 5) the first follow-up fills in the loading
   * message instead of posting a new one, keeping its ephemeral flag, as Discord still does for
   * backwards compatibility.
   */
  private followUp(params: Record<string, string>, request: DiscordRequest): Reply {
    const interaction = this.webhookInteraction(params);
    const body = objectBody(request);
    const original = this.world.message(interaction.originalMessageId ?? "");
    if (original && (original.flags ?? 0) & MESSAGE_FLAGS.Loading)
      return ok(this.editMessage(original, body));
    checkMessageFields(
      { ...body, attachments: request.files.length ? request.files : body.attachments },
      { requireBody: true },
    );
    const message = this.publish(this.responseMessage(interaction, this.contentParts(body, request.files)));
    return ok(message);
  }

  private commandScope(params: Record<string, string>, guildId: string | undefined) {
    if (params.application !== this.world.applicationId) throw API_ERRORS.unknownApplication();
    if (guildId !== undefined && !this.world.hasGuild(guildId)) throw API_ERRORS.unknownGuild();
    return this.world.commands;
  }
}

/** `interaction_metadata` of a response message: who ran what, and for components which message. */
function interactionMetadata(
  payload: APIInteraction,
  sourceMessageId: string | undefined,
): APIMessageInteractionMetadata {
  const user = (payload.user ?? payload.member?.user) as APIUser;
  const base = {
    id: payload.id,
    user,
    authorizing_integration_owners: payload.authorizing_integration_owners,
  };
  if (payload.type === 3) {
    return {
      ...base,
      type: 3,
      interacted_message_id: sourceMessageId ?? "",
    } as APIMessageInteractionMetadata;
  }
  return { ...base, type: 2 } as APIMessageInteractionMetadata;
}

function failureReply(failure: DiscordFailure): Reply {
  if (failure.status !== 429) {
    const reason: Record<number, string> = {
      400: "Bad Request",
      401: "Unauthorized",
      403: "Forbidden",
      404: "Not Found",
      500: "Internal Server Error",
      502: "Bad Gateway",
      503: "Service Unavailable",
      504: "Gateway Timeout",
    };
    const body = failure.body ?? {
      message: `${failure.status}: ${reason[failure.status] ?? "Error"}`,
      code: 0,
    };
    return { status: failure.status, body, headers: failure.headers };
  }
  const retryAfter = failure.retryAfter ?? 0.5;
  const global = failure.global === true;
  return {
    status: 429,
    body: failure.body ?? { message: "You are being rate limited.", retry_after: retryAfter, global },
    headers: {
      "retry-after": String(Math.ceil(retryAfter)),
      "x-ratelimit-limit": "5",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": (Date.now() / 1000 + retryAfter).toFixed(3),
      "x-ratelimit-reset-after": retryAfter.toFixed(3),
      "x-ratelimit-bucket": "f4k3b0ck3t0000000000000000000000",
      "x-ratelimit-scope": global ? "global" : "user",
      ...(global ? { "x-ratelimit-global": "true" } : {}),
      ...failure.headers,
    },
  };
}

// ─── Paths and bodies ────────────────────────────────────────────────────────────────────────────

/** `/channels/:channel/messages` against path segments; returns the params or undefined. */
function matchPattern(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split("/").filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] as string;
    if (part.startsWith(":")) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

/** A `failNext` path: a RegExp, or a path where `:name` segments match anything. */
function pathMatcher(path: string | RegExp): RegExp {
  if (path instanceof RegExp) return path;
  const escaped = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}$`);
}

function decodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join("/");
}

/** The JSON body (objects and arrays), or the `payload_json` and files of a multipart upload. */
function bodyOf(raw: RecordedRequest): { body: unknown; files: DiscordRequest["files"] } {
  const type = raw.headers["content-type"] ?? "";
  if (type.includes("multipart/form-data")) return multipartBody(raw.rawBody, type);
  if (raw.rawBody === "") return { body: undefined, files: [] };
  try {
    return { body: JSON.parse(raw.rawBody) as unknown, files: [] };
  } catch {
    return { body: raw.rawBody, files: [] };
  }
}

function multipartBody(
  rawBody: string,
  contentType: string,
): { body: unknown; files: DiscordRequest["files"] } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  const files: DiscordRequest["files"] = [];
  let body: unknown;
  if (!boundary) return { body, files };
  for (const part of rawBody.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? "";
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    const content = part.slice(split + 4).replace(/\r\n$/, "");
    if (filename !== undefined) files.push({ name, filename, size: Buffer.byteLength(content) });
    else if (name === "payload_json") body = JSON.parse(content) as unknown;
  }
  return { body, files };
}

function objectBody(request: DiscordRequest): JsonObject {
  return isObject(request.body) ? request.body : {};
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
