/**
 * A local stand-in for the Telegram Bot API (`POST {apiRoot}/bot{TOKEN}/{method}`), for running
 * the real gateway (grammY, @grammyjs/runner, auto-retry, stream) end to end without Telegram.
 *
 * It keeps the state a bot can observe: one update queue with real offset semantics (an update
 * stays queued, and is redelivered after a restart, until a later offset confirms it), long polls
 * that hold like Telegram's (and the 409 a second poller causes), the messages the bot sent and
 * their edits, and the commands it set. It rejects what Telegram rejects, with Telegram's words
 * (HTML that does not parse, text over 4096 characters, callback_data over 64 bytes, edits that
 * change nothing), so a renderer bug fails here rather than in a user's chat. Error wordings come
 * from tdlib/telegram-bot-api and TDLib; the few this fake words itself say so where they are made.
 *
 * Known simplifications: MarkdownV2 is passed through unparsed; URLs are not validated; the 3 s
 * delay Telegram puts between repeated 409s and on a no-timeout poll right after another is left
 * out (both would only slow tests); chats the fake never saw are accepted (a positive id is a
 * private chat, `-100…` a supergroup, other negative ids a group).
 */
import type { ServerResponse } from "node:http";
import type {
  BotCommand,
  Chat,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  Update,
  User,
  UserFromGetMe,
} from "grammy/types";
import { type JsonObject, type RecordedRequest, sendJson, startHttpFake } from "./http-fake.js";
import { RecordLog } from "./record-log.js";

// ─── Options and the handle tests get ────────────────────────────────────────────────────────────

/** A well-formed token (digits, colon, 35 characters) so code that checks the shape accepts it. */
export const DEFAULT_BOT_TOKEN = "7000000001:AAFakeTokenForTesseraTests000000000";

/** The user `sendText` and friends act as when a test does not say who. */
export const DEFAULT_USER: User = {
  id: 1001,
  is_bot: false,
  first_name: "Ada",
  username: "ada_l",
  language_code: "en",
};

/** Options for `startTelegramBotApiFake`. */
export interface TelegramBotApiFakeOptions {
  /** The only token the fake accepts; any other gets 401. Default `DEFAULT_BOT_TOKEN`. */
  token?: string;
  /** The bot's identity in `getMe` and in `from` of what it sends. The id defaults to the token's prefix. */
  bot?: { id?: number; username?: string; first_name?: string };
  /**
   * Telegram's group privacy mode: when true, group messages reach the bot only if they are
   * commands, mention it or reply to it (others are never queued) and `getMe` says
   * `can_read_all_group_messages: false`. Default false: the bot sees every group message.
   */
  groupPrivacy?: boolean;
}

/** A chat as a test names it; the fake fills in the rest of Telegram's `Chat`. */
export interface FakeChat {
  id: number;
  type: "private" | "group" | "supergroup" | "channel";
  title?: string;
  username?: string;
  first_name?: string;
  /** A supergroup with topics; its messages carry `message_thread_id` + `is_topic_message`. */
  is_forum?: true;
}

/** One API call as the fake saw it; the token never appears in it. */
export interface TelegramCall {
  /** The Bot API method, e.g. `sendMessage` (Telegram's spelling when the fake knows it). */
  method: string;
  /** `GET` or `POST`. */
  httpMethod: string;
  /** The path with the token replaced, e.g. `/bot<token>/sendMessage`. */
  path: string;
  /** False when the request carried another token (it was answered 401). */
  tokenAccepted: boolean;
  contentType: string;
  /** The parameters, whatever the encoding, with JSON-valued fields (reply_markup…) parsed. */
  body: JsonObject;
  /** The body exactly as received, for checks that no secret went to Telegram. */
  rawBody: string;
  receivedAt: number;
  /** What the fake answered; set at once, except for a long poll, which gets it when it ends. */
  response?: { status: number; body: unknown };
}

/**
 * A scripted failure for `failNext`. `description` defaults to Telegram's wording for the code.
 * 5xx answers are, by default, what a proxy in front of Telegram sends for 502/503/504 (an nginx
 * HTML page: grammY cannot parse it and throws `HttpError`) and Telegram's JSON envelope for
 * 500; `format` overrides that.
 */
export interface FakeFailure {
  error_code: number;
  description?: string;
  /** Sets `parameters.retry_after` (seconds), as Telegram does on 429 (default 1 there). */
  retry_after?: number;
  format?: "json" | "html";
}

/** A user's text message (or captioned photo) for `sendText`. */
export interface TextMessageInput {
  /** Default: the private chat with `from`. A number names a chat the fake already knows. */
  chat?: FakeChat | number;
  /** Default `DEFAULT_USER`. */
  from?: User;
  /** The text; `bot_command` and `mention` entities are added as Telegram would. */
  text?: string;
  /** Instead of `text`: a photo with this caption (`caption_entities` likewise detected). */
  caption?: string;
  /** Replaces the detected entities. */
  entities?: MessageEntity[];
  /** The message in this chat being replied to (user's or bot's); it must exist. */
  reply_to_message_id?: number;
  /** For a forum: the topic (its id is the id of the message that created it). */
  message_thread_id?: number;
}

/** A press of an inline button for `pressButton`. */
export interface ButtonPressInput {
  chat?: FakeChat | number;
  from?: User;
  /** A message the bot sent to that chat. */
  message_id: number;
  data: string;
  /** Skip the check that the message shows a button with this `callback_data` (stale buttons). */
  unchecked?: boolean;
}

/** A user's edit of one of their messages, for `editedMessage`. */
export interface EditedMessageInput {
  chat?: FakeChat | number;
  from?: User;
  message_id: number;
  text: string;
}

/** The running fake: where it listens, what it saw, and how a test drives it. */
export interface TelegramBotApiFake {
  /** `http://127.0.0.1:PORT`: give it to grammY as `client.apiRoot` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** What `getMe` answers. */
  readonly bot: UserFromGetMe;
  /** Every API call so far, oldest first. */
  readonly calls: readonly TelegramCall[];
  /** The bodies of every call of `method`, oldest first. */
  callsOf(method: string): JsonObject[];
  /**
   * Resolves with the earliest call of `method` (matching `predicate`) that no earlier `waitFor`
   * returned, waiting for it if need be; so consecutive waits see consecutive calls. Rejects
   * after `timeoutMs` (default 5000) listing the calls seen.
   */
  waitFor(
    method: string,
    predicate?: (body: JsonObject, call: TelegramCall) => boolean,
    timeoutMs?: number,
  ): Promise<TelegramCall>;
  /** Resolves once a long poll is being held, i.e. the bot is up and waiting for updates. */
  waitForPoll(timeoutMs?: number): Promise<void>;
  /** The bot's messages in a chat as the fake holds them now (after edits, without deleted ones). */
  sent(chatId: number): Message[];
  /** Queues a user's message update; returns its update_id. */
  sendText(input: TextMessageInput): number;
  /** Queues a callback_query carrying the pressed message as the fake holds it; returns the update_id. */
  pressButton(input: ButtonPressInput): number;
  /** Queues an edited_message update for a message the user sent earlier; returns the update_id. */
  editedMessage(input: EditedMessageInput): number;
  /** An update the fake built, by id (still there after it was confirmed). */
  update(updateId: number): Update | undefined;
  /** The updates queued and not yet confirmed by an offset, oldest first. */
  pendingUpdates(): Update[];
  /** Makes the next `times` calls of `method` fail with `failure` (before any other check but the token). */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /**
   * Pretends another process long-polls this bot (a second gateway, a forgotten dev bot): the
   * held poll and every new long poll get Telegram's 409 Conflict at once. `false` ends it.
   */
  otherInstancePolls(on?: boolean): void;
  /** The commands `setMyCommands` stored for a scope and language (default: the default scope, ""). */
  commands(scope?: JsonObject, languageCode?: string): BotCommand[];
  /** Changes the accepted token, e.g. to revoke the running bot's token mid-test. */
  setToken(token: string): void;
  /** Ends a held long poll and every connection, then stops listening. */
  close(): Promise<void>;
}

// ─── Start ───────────────────────────────────────────────────────────────────────────────────────

/** Starts the fake on 127.0.0.1:0. Stop the bots first, then `close()` it in `afterEach`. */
export async function startTelegramBotApiFake(
  options: TelegramBotApiFakeOptions = {},
): Promise<TelegramBotApiFake> {
  const state = new FakeState(options);
  const server = await startHttpFake((req, res) => state.handle(req, res));
  return {
    url: server.url,
    port: server.port,
    get token() {
      return state.token;
    },
    bot: state.bot,
    calls: state.calls,
    callsOf: (method) => state.calls.filter((c) => c.method === method).map((c) => c.body),
    waitFor: (method, predicate = () => true, timeoutMs) =>
      state.log.waitFor((c) => c.method === method && predicate(c.body, c), timeoutMs),
    waitForPoll: (timeoutMs) => state.updates.waitForPoll(timeoutMs),
    sent: (chatId) => state.chats.botMessages(chatId),
    sendText: (input) => state.sendText(input),
    pressButton: (input) => state.pressButton(input),
    editedMessage: (input) => state.editedMessage(input),
    update: (updateId) => state.updates.built(updateId),
    pendingUpdates: () => state.updates.pending(),
    failNext: (method, failure, times = 1) => state.failures.add(method, failure, times),
    otherInstancePolls: (on = true) => state.updates.setOtherInstance(on),
    commands: (scope, languageCode) => state.commands.get(scope, languageCode),
    setToken: (token) => {
      state.token = token;
    },
    async close() {
      state.updates.close();
      state.log.close();
      await server.close();
    },
  };
}

// ─── Replies ─────────────────────────────────────────────────────────────────────────────────────

/** What a method handler decides: an answer now, or a long poll to hold. */
type Outcome = { reply: ApiReply } | { hold: Promise<ApiReply | undefined> };

/** One HTTP answer: Telegram's JSON envelope, or a proxy's HTML page. */
type ApiReply = { status: number; body: unknown } | { status: number; html: string };

/** Thrown by handlers and validators to answer with a Telegram error. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number },
  ) {
    super(description);
  }
}

const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);

function ok(result: unknown): Outcome {
  return { reply: okReply(result) };
}

function okReply(result: unknown): ApiReply {
  return { status: 200, body: { ok: true, result } };
}

function errorReply(error: ApiError): ApiReply {
  const body: JsonObject = { ok: false, error_code: error.code, description: error.description };
  if (error.parameters) body.parameters = error.parameters;
  return { status: error.code, body };
}

const CONFLICT =
  "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";

/** Telegram's default wording per code, for `failNext` without a description. */
function defaultDescription(code: number, retryAfter: number | undefined): string {
  if (code === 429) return `Too Many Requests: retry after ${retryAfter ?? 1}`;
  const words: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return words[code] ?? `Error ${code}`;
}

function failureReply(failure: FakeFailure): ApiReply {
  const code = failure.error_code;
  const retry_after = failure.retry_after ?? (code === 429 ? 1 : undefined);
  const description = failure.description ?? defaultDescription(code, retry_after);
  const format = failure.format ?? (code >= 502 && code <= 504 ? "html" : "json");
  if (format === "html") return { status: code, html: nginxErrorPage(code, description) };
  const parameters = retry_after === undefined ? undefined : { retry_after };
  return errorReply(new ApiError(code, description, parameters));
}

function nginxErrorPage(code: number, description: string): string {
  const title = `${code} ${description}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function writeReply(res: ServerResponse, reply: ApiReply): void {
  if (res.destroyed || res.writableEnded) return;
  if ("html" in reply) {
    res.writeHead(reply.status, { "content-type": "text/html" });
    res.end(reply.html);
  } else {
    sendJson(res, reply.status, reply.body);
  }
}

// ─── The fake's state and request flow ───────────────────────────────────────────────────────────

class FakeState {
  token: string;
  readonly bot: UserFromGetMe;
  readonly groupPrivacy: boolean;
  /** Every call, waitable; `waitFor` names the method (and whether the token was right) when it times out. */
  readonly log = new RecordLog<TelegramCall>("call", (c) => `${c.method}${c.tokenAccepted ? "" : "(401)"}`);
  readonly calls: TelegramCall[] = this.log.all;
  readonly updates = new UpdateQueue();
  readonly chats = new ChatStore();
  readonly commands = new CommandStore();
  readonly failures = new FailureScript();
  private readonly callbackQueries = new Map<string, { answered: boolean }>();
  private nextCallbackId = 1;

  constructor(options: TelegramBotApiFakeOptions) {
    this.token = options.token ?? DEFAULT_BOT_TOKEN;
    this.groupPrivacy = options.groupPrivacy ?? false;
    const idFromToken = Number(this.token.split(":")[0]);
    this.bot = {
      id: options.bot?.id ?? (Number.isSafeInteger(idFromToken) ? idFromToken : 7000000001),
      is_bot: true,
      first_name: options.bot?.first_name ?? "Tessera Test",
      username: options.bot?.username ?? "tessera_test_bot",
      can_join_groups: true,
      can_read_all_group_messages: !this.groupPrivacy,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    } as UserFromGetMe;
  }

  /** The http-fake handler: route, record, answer (or hold a long poll until it ends). */
  async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const route = routeOf(req.path);
    const call = this.record(req, route);
    if (!route) {
      this.answer(res, call, errorReply(new ApiError(404, "Not Found")));
      this.log.notify();
      return;
    }
    const outcome = this.dispatch(call, route.token);
    if ("reply" in outcome) {
      this.answer(res, call, outcome.reply);
      this.log.notify();
      return;
    }
    this.log.notify();
    const leave = () => {
      if (!res.writableEnded) this.updates.clientGone(outcome.hold);
    };
    if (res.destroyed) leave();
    else res.once("close", leave);
    const reply = await outcome.hold;
    if (reply) this.answer(res, call, reply);
  }

  private record(req: RecordedRequest, route: Route | undefined): TelegramCall {
    const call: TelegramCall = {
      method: route ? (METHOD_NAMES.get(route.method.toLowerCase()) ?? route.method) : "",
      httpMethod: req.method,
      path: route
        ? `/bot<token>/${route.testEnvironment ? "test/" : ""}${route.method}`
        : req.path.replace(/^\/bot[^/]*/, "/bot<token>"),
      tokenAccepted: route?.token === this.token,
      contentType: req.headers["content-type"] ?? "",
      body: paramsOf(req),
      rawBody: req.rawBody,
      receivedAt: req.receivedAt,
    };
    this.calls.push(call);
    return call;
  }

  private answer(res: ServerResponse, call: TelegramCall, reply: ApiReply): void {
    call.response = { status: reply.status, body: "html" in reply ? reply.html : reply.body };
    writeReply(res, reply);
  }

  private dispatch(call: TelegramCall, token: string): Outcome {
    try {
      if (token !== this.token) throw unauthorized(token);
      const failure = this.failures.take(call.method);
      if (failure) return { reply: failureReply(failure) };
      const handler = this.handlers[call.method.toLowerCase()];
      if (!handler) throw new ApiError(404, "Not Found: method not found");
      return handler(call.body);
    } catch (error) {
      if (error instanceof ApiError) return { reply: errorReply(error) };
      throw error;
    }
  }

  /** Method handlers by lower-cased name (Telegram matches method names case-insensitively). */
  private readonly handlers: Record<string, (p: JsonObject) => Outcome> = {
    getme: () => ok(this.bot),
    deletewebhook: (p) => {
      if (p.drop_pending_updates === true || p.drop_pending_updates === "true") this.updates.dropAll();
      return ok(true);
    },
    getwebhookinfo: () =>
      ok({ url: "", has_custom_certificate: false, pending_update_count: this.updates.pending().length }),
    getupdates: (p) => this.updates.getUpdates(p),
    sendmessage: (p) => ok(this.sendMessage(p)),
    editmessagetext: (p) => ok(this.editMessageText(p)),
    editmessagereplymarkup: (p) => ok(this.editMessageReplyMarkup(p)),
    deletemessage: (p) => ok(this.deleteMessage(p)),
    answercallbackquery: (p) => ok(this.answerCallbackQuery(p)),
    sendchataction: (p) => ok(this.sendChatAction(p)),
    sendmessagedraft: (p) => ok(this.sendMessageDraft(p)),
    setmycommands: (p) => ok(this.commands.set(p)),
    getmycommands: (p) => ok(this.commands.fetch(p)),
    deletemycommands: (p) => ok(this.commands.remove(p)),
  };

  // ─── Bot API methods ───────────────────────────────────────────────────────────────────────────

  private sendMessage(p: JsonObject): Message {
    const content = messageTextOf(p);
    const markup = replyMarkupOf(p.reply_markup);
    const chat = this.chats.resolve(p.chat_id);
    const thread = this.threadFor(chat, intArg(p.message_thread_id));
    const replyTo = this.replyTargetOf(chat, p);
    checkLength(content.text);
    const message = {
      message_id: this.chats.allocateId(chat.id),
      from: this.botUser(),
      chat,
      date: unixNow(),
      ...thread,
      ...(replyTo ? { reply_to_message: replyTo } : {}),
      text: content.text,
      ...(content.entities.length ? { entities: content.entities } : {}),
      ...(markup ? { reply_markup: markup } : {}),
    } as Message;
    return this.chats.store(message, true);
  }

  private editMessageText(p: JsonObject): Message | true {
    const content = messageTextOf(p);
    const markup = replyMarkupOf(p.reply_markup);
    if (p.inline_message_id !== undefined) return true;
    const held = this.editableMessage(p);
    checkLength(content.text);
    const next: Record<string, unknown> = { ...held, text: content.text, edit_date: unixNow() };
    delete next.entities;
    delete next.reply_markup; // Telegram drops the keyboard unless the edit passes it again
    if (content.entities.length) next.entities = content.entities;
    if (markup) next.reply_markup = markup;
    if (sameContent(held, next)) throw badRequest(NOT_MODIFIED);
    return this.chats.store(next as unknown as Message, true);
  }

  private editMessageReplyMarkup(p: JsonObject): Message | true {
    const markup = replyMarkupOf(p.reply_markup);
    if (p.inline_message_id !== undefined) return true;
    const held = this.editableMessage(p);
    const next: Record<string, unknown> = { ...held, edit_date: unixNow() };
    delete next.reply_markup;
    if (markup) next.reply_markup = markup;
    if (sameContent(held, next)) throw badRequest(NOT_MODIFIED);
    return this.chats.store(next as unknown as Message, true);
  }

  private editableMessage(p: JsonObject): Message {
    const chat = this.chats.resolve(p.chat_id);
    const found = this.chats.find(chat.id, intArg(p.message_id));
    if (!found) throw badRequest("message to edit not found");
    if (!found.byBot) throw badRequest("message can't be edited");
    return found.message;
  }

  private deleteMessage(p: JsonObject): true {
    const chat = this.chats.resolve(p.chat_id);
    if (!this.chats.remove(chat.id, intArg(p.message_id))) throw badRequest("message to delete not found");
    return true;
  }

  private answerCallbackQuery(p: JsonObject): true {
    const query = this.callbackQueries.get(String(p.callback_query_id ?? ""));
    if (!query || query.answered) {
      throw badRequest("query is too old and response timeout expired or query ID is invalid");
    }
    query.answered = true;
    return true;
  }

  private sendChatAction(p: JsonObject): true {
    this.chats.resolve(p.chat_id);
    if (typeof p.action !== "string" || !CHAT_ACTIONS.has(p.action)) {
      throw badRequest("wrong parameter action in request");
    }
    return true;
  }

  private sendMessageDraft(p: JsonObject): true {
    const content = formattedTextOf(p, "text");
    const chat = this.chats.resolve(p.chat_id);
    // Both wordings below are this fake's; Telegram documents the rules but not its messages.
    if (chat.type !== "private") throw badRequest("message drafts can be sent only to private chats");
    const draftId = intArg(p.draft_id);
    if (!draftId) throw badRequest("draft_id must be non-zero");
    if (content.text) checkLength(content.text);
    return true;
  }

  // ─── Test helpers: updates a user causes ───────────────────────────────────────────────────────

  sendText(input: TextMessageInput): number {
    const from = input.from ?? DEFAULT_USER;
    const chat = this.chats.remember(input.chat, from);
    const thread =
      input.message_thread_id === undefined ? {} : this.userThread(chat, input.message_thread_id, from);
    const replyTo =
      input.reply_to_message_id === undefined
        ? undefined
        : this.existingMessage(chat, input.reply_to_message_id);
    const body =
      input.caption === undefined
        ? { text: input.text ?? "", entities: input.entities ?? detectEntities(input.text ?? "") }
        : { caption: input.caption, caption_entities: input.entities ?? detectEntities(input.caption) };
    const message = {
      message_id: this.chats.allocateId(chat.id),
      from,
      chat,
      date: unixNow(),
      ...thread,
      ...(replyTo ? { reply_to_message: withoutReply(replyTo) } : {}),
      ...(input.caption === undefined ? {} : { photo: fakePhoto() }),
      ...dropEmptyEntities(body),
    } as Message;
    this.chats.store(message, false);
    const update = { message } as unknown as Omit<Update, "update_id">;
    return this.updates.enqueue(update, this.isHiddenByPrivacy(message));
  }

  pressButton(input: ButtonPressInput): number {
    const from = input.from ?? DEFAULT_USER;
    const chat = this.chats.remember(input.chat, from);
    const found = this.chats.find(chat.id, input.message_id);
    if (!found?.byBot) {
      throw new Error(`telegram fake: the bot sent no message ${input.message_id} to chat ${chat.id}`);
    }
    if (!input.unchecked && !buttonData(found.message).includes(input.data)) {
      throw new Error(
        `telegram fake: message ${input.message_id} shows no button with callback_data ${JSON.stringify(input.data)} (it has ${JSON.stringify(buttonData(found.message))})`,
      );
    }
    const id = String(this.bot.id * 1000 + this.nextCallbackId++);
    this.callbackQueries.set(id, { answered: false });
    const callback_query = {
      id,
      from,
      message: structuredClone(found.message),
      chat_instance: String(Math.abs(chat.id) * 7 + 1),
      data: input.data,
    };
    return this.updates.enqueue({ callback_query } as Omit<Update, "update_id">);
  }

  editedMessage(input: EditedMessageInput): number {
    const from = input.from ?? DEFAULT_USER;
    const chat = this.chats.remember(input.chat, from);
    const found = this.chats.find(chat.id, input.message_id);
    if (!found || found.byBot) {
      throw new Error(`telegram fake: the user sent no message ${input.message_id} to chat ${chat.id}`);
    }
    const entities = detectEntities(input.text);
    const edited: Record<string, unknown> = { ...found.message, text: input.text, edit_date: unixNow() };
    delete edited.entities;
    if (entities.length) edited.entities = entities;
    const message = this.chats.store(edited as unknown as Message, false);
    return this.updates.enqueue({ edited_message: message } as unknown as Omit<Update, "update_id">);
  }

  // ─── Shared pieces ─────────────────────────────────────────────────────────────────────────────

  private botUser(): User {
    const { id, is_bot, first_name, username } = this.bot;
    return { id, is_bot, first_name, username };
  }

  /** Topic fields for a message the bot sends; a forum's topic must exist, as on Telegram. */
  private threadFor(chat: Chat, threadId: number | undefined): Record<string, unknown> {
    if (threadId === undefined || threadId === 0) return {};
    if (!("is_forum" in chat && chat.is_forum)) return { message_thread_id: threadId };
    const created = this.chats.topicMessage(chat.id, threadId);
    if (!created) throw badRequest("message thread not found");
    return { message_thread_id: threadId, is_topic_message: true, reply_to_message: created };
  }

  /** Topic fields for a user's message; the topic is created on first use. */
  private userThread(chat: Chat, threadId: number, from: User): Record<string, unknown> {
    if (!("is_forum" in chat && chat.is_forum)) return { message_thread_id: threadId };
    const created =
      this.chats.topicMessage(chat.id, threadId) ?? this.chats.createTopic(chat, threadId, from);
    return { message_thread_id: threadId, is_topic_message: true, reply_to_message: created };
  }

  private replyTargetOf(chat: Chat, p: JsonObject): Message | undefined {
    const params = isObject(p.reply_parameters) ? p.reply_parameters : {};
    const id = intArg(params.message_id) ?? intArg(p.reply_to_message_id);
    if (id === undefined) return undefined;
    const found = this.chats.find(chat.id, id);
    if (found) return withoutReply(found.message);
    const allow = params.allow_sending_without_reply ?? p.allow_sending_without_reply;
    if (allow === true || allow === "true") return undefined;
    throw badRequest("message to be replied not found");
  }

  private existingMessage(chat: Chat, id: number): Message {
    const found = this.chats.find(chat.id, id);
    if (!found) throw new Error(`telegram fake: no message ${id} in chat ${chat.id} to reply to`);
    return found.message;
  }

  /** Privacy mode: a group message the bot would not be shown. */
  private isHiddenByPrivacy(message: Message): boolean {
    if (!this.groupPrivacy || message.chat.type === "private") return false;
    const text = message.text ?? message.caption ?? "";
    const entities = message.entities ?? message.caption_entities ?? [];
    const username = this.bot.username.toLowerCase();
    const addressed = entities.some((e) => {
      const part = text.slice(e.offset, e.offset + e.length).toLowerCase();
      if (e.type === "mention") return part === `@${username}`;
      return e.type === "bot_command" && (!part.includes("@") || part.endsWith(`@${username}`));
    });
    const repliesToBot = message.reply_to_message?.from?.id === this.bot.id;
    return !addressed && !repliesToBot;
  }
}

function unauthorized(token: string): ApiError {
  const wellFormed = /^[1-9]\d{0,15}:[^/]{1,70}$/.test(token);
  return new ApiError(401, wellFormed ? "Unauthorized" : "Unauthorized: invalid token specified");
}

const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

function sameContent(before: Message, after: Record<string, unknown>): boolean {
  const pick = (m: Record<string, unknown>) =>
    JSON.stringify([m.text, m.entities ?? [], m.reply_markup ?? null]);
  return pick(before as unknown as Record<string, unknown>) === pick(after);
}

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

/** Telegram's spelling of each method the fake serves, by lower-cased name. */
const METHOD_NAMES = new Map(
  [
    "getMe",
    "deleteWebhook",
    "getWebhookInfo",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "sendMessageDraft",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
  ].map((name) => [name.toLowerCase(), name]),
);

// ─── Routing and parameters ──────────────────────────────────────────────────────────────────────

interface Route {
  token: string;
  method: string;
  testEnvironment: boolean;
}

/** `/bot<token>/<method>` or grammY's `environment: "test"` form `/bot<token>/test/<method>`. */
function routeOf(path: string): Route | undefined {
  const match = /^\/bot([^/]*)\/(test\/)?([^/]*)$/.exec(path);
  if (!match) return undefined;
  return { token: match[1] ?? "", testEnvironment: match[2] !== undefined, method: match[3] ?? "" };
}

/** Fields Telegram takes as JSON even inside a form or query string. */
const JSON_FIELDS = new Set([
  "reply_markup",
  "entities",
  "caption_entities",
  "allowed_updates",
  "commands",
  "scope",
  "reply_parameters",
  "link_preview_options",
]);

/** The call's parameters from the query string and a JSON, url-encoded or multipart body. */
function paramsOf(req: RecordedRequest): JsonObject {
  const query = Object.fromEntries(new URL(req.url, "http://fake.invalid").searchParams);
  const type = req.headers["content-type"] ?? "";
  let body: JsonObject = {};
  if (req.body) body = req.body;
  else if (type.includes("application/x-www-form-urlencoded")) {
    body = Object.fromEntries(new URLSearchParams(req.rawBody));
  } else if (type.includes("multipart/form-data")) body = multipartFields(req.rawBody, type);
  const params: JsonObject = { ...query, ...body };
  for (const field of JSON_FIELDS) {
    const value = params[field];
    if (typeof value === "string" && /^\s*[[{]/.test(value)) params[field] = parseJsonOr(value, value);
  }
  return params;
}

/** Form fields of a multipart body; a file part becomes `"[file <name>]"` (its bytes are not kept). */
function multipartFields(rawBody: string, contentType: string): JsonObject {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) return {};
  const fields: JsonObject = {};
  for (const part of rawBody.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    fields[name] = filename === undefined ? part.slice(split + 4).replace(/\r\n$/, "") : `[file ${filename}]`;
  }
  return fields;
}

function parseJsonOr<T>(text: string, fallback: T): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/** An integer parameter, which Telegram takes as a JSON number or a numeric string. */
function intArg(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

// ─── The update queue and long polling ───────────────────────────────────────────────────────────

interface HeldPoll {
  limit: number;
  timer: NodeJS.Timeout;
  finish(reply: ApiReply | undefined): void;
  promise: Promise<ApiReply | undefined>;
}

/** Update types Telegram sends when `allowed_updates` is empty or was never set. */
const NOT_SENT_BY_DEFAULT = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/**
 * One queue for the fake's lifetime, as on Telegram: update_ids start at 1 and keep rising across
 * bot restarts; an update stays queued until a getUpdates offset beyond it confirms it.
 */
class UpdateQueue {
  private nextId = 1;
  private queued: Update[] = [];
  private readonly all = new Map<number, Update>();
  private allowed: string[] = [];
  private held: HeldPoll | undefined;
  private otherInstance = false;
  private wakeScheduled = false;
  private readonly pollWaiters = new Set<() => void>();
  private closed = false;

  /** Builds and queues an update unless the bot would not get it; returns its update_id. */
  enqueue(content: Omit<Update, "update_id">, hidden = false): number {
    const update = { update_id: this.nextId++, ...content } as Update;
    this.all.set(update.update_id, structuredClone(update));
    if (!hidden && this.isAllowed(update)) {
      this.queued.push(update);
      this.scheduleWake();
    }
    return update.update_id;
  }

  built(updateId: number): Update | undefined {
    const update = this.all.get(updateId);
    return update && structuredClone(update);
  }

  pending(): Update[] {
    return structuredClone(this.queued);
  }

  dropAll(): void {
    this.queued = [];
  }

  setOtherInstance(on: boolean): void {
    this.otherInstance = on;
    if (on) this.abortHeld();
  }

  getUpdates(p: JsonObject): Outcome {
    const offset = intArg(p.offset) ?? 0;
    const limit = clamp(intArg(p.limit) ?? 100, 1, 100);
    const timeout = clamp(intArg(p.timeout) ?? 0, 0, 50);
    if (Array.isArray(p.allowed_updates)) this.allowed = p.allowed_updates.map(String);
    this.confirm(offset);
    const ready = this.queued.slice(0, limit);
    if (ready.length > 0 || timeout === 0) return ok(ready);
    if (this.otherInstance) return { reply: errorReply(new ApiError(409, CONFLICT)) };
    return { hold: this.hold(limit, timeout) };
  }

  /** The client of a held poll went away (grammY aborts it on stop). */
  clientGone(promise: Promise<ApiReply | undefined>): void {
    if (this.held?.promise === promise) this.held.finish(undefined);
  }

  waitForPoll(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.held) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.pollWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.pollWaiters.delete(done);
        reject(new Error(`telegram fake: no long poll held within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pollWaiters.add(done);
    });
  }

  close(): void {
    this.closed = true;
    this.held?.finish(undefined);
  }

  /** Offset semantics: positive forgets what is below it, negative keeps only the last -offset. */
  private confirm(offset: number): void {
    if (offset > 0) this.queued = this.queued.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queued = this.queued.slice(offset);
  }

  private isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((key) => key !== "update_id") ?? "";
    return this.allowed.length === 0 ? !NOT_SENT_BY_DEFAULT.has(type) : this.allowed.includes(type);
  }

  /** Holds a long poll; a poll already held is ended with 409, as Telegram ends the older one. */
  private hold(limit: number, timeoutSeconds: number): Promise<ApiReply | undefined> {
    this.abortHeld();
    let finish!: (reply: ApiReply | undefined) => void;
    const promise = new Promise<ApiReply | undefined>((resolve) => {
      finish = (reply) => {
        clearTimeout(held.timer);
        if (this.held === held) this.held = undefined;
        resolve(reply);
      };
    });
    const timer = setTimeout(() => held.finish(okReply(this.queued.slice(0, limit))), timeoutSeconds * 1000);
    const held: HeldPoll = { limit, timer, finish: (reply) => finish(reply), promise };
    this.held = held;
    for (const wake of [...this.pollWaiters]) wake();
    return promise;
  }

  private abortHeld(): void {
    this.held?.finish(errorReply(new ApiError(409, CONFLICT)));
  }

  /** Answers a held poll on the next turn, so updates queued together arrive in one batch. */
  private scheduleWake(): void {
    if (this.wakeScheduled || this.closed) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const held = this.held;
      if (held && this.queued.length > 0) held.finish(okReply(this.queued.slice(0, held.limit)));
    });
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

// ─── Chats and messages ──────────────────────────────────────────────────────────────────────────

interface HeldMessage {
  message: Message;
  byBot: boolean;
}

/** The chats the fake knows and every message in them, with Telegram's per-chat message ids. */
class ChatStore {
  private readonly chats = new Map<number, Chat>();
  private readonly messages = new Map<number, Map<number, HeldMessage>>();
  private readonly lastId = new Map<number, number>();
  private readonly topics = new Map<string, Message>();

  /** The chat a helper acts in: the given one (remembered), a known id, or the private chat with `from`. */
  remember(chat: FakeChat | number | undefined, from: User): Chat {
    if (chat === undefined) {
      return this.learn({
        id: from.id,
        type: "private",
        first_name: from.first_name,
        username: from.username,
      });
    }
    if (typeof chat === "number") return this.chatFor(chat);
    return this.learn(chat);
  }

  /** A `chat_id` parameter as Telegram resolves it (number, numeric string or `@username`). */
  resolve(value: unknown): Chat {
    if (value === undefined || value === "") throw badRequest("chat_id is empty");
    const id = intArg(value);
    if (id !== undefined) return this.chatFor(id);
    const name =
      typeof value === "string" && value.startsWith("@") ? value.slice(1).toLowerCase() : undefined;
    const found = [...this.chats.values()].find((c) => "username" in c && c.username?.toLowerCase() === name);
    if (!found) throw badRequest("chat not found");
    return found;
  }

  allocateId(chatId: number): number {
    const id = (this.lastId.get(chatId) ?? 0) + 1;
    this.lastId.set(chatId, id);
    return id;
  }

  /** Stores (or replaces) a message and returns a copy, so later edits do not reach the caller. */
  store(message: Message, byBot: boolean): Message {
    const chatMessages = this.messages.get(message.chat.id) ?? new Map<number, HeldMessage>();
    this.messages.set(message.chat.id, chatMessages);
    chatMessages.set(message.message_id, { message: structuredClone(message), byBot });
    return structuredClone(message);
  }

  find(chatId: number, messageId: number | undefined): HeldMessage | undefined {
    if (messageId === undefined) return undefined;
    const held = this.messages.get(chatId)?.get(messageId);
    return held && { message: structuredClone(held.message), byBot: held.byBot };
  }

  remove(chatId: number, messageId: number | undefined): boolean {
    return messageId !== undefined && (this.messages.get(chatId)?.delete(messageId) ?? false);
  }

  botMessages(chatId: number): Message[] {
    const held = [...(this.messages.get(chatId)?.values() ?? [])].filter((m) => m.byBot);
    return held
      .sort((a, b) => a.message.message_id - b.message.message_id)
      .map((m) => structuredClone(m.message));
  }

  topicMessage(chatId: number, threadId: number): Message | undefined {
    const created = this.topics.get(`${chatId}:${threadId}`);
    return created && structuredClone(created);
  }

  /** The service message that opens a forum topic; its id is the topic's `message_thread_id`. */
  createTopic(chat: Chat, threadId: number, from: User): Message {
    this.lastId.set(chat.id, Math.max(this.lastId.get(chat.id) ?? 0, threadId));
    const created = {
      message_id: threadId,
      from,
      chat,
      date: unixNow(),
      message_thread_id: threadId,
      is_topic_message: true,
      forum_topic_created: { name: `Topic ${threadId}`, icon_color: 7322096 },
    } as unknown as Message;
    this.topics.set(`${chat.id}:${threadId}`, created);
    this.store(created, false);
    return structuredClone(created);
  }

  private chatFor(id: number): Chat {
    const known = this.chats.get(id);
    if (known) return structuredClone(known);
    if (id > 0) return { id, type: "private", first_name: "User" };
    return String(id).startsWith("-100")
      ? { id, type: "supergroup", title: "Group" }
      : { id, type: "group", title: "Group" };
  }

  private learn(chat: FakeChat): Chat {
    const full = Object.fromEntries(
      Object.entries(chat).filter(([, v]) => v !== undefined),
    ) as unknown as Chat;
    if (full.type !== "private" && !("title" in full)) (full as { title?: string }).title = "Group";
    this.chats.set(chat.id, full);
    return structuredClone(full);
  }
}

function withoutReply(message: Message): Message {
  const copy = structuredClone(message) as Message & { reply_to_message?: unknown };
  delete copy.reply_to_message;
  return copy;
}

function fakePhoto() {
  return [{ file_id: "AgACAgfakephoto", file_unique_id: "AQADfake", width: 90, height: 90, file_size: 1024 }];
}

function dropEmptyEntities(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => !(Array.isArray(v) && v.length === 0)));
}

function buttonData(message: Message): string[] {
  const markup = (message as { reply_markup?: InlineKeyboardMarkup }).reply_markup;
  return (markup?.inline_keyboard ?? [])
    .flat()
    .flatMap((b) => ("callback_data" in b ? [b.callback_data] : []));
}

// ─── Entities in users' messages ─────────────────────────────────────────────────────────────────

const WORD = /[\p{L}\p{N}_]/u;

/**
 * The `bot_command` and `mention` entities Telegram detects in a user's text (offsets in UTF-16
 * units): `/cmd` or `/cmd@bot` not glued to a word, `@name` of 4–32 characters.
 */
export function detectEntities(text: string): MessageEntity[] {
  const found: MessageEntity[] = [];
  for (const m of text.matchAll(/\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?/g)) {
    if (standsAlone(text, m.index, m[0].length, "/<>")) {
      found.push({ type: "bot_command", offset: m.index, length: m[0].length });
    }
  }
  for (const m of text.matchAll(/@[A-Za-z0-9_]{4,32}/g)) {
    if (standsAlone(text, m.index, m[0].length, ""))
      found.push({ type: "mention", offset: m.index, length: m[0].length });
  }
  return found.sort((a, b) => a.offset - b.offset);
}

function standsAlone(text: string, start: number, length: number, alsoForbidden: string): boolean {
  const before = text[start - 1];
  const after = text[start + length];
  const glued = (c: string | undefined) => c !== undefined && (WORD.test(c) || alsoForbidden.includes(c));
  return !glued(before) && !glued(after);
}

// ─── Text validation: what Telegram checks before it sends or edits ──────────────────────────────

interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

/** `text` of sendMessage/editMessageText: non-empty, parsed per `parse_mode`. */
function messageTextOf(p: JsonObject): FormattedText {
  if (typeof p.text !== "string" || p.text === "") throw badRequest("message text is empty");
  const content = formattedTextOf(p, "text");
  if (content.text.trim() === "") throw badRequest("message must be non-empty");
  return content;
}

function formattedTextOf(p: JsonObject, field: string): FormattedText {
  const raw = typeof p[field] === "string" ? (p[field] as string) : "";
  if (Buffer.byteLength(raw) > 1 << 15) throw badRequest("text is too long");
  const mode = typeof p.parse_mode === "string" ? p.parse_mode.toLowerCase() : "";
  if (raw !== "" && mode !== "" && mode !== "none") {
    if (mode === "html") return parseOrReject(raw);
    if (mode === "markdown" || mode === "markdownv2") return { text: raw, entities: [] };
    throw badRequest("unsupported parse_mode");
  }
  if (p.entities === undefined) return { text: raw, entities: [] };
  if (!Array.isArray(p.entities) || !p.entities.every(isEntity))
    throw badRequest("can't parse entities JSON object");
  return { text: raw, entities: p.entities as MessageEntity[] };
}

function isEntity(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.type === "string" &&
    Number.isInteger(value.offset) &&
    Number.isInteger(value.length)
  );
}

function parseOrReject(html: string): FormattedText {
  try {
    return parseTelegramHtml(html);
  } catch (error) {
    if (error instanceof HtmlParseError) throw badRequest(`can't parse entities: ${error.message}`);
    throw error;
  }
}

/** Telegram counts characters (code points) of the text after entity parsing. */
function checkLength(text: string): void {
  if ([...text].length > 4096) throw badRequest("message is too long");
}

// ─── Reply markup ────────────────────────────────────────────────────────────────────────────────

const MAX_INLINE_BUTTONS = 100;
const MAX_CALLBACK_DATA_BYTES = 64;

/** Validates `reply_markup` as Telegram does for inline keyboards; other keyboards pass as given. */
function replyMarkupOf(value: unknown): JsonObject | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (!isObject(value)) throw badRequest("can't parse reply keyboard markup JSON object");
  if (value.inline_keyboard === undefined) return value;
  const rows = value.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  const buttons = (rows as unknown[][]).flat();
  for (const button of buttons) checkInlineButton(button);
  if (buttons.length > MAX_INLINE_BUTTONS) throw badRequest("reply markup is too long");
  return value;
}

const BUTTON_KINDS = [
  "url",
  "callback_data",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
];

function checkInlineButton(button: unknown): void {
  const prefix = "can't parse inline keyboard button";
  if (!isObject(button)) throw badRequest(`${prefix}: InlineKeyboardButton must be an Object`);
  if (typeof button.text !== "string") throw badRequest(`${prefix}: Can't find field "text"`);
  const data = button.callback_data;
  if (typeof data === "string" && Buffer.byteLength(data) > MAX_CALLBACK_DATA_BYTES) {
    throw badRequest("BUTTON_DATA_INVALID");
  }
  const kind = BUTTON_KINDS.find((k) => button[k] !== undefined && button[k] !== "");
  if (!kind) throw badRequest(`${prefix}: Text buttons are unallowed in the inline keyboard`);
}

// ─── Bot commands ────────────────────────────────────────────────────────────────────────────────

const SCOPE_TYPES = new Set([
  "default",
  "all_private_chats",
  "all_group_chats",
  "all_chat_administrators",
  "chat",
  "chat_administrators",
  "chat_member",
]);

/** setMyCommands/getMyCommands/deleteMyCommands, kept per scope and language like Telegram. */
class CommandStore {
  private readonly byKey = new Map<string, BotCommand[]>();

  set(p: JsonObject): true {
    const key = this.keyOf(p.scope, p.language_code);
    if (!Array.isArray(p.commands)) throw badRequest("can't parse commands JSON object");
    if (p.commands.length > 100) throw badRequest("BOT_COMMANDS_TOO_MUCH");
    const commands = p.commands.map(validCommand);
    if (commands.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, commands);
    return true;
  }

  fetch(p: JsonObject): BotCommand[] {
    return structuredClone(this.byKey.get(this.keyOf(p.scope, p.language_code)) ?? []);
  }

  remove(p: JsonObject): true {
    this.byKey.delete(this.keyOf(p.scope, p.language_code));
    return true;
  }

  get(scope: JsonObject = { type: "default" }, languageCode = ""): BotCommand[] {
    return this.fetch({ scope, language_code: languageCode });
  }

  private keyOf(scope: unknown, languageCode: unknown): string {
    const language = typeof languageCode === "string" ? languageCode : "";
    if (language !== "" && !/^[a-z]{2}$/.test(language)) throw badRequest("invalid language code specified");
    if (scope === undefined) return JSON.stringify(["default", null, null, language]);
    if (!isObject(scope)) throw badRequest("can't parse BotCommandScope JSON object");
    if (typeof scope.type !== "string" || !SCOPE_TYPES.has(scope.type)) {
      throw badRequest("can't parse BotCommandScope: Unsupported type specified");
    }
    return JSON.stringify([
      scope.type,
      intArg(scope.chat_id) ?? null,
      intArg(scope.user_id) ?? null,
      language,
    ]);
  }
}

/** One command as TDLib and the server check it (trimmed, a leading "/" dropped). */
function validCommand(value: unknown): BotCommand {
  if (!isObject(value)) throw badRequest("can't parse BotCommand: expected an Object");
  const command = String(value.command ?? "")
    .trim()
    .replace(/^\//, "");
  const description = String(value.description ?? "").trim();
  if (command === "") throw badRequest("command must be non-empty");
  if ([...command].length > 32) throw badRequest("command length must not exceed 32");
  if (!/^[a-z0-9_]+$/.test(command)) throw badRequest("BOT_COMMAND_INVALID");
  if (description === "") throw badRequest("command description must be non-empty");
  if ([...description].length > 256) throw badRequest("command description length must not exceed 256");
  return { command, description };
}

// ─── Failures and waiting for calls ──────────────────────────────────────────────────────────────

/** The failures `failNext` scripted, consumed one per call of their method. */
class FailureScript {
  private readonly byMethod = new Map<string, FakeFailure[]>();

  add(method: string, failure: FakeFailure, times: number): void {
    const key = method.toLowerCase();
    const list = this.byMethod.get(key) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.byMethod.set(key, list);
  }

  take(method: string): FakeFailure | undefined {
    return this.byMethod.get(method.toLowerCase())?.shift();
  }
}

// ─── Telegram's HTML ─────────────────────────────────────────────────────────────────────────────

/** A `parse_mode: "HTML"` text Telegram would reject; the message is Telegram's. */
export class HtmlParseError extends Error {}

const HTML_TAGS = new Set([
  "a",
  "b",
  "strong",
  "i",
  "em",
  "s",
  "strike",
  "del",
  "u",
  "ins",
  "tg-spoiler",
  "tg-emoji",
  "span",
  "pre",
  "code",
  "blockquote",
]);

interface OpenTag {
  tag: string;
  argument: string;
  expandable: boolean;
  offset: number;
}

/**
 * Parses Telegram's HTML the way TDLib's `parse_html` does, returning the visible text and its
 * entities (offsets in UTF-16 units) or throwing `HtmlParseError` with TDLib's message. Like
 * Telegram it accepts a bare `&` (kept as text) but not a bare `<`.
 */
export function parseTelegramHtml(html: string): FormattedText {
  const parser = new HtmlParser(html);
  return parser.run();
}

class HtmlParser {
  private out = "";
  private i = 0;
  private readonly entities: MessageEntity[] = [];
  private readonly open: OpenTag[] = [];
  private sawSurrogate = false;

  constructor(private readonly s: string) {}

  run(): FormattedText {
    while (this.i < this.s.length) {
      const c = this.s[this.i] as string;
      if (c === "&" && this.takeCharacterReference()) continue;
      if (c !== "<") {
        this.out += c;
        this.i++;
      } else if (this.s[this.i + 1] === "/") this.closeTag();
      else this.openTag();
    }
    const unclosed = this.open.at(-1);
    if (unclosed) this.fail(`Can't find end tag corresponding to start tag ${unclosed.tag}`);
    if (this.sawSurrogate && /\p{Cs}/u.test(this.out)) {
      this.fail(
        "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units",
      );
    }
    // A language survives only on pre; TDLib drops it from a lone <code class="language-…">.
    const entities = this.entities.map((e) =>
      e.type === "code" ? { type: e.type, offset: e.offset, length: e.length } : e,
    );
    entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
    return { text: this.out, entities };
  }

  private fail(message: string): never {
    throw new HtmlParseError(message);
  }

  private byteOffset(index: number): number {
    return Buffer.byteLength(this.s.slice(0, index));
  }

  private isSpace(index: number): boolean {
    const c = this.s[index];
    return c === undefined || c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v";
  }

  private takeCharacterReference(): boolean {
    const decoded = decodeCharacterReference(this.s, this.i);
    if (!decoded) return false;
    if (decoded.code >= 0xd800 && decoded.code <= 0xdfff) this.sawSurrogate = true;
    this.out += String.fromCodePoint(decoded.code);
    this.i = decoded.end;
    return true;
  }

  private openTag(): void {
    const begin = this.i;
    let j = begin + 1;
    while (!this.isSpace(j) && this.s[j] !== ">") j++;
    if (j >= this.s.length) this.fail(`Unclosed start tag at byte offset ${this.byteOffset(begin)}`);
    const tag = this.s.slice(begin + 1, j).toLowerCase();
    if (!HTML_TAGS.has(tag))
      this.fail(`Unsupported start tag "${tag}" at byte offset ${this.byteOffset(begin)}`);
    const { end, argument, expandable } = this.readAttributes(tag, begin, j);
    if (tag === "span" && argument !== "spoiler") {
      this.fail(`Tag "span" must have class "tg-spoiler" at byte offset ${this.byteOffset(begin)}`);
    }
    this.open.push({ tag, argument, expandable, offset: this.out.length });
    this.i = end + 1;
  }

  /** Reads `name="value"` pairs up to the closing `>`; returns its index and what the tag keeps. */
  private readAttributes(tag: string, begin: number, start: number) {
    const at = this.byteOffset(begin);
    let j = start;
    let argument = "";
    let expandable = false;
    while (this.s[j] !== ">") {
      while (j < this.s.length && this.isSpace(j)) j++;
      if (this.s[j] === ">") break;
      const nameStart = j;
      while (!this.isSpace(j) && this.s[j] !== "=" && !(tag === "blockquote" && this.s[j] === ">")) j++;
      const name = this.s.slice(nameStart, j);
      if (name === "") this.fail(`Empty attribute name in the tag "${tag}" at byte offset ${at}`);
      while (j < this.s.length && this.isSpace(j)) j++;
      if (tag === "blockquote" && name === "expandable" && this.s[j] !== "=") {
        expandable = true;
        continue;
      }
      if (this.s[j] !== "=") {
        this.fail(
          `Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${at}`,
        );
      }
      j++;
      while (j < this.s.length && this.isSpace(j)) j++;
      if (j >= this.s.length) this.fail(`Unclosed start tag "${tag}" at byte offset ${at}`);
      const value = this.readAttributeValue(j);
      j = value.end;
      if (j >= this.s.length) this.fail(`Unclosed start tag at byte offset ${at}`);
      argument = attributeArgument(tag, name, value.text) ?? argument;
    }
    return { end: j, argument, expandable };
  }

  private readAttributeValue(start: number): { text: string; end: number } {
    let j = start;
    const quote = this.s[j];
    if (quote !== "'" && quote !== '"') {
      while (/[A-Za-z0-9.-]/.test(this.s[j] ?? "")) j++;
      if (!this.isSpace(j) && this.s[j] !== ">") {
        this.fail(`Unexpected end of name token at byte offset ${this.byteOffset(start)}`);
      }
      return { text: this.s.slice(start, j).toLowerCase(), end: j };
    }
    let text = "";
    j++;
    while (j < this.s.length && this.s[j] !== quote) {
      const decoded = this.s[j] === "&" ? decodeCharacterReference(this.s, j) : undefined;
      if (decoded) {
        text += String.fromCodePoint(decoded.code);
        j = decoded.end;
      } else text += this.s[j++];
    }
    if (this.s[j] === quote) j++;
    return { text, end: j };
  }

  private closeTag(): void {
    const begin = this.i;
    const top = this.open.at(-1);
    if (!top) this.fail(`Unexpected end tag at byte offset ${this.byteOffset(begin)}`);
    let j = begin + 2;
    while (!this.isSpace(j) && this.s[j] !== ">") j++;
    const name = this.s.slice(begin + 2, j).toLowerCase();
    while (j < this.s.length && this.isSpace(j)) j++;
    if (this.s[j] !== ">") this.fail(`Unclosed end tag at byte offset ${this.byteOffset(begin)}`);
    if (name !== "" && name !== top.tag) {
      this.fail(
        `Unmatched end tag at byte offset ${this.byteOffset(begin)}, expected "</${top.tag}>", found "</${name}>"`,
      );
    }
    if (this.out.length > top.offset) this.addEntity(top, this.out.length - top.offset);
    this.open.pop();
    this.i = j + 1;
  }

  private addEntity(tag: OpenTag, length: number): void {
    const { offset } = tag;
    const last = this.entities.at(-1);
    const sameSpan = last !== undefined && last.offset === offset && last.length === length;
    if (tag.tag === "pre" && sameSpan && last.type === "code" && "language" in last) {
      this.entities[this.entities.length - 1] = {
        type: "pre",
        offset,
        length,
        language: last.language as string,
      };
      return;
    }
    if (tag.tag === "code" && sameSpan && last.type === "pre" && tag.argument !== "") {
      this.entities[this.entities.length - 1] = { type: "pre", offset, length, language: tag.argument };
      return;
    }
    const entity = entityForTag(tag, offset, length, this.out);
    if (entity) this.entities.push(entity);
  }
}

/** What an attribute contributes: the link of `<a href>`, a code language, the spoiler class, an emoji id. */
function attributeArgument(tag: string, name: string, value: string): string | undefined {
  if (tag === "a" && name === "href") return value;
  if (tag === "code" && name === "class" && value.startsWith("language-")) return value.slice(9);
  if (tag === "span" && name === "class" && value.startsWith("tg-")) return value.slice(3);
  if (tag === "tg-emoji" && name === "emoji-id") return value;
  return undefined;
}

const SIMPLE_TAG_TYPES: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  span: "spoiler",
};

function entityForTag(tag: OpenTag, offset: number, length: number, text: string): MessageEntity | undefined {
  const simple = SIMPLE_TAG_TYPES[tag.tag];
  if (simple) return { type: simple, offset, length } as MessageEntity;
  switch (tag.tag) {
    case "a": {
      const url = tag.argument || text.slice(offset, offset + length);
      return url ? { type: "text_link", offset, length, url } : undefined;
    }
    case "code":
      // The language is kept only until a surrounding <pre> turns this into a pre entity.
      return (
        tag.argument
          ? { type: "code", offset, length, language: tag.argument }
          : { type: "code", offset, length }
      ) as MessageEntity;
    case "pre":
      return { type: "pre", offset, length };
    case "blockquote":
      return { type: tag.expandable ? "expandable_blockquote" : "blockquote", offset, length };
    case "tg-emoji":
      if (!/^[1-9]\d*$/.test(tag.argument))
        throw new HtmlParseError("Invalid custom emoji identifier specified");
      return { type: "custom_emoji", offset, length, custom_emoji_id: tag.argument };
    default:
      return undefined;
  }
}

/** `&lt;` `&gt;` `&amp;` `&quot;` and `&#…;`/`&#x…;` (the `;` optional); anything else is no reference. */
function decodeCharacterReference(s: string, pos: number): { code: number; end: number } | undefined {
  let end = pos + 1;
  let code = 0;
  if (s[pos + 1] === "#") {
    end++;
    const hex = s[pos + 2] === "x";
    if (hex) end++;
    const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/;
    while (digit.test(s[end] ?? "")) code = code * (hex ? 16 : 10) + Number.parseInt(s[end++] as string, 16);
    if (code === 0 || code >= 0x10ffff || end - pos >= 10) return undefined;
  } else {
    while (/[A-Za-z]/.test(s[end] ?? "")) end++;
    code = NAMED_REFERENCES[s.slice(pos + 1, end)] ?? 0;
    if (code === 0) return undefined;
  }
  if (s[end] === ";") end++;
  return { code, end };
}

const NAMED_REFERENCES: Record<string, number> = { lt: 60, gt: 62, amp: 38, quot: 34 };
