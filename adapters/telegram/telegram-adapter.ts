import type { RunnerHandle } from "@grammyjs/runner";
import type { Api, Context, Transformer } from "grammy";
import type { CallbackQuery, Message } from "grammy/types";
import {
  type AdapterHost,
  type AdapterIdentity,
  type ChatAdapter,
  type Reply,
  TesseraError,
  toPlainText,
  typingIndicator,
} from "../../src/router/index.js";
import { syncBotCommands } from "./bot-commands.js";
import { DraftStream } from "./draft-stream.js";
import { renderMessage, renderPlain, type TelegramMessage } from "./render.js";
import { incomingFromCallback, incomingFromMessage } from "./translate.js";

export interface TelegramAdapterOptions {
  token: string;
  /**
   * Where the token was set, for the fix of a rejected token (`TELEGRAM_BOT_TOKEN in ~/.tessera/.env`):
   * a token from the process environment overrides `.env`, so "edit .env" would not fix it.
   */
  tokenSetting?: string;
  /** Bot API root (`channels.telegram.apiRoot`): Telegram's own, a self-hosted server, or a test stand-in. */
  apiRoot?: string;
}

/** Telegram's own Bot API. */
const TELEGRAM_API_ROOT = "https://api.telegram.org";
/** The typing indicator lasts about 5 s; renew it a little before. */
const TYPING_EVERY_MS = 4_500;
/** Updates the bot asks for; everything else (edits, reactions, joins) never reaches it. */
const ALLOWED_UPDATES = ["message", "callback_query"] as const;
const UNREACHABLE_FIX =
  "check this host's network connection, or channels.telegram.apiRoot if you run your own Bot API server";
/** The fix of a rejected token, naming where it was set. */
function botTokenFix(
  setting = "TELEGRAM_BOT_TOKEN in <state dir>/.env or channels.telegram.botToken",
): string {
  return `set the token @BotFather gave you (/mybots → your bot → API Token) as ${setting}`;
}

/**
 * The Telegram adapter (grammY): long polling through @grammyjs/runner (chats served concurrently;
 * the host keeps each chat's messages in order), 429 and 5xx retried by @grammyjs/auto-retry,
 * messages and button presses translated for the router, replies rendered as HTML with inline
 * keyboards. Button data are the router's tokens, pressed buttons edit their message in place and
 * every callback query is answered. While a model answers: the typing action, and in private chats a
 * live draft of the answer.
 */
export class TelegramAdapter implements ChatAdapter {
  readonly channel = "telegram" as const;
  private runner: RunnerHandle | undefined;
  private host: AdapterHost | undefined;
  private draftsOn = true;

  constructor(private readonly opts: TelegramAdapterOptions) {
    // Start loading grammY now, while the gateway reads its files and sets up its log.
    void TelegramAdapter.libraries();
  }

  private static loading: ReturnType<typeof loadLibraries> | undefined;

  /** grammY and its plugins, imported once (the gateway loads them only when Telegram is enabled). */
  private static libraries(): ReturnType<typeof loadLibraries> {
    TelegramAdapter.loading ??= loadLibraries();
    return TelegramAdapter.loading;
  }

  private get apiRoot(): string {
    return (this.opts.apiRoot ?? TELEGRAM_API_ROOT).replace(/\/+$/, "");
  }

  async start(host: AdapterHost): Promise<AdapterIdentity> {
    this.host = host;
    const [{ Bot }, { run }, { autoRetry }] = await TelegramAdapter.libraries();
    const bot = new Bot(this.opts.token, { client: { apiRoot: this.apiRoot } });
    bot.api.config.use(pollingLog(host));
    // grammY's default handler prints the whole context, bot token included: never let it run.
    bot.catch((err) => host.log.error(`handling a Telegram update failed: ${describe(err.error)}`));
    bot.on("message", (ctx) => this.onMessage(ctx));
    bot.on("callback_query:data", (ctx) => this.onButton(ctx));

    try {
      // One plain try first: a wrong token fails now, with its fix. An unreachable Bot API is said
      // once, then grammY keeps trying with backoff (a host whose network comes up after the
      // gateway, at boot) until it answers or a signal stops the gateway.
      // A webhook left by another program would make polling fail with 409: removed alongside getMe.
      const webhookGone = bot.api.deleteWebhook().then(
        () => true,
        () => false,
      );
      bot.botInfo = await bot.api.getMe().catch(async (err) => {
        const { HttpError } = await import("grammy");
        if (!(err instanceof HttpError)) throw err;
        host.log.warn(
          `cannot reach the Telegram Bot API at ${this.apiRoot} (${err.message}); retrying until it answers`,
          { fix: UNREACHABLE_FIX },
        );
        host.connection(
          "connecting",
          `cannot reach the Telegram Bot API at ${this.apiRoot} (${err.message})`,
        );
        await bot.init();
        return bot.botInfo;
      });
      if (!(await webhookGone)) await bot.api.deleteWebhook();
    } catch (err) {
      throw await startError(err, this.apiRoot, botTokenFix(this.opts.tokenSetting));
    }
    // From here on, sends retry 429 (after retry_after) and 5xx/network errors with backoff. Not
    // getUpdates: the runner retries polling itself, and its failures must reach `pollingLog`.
    const retry = autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60 });
    bot.api.config.use((prev, method, payload, signal) =>
      method === "getUpdates" ? prev(method, payload, signal) : retry(prev, method, payload, signal),
    );
    this.runner = run(bot, {
      runner: { silent: true, fetch: { allowed_updates: [...ALLOWED_UPDATES] } },
    });
    this.runner
      .task()
      ?.catch(async (err) => host.fail(await pollingError(err, botTokenFix(this.opts.tokenSetting))));
    // The command menu is a courtesy, so it never holds up polling.
    syncBotCommands(bot.api, host.commands, host.owners).then(
      (written) => written > 0 && host.log.info(`command menu updated (${written} scope(s))`),
      (err) => host.log.warn(`could not update the Telegram command menu: ${describe(err)}`),
    );
    const me = bot.botInfo;
    return { channel: "telegram", name: `@${me.username}`, id: String(me.id), detail: "polling" };
  }

  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (runner?.isRunning()) await Promise.resolve(runner.stop()).catch(() => {});
  }

  private onMessage(ctx: Context): Promise<void> | undefined {
    const msg = ctx.msg as Message;
    const incoming = incomingFromMessage(msg, ctx.me);
    if (!incoming) return undefined;
    const api = ctx.api;
    const chatId = msg.chat.id;
    const threadId = incoming.topicId ? Number(incoming.topicId) : undefined;
    const where = { ...(threadId ? { message_thread_id: threadId } : {}) };
    // Group answers reply to the message they answer, so a busy group can tell what goes with what.
    const replyTo =
      incoming.chatType === "group"
        ? { reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } }
        : {};
    const toModel = incoming.addressed && !/^\s*\//.test(incoming.text);
    const typing = toModel
      ? typingIndicator(() => api.sendChatAction(chatId, "typing", where), TYPING_EVERY_MS)
      : undefined;
    const drafts =
      toModel && incoming.chatType === "dm" && this.draftsOn
        ? new DraftStream(api, chatId, draftIdFor(ctx), threadId, (err) => {
            this.draftsOn = false;
            this.host?.log.info(`live drafts turned off: ${describe(err)}`);
          })
        : undefined;
    return this.host!.dispatch(incoming, {
      onDelta: drafts ? (delta) => drafts.push(delta) : undefined,
      deliver: async (replies) => {
        typing?.stop();
        await drafts?.close();
        for (const [i, reply] of replies.entries()) {
          await sendReply(api, chatId, reply, { ...where, ...(i === 0 ? replyTo : {}) });
        }
      },
    }).finally(() => typing?.stop());
  }

  private async onButton(ctx: Context): Promise<void> {
    const query = ctx.callbackQuery as CallbackQuery;
    const incoming = incomingFromCallback(query, ctx.me);
    const api = ctx.api;
    if (!incoming) {
      await api.answerCallbackQuery(query.id, { text: "This menu is gone — send the command again." });
      return;
    }
    const msg = query.message as Message;
    const threadId = incoming.topicId ? Number(incoming.topicId) : undefined;
    const where = threadId ? { message_thread_id: threadId } : {};
    await this.host!.dispatch(incoming, {
      deliver: async (replies) => {
        let answered = false;
        try {
          for (const reply of replies) {
            if (reply.notice) {
              if (!answered) {
                answered = true;
                await api.answerCallbackQuery(query.id, { text: toPlainText(reply.text), show_alert: true });
              }
            } else if (reply.edit) {
              await editReply(api, msg, reply, where);
            } else {
              await sendReply(api, msg.chat.id, reply, where);
            }
          }
        } finally {
          // Telegram shows a spinner on the button until the query is answered: always answer it.
          if (!answered) await api.answerCallbackQuery(query.id).catch(() => {});
        }
      },
    });
  }
}

/** Sends one reply; if Telegram refuses the HTML ("can't parse entities"), sends it again as plain text. */
async function sendReply(
  api: Api,
  chatId: number,
  reply: Reply,
  extra: Record<string, unknown>,
): Promise<void> {
  const send = (m: TelegramMessage) => api.sendMessage(chatId, m.text, { ...without(m, "text"), ...extra });
  try {
    await send(renderMessage(reply));
  } catch (err) {
    if (!isEntityError(err)) throw err;
    await send(renderPlain(reply));
  }
}

/**
 * Replaces the message a pressed button was on. "message is not modified" (the same picker again)
 * is success; a message that can no longer be edited gets the reply as a new message instead.
 */
async function editReply(
  api: Api,
  msg: Message,
  reply: Reply,
  extra: Record<string, unknown>,
): Promise<void> {
  const edit = (m: TelegramMessage) =>
    api.editMessageText(msg.chat.id, msg.message_id, m.text, without(m, "text"));
  try {
    await edit(renderMessage(reply));
  } catch (err) {
    const text = describe(err);
    if (/message is not modified/i.test(text)) return;
    if (isEntityError(err)) {
      await edit(renderPlain(reply));
      return;
    }
    if (/message (to edit )?(can't|cannot) be edited|message to edit not found/i.test(text)) {
      await sendReply(api, msg.chat.id, reply, extra);
      return;
    }
    throw err;
  }
}

function isEntityError(err: unknown): boolean {
  return /can't parse entities/i.test(describe(err));
}

function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}

/** A non-zero draft id per update, so two answers in one chat never share a draft. */
function draftIdFor(ctx: Context): number {
  return (ctx.update.update_id % 2_000_000_000) + 1;
}

/**
 * An API transformer that logs long-polling trouble once per outage: the first failed `getUpdates`
 * (the runner keeps retrying with backoff) and the first success after it.
 */
function pollingLog(host: AdapterHost): Transformer {
  let failing = false;
  return async (prev, method, payload, signal) => {
    if (method !== "getUpdates") return prev(method, payload, signal);
    try {
      const result = await prev(method, payload, signal);
      if (failing) {
        failing = false;
        host.log.info("reconnected to Telegram; polling again");
        host.connection("ready");
      }
      return result;
    } catch (err) {
      if (!signal?.aborted && !failing) {
        failing = true;
        host.log.warn(`polling Telegram failed, retrying with backoff: ${describe(err)}`);
        host.connection("reconnecting", describe(err));
      }
      throw err;
    }
  };
}

async function startError(err: unknown, apiRoot: string, tokenFix: string): Promise<TesseraError> {
  const { GrammyError, HttpError } = await import("grammy");
  if (err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)) {
    return new TesseraError(
      "CHANNEL_FAILED",
      "Telegram rejected the bot token (401 Unauthorized): it is wrong or was revoked",
      tokenFix,
    );
  }
  if (err instanceof HttpError) {
    return new TesseraError(
      "CHANNEL_FAILED",
      `cannot reach the Telegram Bot API at ${apiRoot}: ${err.message}`,
      UNREACHABLE_FIX,
    );
  }
  return new TesseraError("CHANNEL_FAILED", `Telegram refused to start the bot: ${describe(err)}`, tokenFix);
}

async function pollingError(err: unknown, tokenFix: string): Promise<Error> {
  const { GrammyError } = await import("grammy");
  if (err instanceof GrammyError && err.error_code === 409) {
    return new TesseraError(
      "CHANNEL_FAILED",
      "another process is polling this bot (Telegram answered 409 Conflict), so this gateway cannot receive its messages",
      "stop the other program that uses this bot token (another tessera gateway — on another host or state dir — or a webhook), then start this one again",
    );
  }
  if (err instanceof GrammyError && err.error_code === 401) {
    return new TesseraError(
      "CHANNEL_FAILED",
      "Telegram stopped accepting the bot token (401 Unauthorized): it was revoked",
      tokenFix,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function loadLibraries() {
  return Promise.all([import("grammy"), import("@grammyjs/runner"), import("@grammyjs/auto-retry")]);
}
