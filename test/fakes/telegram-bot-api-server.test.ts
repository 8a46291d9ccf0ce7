import { run } from "@grammyjs/runner";
import { Bot, GrammyError, HttpError, InlineKeyboard } from "grammy";
import type { Message } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_USER,
  type FakeChat,
  parseTelegramHtml,
  startTelegramBotApiFake,
  type TelegramBotApiFake,
} from "./telegram-bot-api-server.js";

const CONFLICT =
  "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const GROUP: FakeChat = { id: -1001234567890, type: "supergroup", title: "Team" };

let fake: TelegramBotApiFake;
const bots: Bot[] = [];

beforeEach(async () => {
  fake = await startTelegramBotApiFake();
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => (bot.isRunning() ? bot.stop() : undefined)));
  await fake.close();
});

/** A real grammY bot pointed at the fake; stopped after the test. */
function botFor(token = fake.token): Bot {
  const bot = new Bot(token, { client: { apiRoot: fake.url } });
  bots.push(bot);
  return bot;
}

/** `bot.start()` as a promise of its rejection (or undefined once stopped), never unhandled. */
function startPolling(bot: Bot): Promise<unknown> {
  return bot.start().then(
    () => undefined,
    (error: unknown) => error,
  );
}

function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function resultOf(call: { response?: { body: unknown } }): Message {
  const body = call.response?.body as { result?: Message } | undefined;
  if (!body?.result) throw new Error("the call has no result");
  return body.result;
}

describe("telegram bot api fake with a real grammY client", () => {
  it("serves bot.start() as grammY calls it, holds the poll, and lets bot.stop() return at once", async () => {
    const bot = botFor();
    const running = startPolling(bot);
    await fake.waitForPoll();
    expect(fake.calls.map((c) => c.method).sort()).toEqual(["deleteWebhook", "getMe", "getUpdates"]);
    expect(fake.callsOf("getUpdates")[0]).toMatchObject({ timeout: 30, allowed_updates: [] });
    expect(bot.botInfo.username).toBe("tessera_test_bot");

    await bot.stop();
    expect(await running).toBeUndefined();
    const last = fake.calls.at(-1);
    expect(last?.method).toBe("getUpdates");
    expect(last?.body.timeout).toBeUndefined();
    expect(last?.response?.status).toBe(200);
    for (const call of fake.calls) {
      expect(call.path).toBe(`/bot<token>/${call.method}`);
      expect(JSON.stringify(call)).not.toContain(fake.token);
    }
  });

  it("does not busy-loop: an idle bot makes no getUpdates calls while its poll is held", async () => {
    const bot = botFor();
    const running = startPolling(bot);
    await fake.waitForPoll();
    const before = fake.callsOf("getUpdates").length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(fake.callsOf("getUpdates").length).toBe(before);
    await bot.stop();
    await running;
  });

  it("delivers commands with Telegram's entities to bot.command, and records the replies", async () => {
    const bot = botFor();
    bot.command("model", (ctx) => ctx.reply(`match=${ctx.match}`));
    const running = startPolling(bot);
    await fake.waitForPoll();

    const id = fake.sendText({ chat: GROUP, text: "/model status" });
    fake.sendText({ chat: GROUP, text: "/model@other_bot ignored" });
    fake.sendText({ chat: GROUP, text: "/model@tessera_test_bot pinned" });
    expect(fake.update(id)?.message?.entities).toEqual([{ type: "bot_command", offset: 0, length: 6 }]);

    expect((await fake.waitFor("sendMessage")).body).toMatchObject({
      chat_id: GROUP.id,
      text: "match=status",
    });
    expect((await fake.waitFor("sendMessage")).body).toMatchObject({ text: "match=pinned" });
    const sent = fake.sent(GROUP.id);
    expect(sent.map((m) => m.text)).toEqual(["match=status", "match=pinned"]);
    expect(sent[0]?.from).toMatchObject({ id: fake.bot.id, is_bot: true, username: "tessera_test_bot" });
    expect(sent[0]?.chat).toMatchObject(GROUP);
    await bot.stop();
    await running;
  });

  it("answers a button press: callback_query carries the message, editMessageText changes what the fake holds", async () => {
    const bot = botFor();
    bot.command("pick", (ctx) =>
      ctx.reply("Pick a model", { reply_markup: new InlineKeyboard().text("Opus", "model:opus") }),
    );
    bot.callbackQuery(/^model:/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: "switched" });
      await ctx.editMessageText(
        `Now on ${ctx.callbackQuery.message?.text === "Pick a model" ? "opus" : "?"}`,
      );
    });
    const running = startPolling(bot);
    await fake.waitForPoll();

    fake.sendText({ text: "/pick" });
    const messageId = resultOf(await fake.waitFor("sendMessage")).message_id;
    expect(() => fake.pressButton({ message_id: messageId, data: "model:haiku" })).toThrow(/no button/);
    fake.pressButton({ message_id: messageId, data: "model:opus" });
    await fake.waitFor("editMessageText");

    expect(fake.callsOf("answerCallbackQuery")).toEqual([
      expect.objectContaining({ callback_query_id: expect.any(String), text: "switched" }),
    ]);
    const [message] = fake.sent(DEFAULT_USER.id);
    expect(message).toMatchObject({
      message_id: messageId,
      text: "Now on opus",
      edit_date: expect.any(Number),
    });
    expect(message?.reply_markup).toBeUndefined(); // an edit without reply_markup drops the keyboard
    const again = await failureOf(bot.api.editMessageText(DEFAULT_USER.id, messageId, "Now on opus"));
    expect(again).toMatchObject({
      error_code: 400,
      description: expect.stringMatching(/message is not modified/),
    });
    await bot.stop();
    await running;
  });

  it("keeps update_ids rising across restarts and redelivers what no offset confirmed", async () => {
    const api = botFor().api;
    expect(fake.sendText({ text: "one" })).toBe(1);
    // A gateway that fetched the update and died before its next poll never confirmed it.
    expect((await api.getUpdates({ timeout: 0 })).map((u) => u.update_id)).toEqual([1]);

    const seen: number[] = [];
    const restarted = botFor();
    restarted.on("message:text", (ctx) => {
      seen.push(ctx.update.update_id);
    });
    const runner = run(restarted);
    await until(() => seen.length === 1);
    await fake.waitFor("getUpdates", (body) => body.offset === 2); // the runner's next poll confirms it
    await runner.stop();
    expect(seen).toEqual([1]);
    expect(fake.pendingUpdates()).toEqual([]);

    expect(fake.sendText({ text: "two" })).toBe(2);
    const again = botFor();
    again.on("message:text", (ctx) => {
      seen.push(ctx.update.update_id);
    });
    const running = startPolling(again);
    await until(() => seen.length === 2);
    await again.stop(); // grammY confirms the last batch on stop
    await running;
    expect(seen).toEqual([1, 2]);
    expect(fake.pendingUpdates()).toEqual([]);
  });

  it("fails the next calls as scripted: 429 with retry_after, 502 as a proxy's HTML page or as JSON", async () => {
    const api = botFor().api;
    fake.failNext("sendMessage", { error_code: 429, retry_after: 1 });
    const limited = await failureOf(api.sendMessage(DEFAULT_USER.id, "hi"));
    expect(limited).toBeInstanceOf(GrammyError);
    expect(limited).toMatchObject({
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 },
    });
    await expect(api.sendMessage(DEFAULT_USER.id, "hi")).resolves.toMatchObject({ text: "hi" });

    fake.failNext("getUpdates", { error_code: 502 });
    fake.failNext("getUpdates", { error_code: 502, format: "json" });
    expect(await failureOf(api.getUpdates({ timeout: 0 }))).toBeInstanceOf(HttpError);
    expect(await failureOf(api.getUpdates({ timeout: 0 }))).toMatchObject({ error_code: 502 });
    await expect(api.getUpdates({ timeout: 0 })).resolves.toEqual([]);
  });

  it("ends the older long poll with 409 when a second instance polls, as Telegram does", async () => {
    const first = botFor();
    const firstRunning = startPolling(first);
    await fake.waitForPoll();
    const second = botFor();
    const secondRunning = startPolling(second);

    const error = await firstRunning;
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ error_code: 409, description: CONFLICT });
    await fake.waitForPoll();
    await second.stop();
    expect(await secondRunning).toBeUndefined();
  });

  it("can pretend another process polls the bot, so the gateway's own poll gets 409", async () => {
    fake.otherInstancePolls();
    const error = await startPolling(botFor());
    expect(error).toMatchObject({ error_code: 409, description: CONFLICT });
  });

  it("answers 401 Unauthorized to another token (or a revoked one) and records calls without it", async () => {
    const wrong = "7000000001:AAWrongTokenWrongTokenWrongToken0000";
    const error = await startPolling(botFor(wrong));
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ error_code: 401, description: "Unauthorized" });
    expect(fake.calls.length).toBeGreaterThan(0);
    for (const call of fake.calls) {
      expect(call.tokenAccepted).toBe(false);
      expect(JSON.stringify(call)).not.toContain(wrong);
    }

    const api = botFor().api;
    await expect(api.getMe()).resolves.toMatchObject({ id: fake.bot.id });
    fake.setToken("7000000001:AANewTokenAfterRevokeRevokeRevoke00");
    expect(await failureOf(api.getMe())).toMatchObject({ error_code: 401 });
  });

  it("parses parse_mode HTML like Telegram and rejects what Telegram cannot parse", async () => {
    const api = botFor().api;
    const html =
      '<b>bold <i>both</i></b> &lt;tag&gt; &amp; <a href="https://example.com/?a=1&amp;b=2">link</a> ' +
      '<tg-spoiler>x</tg-spoiler> <pre><code class="language-ts">let a = 1;</code></pre>';
    const message = await api.sendMessage(DEFAULT_USER.id, html, { parse_mode: "HTML" });
    const text = "bold both <tag> & link x let a = 1;";
    expect(message.text).toBe(text);
    expect(message.entities).toEqual([
      { type: "bold", offset: 0, length: 9 },
      { type: "italic", offset: 5, length: 4 },
      { type: "text_link", offset: text.indexOf("link"), length: 4, url: "https://example.com/?a=1&b=2" },
      { type: "spoiler", offset: text.indexOf("x"), length: 1 },
      { type: "pre", offset: text.indexOf("let"), length: 10, language: "ts" },
    ]);
    await expect(api.sendMessage(DEFAULT_USER.id, "a & b", { parse_mode: "HTML" })).resolves.toMatchObject({
      text: "a & b",
    });

    const rejected = async (input: string) =>
      failureOf(api.sendMessage(DEFAULT_USER.id, input, { parse_mode: "HTML" }));
    expect(await rejected("a < b")).toMatchObject({
      error_code: 400,
      description: `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`,
    });
    expect(await rejected("ä < b")).toMatchObject({
      description: expect.stringMatching(/at byte offset 3$/),
    });
    expect(await rejected("<b>x</i>")).toMatchObject({
      description: `Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`,
    });
    expect(await rejected("<b>open")).toMatchObject({
      description: "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b",
    });
    expect(await rejected("<blink>x</blink>")).toMatchObject({
      description: `Bad Request: can't parse entities: Unsupported start tag "blink" at byte offset 0`,
    });
    expect(fake.sent(DEFAULT_USER.id)).toHaveLength(2);
  });

  it("rejects callback_data over 64 bytes and keyboards over 100 buttons", async () => {
    const api = botFor().api;
    const withData = (data: string) =>
      api.sendMessage(DEFAULT_USER.id, "pick", { reply_markup: new InlineKeyboard().text("b", data) });
    await expect(withData("é".repeat(32))).resolves.toBeDefined(); // 64 bytes
    expect(await failureOf(withData("é".repeat(33)))).toMatchObject({
      error_code: 400,
      description: "Bad Request: BUTTON_DATA_INVALID",
    });
    const big = new InlineKeyboard();
    for (let i = 0; i < 101; i++) big.text(`${i}`, `d${i}`);
    expect(await failureOf(api.sendMessage(DEFAULT_USER.id, "many", { reply_markup: big }))).toMatchObject({
      description: "Bad Request: reply markup is too long",
    });
  });

  it("counts text length in characters after parsing: 4096 passes, 4097 and empty text fail", async () => {
    const api = botFor().api;
    await expect(api.sendMessage(DEFAULT_USER.id, "x".repeat(4096))).resolves.toBeDefined();
    await expect(api.sendMessage(DEFAULT_USER.id, "😀".repeat(4096))).resolves.toBeDefined();
    const bold = `<b>${"x".repeat(4096)}</b>`;
    await expect(api.sendMessage(DEFAULT_USER.id, bold, { parse_mode: "HTML" })).resolves.toBeDefined();
    expect(await failureOf(api.sendMessage(DEFAULT_USER.id, "x".repeat(4097)))).toMatchObject({
      error_code: 400,
      description: "Bad Request: message is too long",
    });
    expect(await failureOf(api.sendMessage(DEFAULT_USER.id, ""))).toMatchObject({
      description: "Bad Request: message text is empty",
    });
  });

  it("stores commands per scope and language, and checks them as Telegram does", async () => {
    const api = botFor().api;
    await api.setMyCommands([{ command: "model", description: "Switch model" }]);
    await api.setMyCommands([{ command: "neu", description: "Neue Sitzung" }], {
      scope: { type: "all_private_chats" },
      language_code: "de",
    });
    expect(await api.getMyCommands()).toEqual([{ command: "model", description: "Switch model" }]);
    expect(fake.commands({ type: "all_private_chats" }, "de")).toEqual([
      { command: "neu", description: "Neue Sitzung" },
    ]);
    expect(await api.getMyCommands({ scope: { type: "all_private_chats" } })).toEqual([]);
    expect(await failureOf(api.setMyCommands([{ command: "Model", description: "x" }]))).toMatchObject({
      description: "Bad Request: BOT_COMMAND_INVALID",
    });
    await api.deleteMyCommands();
    expect(await api.getMyCommands()).toEqual([]);
  });

  it("records drafts and chat actions, and refuses drafts outside private chats", async () => {
    const api = botFor().api;
    await expect(api.sendChatAction(DEFAULT_USER.id, "typing")).resolves.toBe(true);
    await expect(api.sendMessageDraft(DEFAULT_USER.id, 256, "Thinking")).resolves.toBe(true);
    expect((await fake.waitFor("sendMessageDraft")).body).toMatchObject({ draft_id: 256, text: "Thinking" });
    expect(await failureOf(api.sendMessageDraft(GROUP.id, 1, "x"))).toMatchObject({ error_code: 400 });
    expect(fake.callsOf("sendChatAction")).toEqual([{ chat_id: DEFAULT_USER.id, action: "typing" }]);
  });

  it("builds forum, reply, caption and mention updates the way Telegram shapes them", async () => {
    const forum: FakeChat = { id: -1009876543210, type: "supergroup", title: "Forum", is_forum: true };
    const first = fake.update(
      fake.sendText({ chat: forum, message_thread_id: 7, text: "hi @tessera_test_bot" }),
    );
    expect(first?.message).toMatchObject({
      message_thread_id: 7,
      is_topic_message: true,
      reply_to_message: { message_id: 7, forum_topic_created: expect.any(Object) },
      entities: [{ type: "mention", offset: 3, length: 17 }],
    });
    const firstId = first?.message?.message_id ?? 0;
    expect(firstId).toBeGreaterThan(7);
    const reply = fake.update(
      fake.sendText({ chat: forum, message_thread_id: 7, caption: "/ask", reply_to_message_id: firstId }),
    );
    expect(reply?.message).toMatchObject({
      caption: "/ask",
      caption_entities: [{ type: "bot_command", offset: 0, length: 4 }],
      photo: expect.any(Array),
      reply_to_message: { message_id: firstId, text: "hi @tessera_test_bot" },
    });
    const edited = fake.update(fake.editedMessage({ chat: forum, message_id: firstId, text: "hello" }));
    expect(edited?.edited_message).toMatchObject({
      message_id: firstId,
      text: "hello",
      edit_date: expect.any(Number),
    });
    expect(fake.pendingUpdates().map((u) => u.update_id)).toEqual([1, 2, 3]);

    const api = botFor().api;
    const answer = await api.sendMessage(forum.id, "in topic", { message_thread_id: 7 });
    expect(answer).toMatchObject({ message_thread_id: 7, is_topic_message: true });
    expect(await failureOf(api.sendMessage(forum.id, "x", { message_thread_id: 99 }))).toMatchObject({
      description: "Bad Request: message thread not found",
    });
  });

  it("applies allowed_updates, drop_pending_updates and group privacy like Telegram", async () => {
    const api = botFor().api;
    const sent = await api.sendMessage(DEFAULT_USER.id, "pick", {
      reply_markup: new InlineKeyboard().text("a", "a"),
    });
    await api.getUpdates({ timeout: 0, allowed_updates: ["message"] });
    fake.pressButton({ message_id: sent.message_id, data: "a" });
    expect(fake.pendingUpdates()).toEqual([]);
    fake.sendText({ text: "kept until dropped" });
    await api.deleteWebhook({ drop_pending_updates: true });
    expect(fake.pendingUpdates()).toEqual([]);

    const privateFake = await startTelegramBotApiFake({ groupPrivacy: true });
    try {
      privateFake.sendText({ chat: GROUP, text: "just chatting" });
      const command = privateFake.sendText({ chat: GROUP, text: "/model" });
      expect(privateFake.pendingUpdates().map((u) => u.update_id)).toEqual([command]);
    } finally {
      await privateFake.close();
    }
  });

  it("accepts form-encoded and multipart bodies, and answers unknown methods 404", async () => {
    const call = (method: string, init: RequestInit) =>
      fetch(`${fake.url}/bot${fake.token}/${method}`, { method: "POST", ...init }).then((r) => r.json());
    const markup = JSON.stringify({ inline_keyboard: [[{ text: "a", callback_data: "b" }]] });
    const form = new URLSearchParams({ chat_id: "42", text: "form", reply_markup: markup });
    expect(await call("sendMessage", { body: form })).toMatchObject({
      ok: true,
      result: {
        chat: { id: 42 },
        text: "form",
        reply_markup: { inline_keyboard: [[{ callback_data: "b" }]] },
      },
    });
    const multipart = new FormData();
    multipart.set("chat_id", "42");
    multipart.set("text", "multi");
    multipart.set("document", new Blob(["bytes"]), "notes.txt");
    expect(await call("sendMessage", { body: multipart })).toMatchObject({
      ok: true,
      result: { text: "multi" },
    });
    expect(await call("sendRocket", { body: "{}" })).toEqual({
      ok: false,
      error_code: 404,
      description: "Not Found: method not found",
    });
    expect(fake.callsOf("sendMessage").map((b) => b.text)).toEqual(["form", "multi"]);
  });
});

describe("parseTelegramHtml", () => {
  it("keeps an expandable blockquote and drops a lone code language", () => {
    expect(
      parseTelegramHtml('<blockquote expandable>q</blockquote><code class="language-js">c</code>'),
    ).toEqual({
      text: "qc",
      entities: [
        { type: "expandable_blockquote", offset: 0, length: 1 },
        { type: "code", offset: 1, length: 1 },
      ],
    });
  });
});
