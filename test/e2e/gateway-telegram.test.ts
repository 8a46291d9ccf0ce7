import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { InlineKeyboardButton, Message, User } from "grammy/types";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AnthropicFake,
  anthropicReplies,
  credentialOf,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import { startTelegramBotApiFake, type TelegramBotApiFake } from "../fakes/telegram-bot-api-server.js";
import { type GatewayState, gatewayState, stopGateway } from "../support/gateway-state.js";
import { type GatewayProcess, startGateway } from "../support/run-gateway.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const OWNER: User = { id: 4242, is_bot: false, first_name: "Olga", username: "olga" };
const MEMBER: User = { id: 5151, is_bot: false, first_name: "Max" };
const STRANGER: User = { id: 6666, is_bot: false, first_name: "Eve" };
const GROUP = { id: -1001234, type: "supergroup" as const, title: "Team" };
const FORUM = { id: -1005678, type: "supergroup" as const, title: "Forum", is_forum: true as const };

let anthropic: AnthropicFake;
let telegram: TelegramBotApiFake;
let state: GatewayState;
let dir: string;
let env: NodeJS.ProcessEnv;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  anthropic = await startAnthropicFake();
});
afterAll(() => anthropic.close());

beforeEach(async () => {
  // A token like any test secret, so the leak checks cover it too.
  telegram = await startTelegramBotApiFake({ token: `7000000001:${fakeSecret("AA", 35)}` });
  state = await gatewayState(
    "telegram",
    anthropic,
    {
      access: { owners: [`telegram:${OWNER.id}`] },
      channels: {
        telegram: {
          enabled: true,
          apiRoot: telegram.url,
          allowFrom: [String(MEMBER.id)],
          groups: { policy: "allowlist", allow: [String(GROUP.id), String(FORUM.id)], requireMention: true },
        },
      },
    },
    { TELEGRAM_BOT_TOKEN: telegram.token },
  );
  ({ dir, env } = state);
});

afterEach(async () => {
  await stopGateway(gateway);
  const secrets = [state.keys.default, state.keys.work];
  if (gateway) expectNoSecretIn(gateway.stdout + gateway.stderr, [...secrets, telegram.token]);
  expectNoSecretIn(JSON.stringify(telegram.calls.map((c) => c.body)), secrets);
  gateway = undefined;
  await telegram.close();
  await rm(dir, { recursive: true, force: true });
});

async function startUp(): Promise<GatewayProcess> {
  gateway = startGateway(env);
  await gateway.waitForLog(/^ready$/);
  await telegram.waitForPoll();
  return gateway;
}

/** The next message the bot sends to `chatId` (optionally matching). */
async function nextSent(chatId: number, match?: RegExp, timeoutMs = 10_000): Promise<Message> {
  const call = await telegram.waitFor(
    "sendMessage",
    (body, call) =>
      call.response?.status === 200 && body.chat_id === chatId && (!match || match.test(String(body.text))),
    timeoutMs,
  );
  const result = call.response?.body as { result?: Message } | undefined;
  return result!.result!;
}

function buttonsOf(message: Message): InlineKeyboardButton.CallbackButton[] {
  const keyboard = (message.reply_markup?.inline_keyboard ?? []) as InlineKeyboardButton.CallbackButton[][];
  return keyboard.flat();
}

describe("tessera gateway with Telegram", () => {
  it("DM owner: /model picker, press a model then a credential, /model status shows the pin, the model is called with it", async () => {
    await startUp();
    // Published after polling starts (it never holds up the first getUpdates).
    await expect
      .poll(() => telegram.commands().map((c) => c.command))
      .toEqual(["model", "new", "whoami", "help"]);

    telegram.sendText({ from: OWNER, text: "/model" });
    const picker = await nextSent(OWNER.id, /Model:/);
    const buttons = buttonsOf(picker);
    expect(buttons.length).toBeGreaterThan(3);
    for (const b of buttons) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);

    const opus = buttons.find((b) => b.text === "opus")!;
    telegram.pressButton({ from: OWNER, message_id: picker.message_id, data: opus.callback_data });
    await telegram.waitFor("editMessageText", (b) => /now uses .*opus/.test(String(b.text)));
    await telegram.waitFor("answerCallbackQuery");
    const edited = telegram.sent(OWNER.id).find((m) => m.message_id === picker.message_id)!;
    const work = buttonsOf(edited).find((b) => b.text === "anthropic:work")!;
    expect(buttonsOf(edited).find((b) => b.text === "✓ opus")).toBeDefined();
    telegram.pressButton({ from: OWNER, message_id: picker.message_id, data: work.callback_data });
    await telegram.waitFor("editMessageText", (b) => /now use .*anthropic:work/.test(String(b.text)));

    telegram.sendText({ from: OWNER, text: "/model status" });
    const status = await nextSent(OWNER.id, /Model status/);
    expect(status.text).toContain("anthropic/claude-opus-4-5");
    expect(status.text).toMatch(/Pinned credential: anthropic:work/);

    // Slow enough for the typing indicator, which waits a moment so quick answers never show it.
    anthropic.nextReply(anthropicReplies.slow(1_500));
    telegram.sendText({ from: OWNER, text: "hello there" });
    const answer = await nextSent(OWNER.id, /echo: hello there/);
    expect(answer.text).toBe("echo: hello there");
    expect(anthropic.requests).toHaveLength(1);
    expect(credentialOf(anthropic.requests[0]!)).toEqual({ kind: "x-api-key", value: state.keys.work });
    expect(anthropic.requests[0]!.body?.model).toBe("claude-opus-4-5");
    expect(telegram.callsOf("sendChatAction").some((b) => b.action === "typing")).toBe(true);
  });

  it("groups: /model@bot list answered, other bots' commands and unaddressed text ignored, a forum topic has its own session", async () => {
    await startUp();
    const bot = telegram.bot.username;
    telegram.sendText({ chat: GROUP, from: MEMBER, text: "/model@other_bot list" });
    telegram.sendText({ chat: GROUP, from: MEMBER, text: "just chatting here" });
    telegram.sendText({ chat: GROUP, from: MEMBER, text: `/model@${bot} list` });
    const list = await nextSent(GROUP.id);
    expect(list.text).toContain("Models you can pick");
    // The first two were ignored: the list is the only answer and no model was called.
    expect(telegram.callsOf("sendMessage").filter((b) => b.chat_id === GROUP.id)).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);

    telegram.sendText({ chat: FORUM, from: OWNER, text: `/model@${bot} opus`, message_thread_id: 77 });
    const pinned = await nextSent(FORUM.id, /now uses/);
    expect((pinned as Message & { message_thread_id?: number }).message_thread_id).toBe(77);
    telegram.sendText({ chat: FORUM, from: OWNER, text: `/model@${bot} status`, message_thread_id: 88 });
    const other = await nextSent(FORUM.id, /Model status/);
    expect(other.text).toMatch(/Model: sonnet · anthropic\/claude-sonnet-4-5 — the default/);
  });

  it("a stranger in a DM gets one refusal naming their id and no model call; a stranger pressing an owner's button is refused", async () => {
    await startUp();
    telegram.sendText({ from: STRANGER, text: "hi bot" });
    const refusal = await nextSent(STRANGER.id);
    expect(refusal.text).toContain(String(STRANGER.id));
    telegram.sendText({ from: STRANGER, text: "hello??" });
    telegram.sendText({ chat: GROUP, from: OWNER, text: "/model" });
    const picker = await nextSent(GROUP.id, /Model:/);
    const opus = buttonsOf(picker).find((b) => b.text === "opus")!;
    telegram.pressButton({
      chat: GROUP,
      from: STRANGER,
      message_id: picker.message_id,
      data: opus.callback_data,
    });
    const answer = await telegram.waitFor("answerCallbackQuery");
    expect(answer.body?.text).toMatch(/private/);
    expect(answer.body?.show_alert).toBe(true);
    expect(telegram.callsOf("editMessageText")).toHaveLength(0);
    expect(telegram.callsOf("sendMessage").filter((b) => b.chat_id === STRANGER.id)).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("a 5000-character answer arrives in parts within 4096, and <, >, & arrive escaped", async () => {
    await startUp();
    anthropic.nextReply(anthropicReplies.text(`${"word ".repeat(1000)}end`));
    telegram.sendText({ from: OWNER, text: "long please" });
    const first = await nextSent(OWNER.id);
    const second = await nextSent(OWNER.id);
    expect(first.text!.length).toBeLessThanOrEqual(4096);
    expect(second.text).toMatch(/end$/);
    expect(first.text!.length + second.text!.length).toBeGreaterThanOrEqual(5000);

    telegram.sendText({ from: OWNER, text: "/model <b>&x" });
    const call = await telegram.waitFor("sendMessage", (b) => String(b.text).includes("There is no model"));
    expect(call.body?.parse_mode).toBe("HTML");
    expect(String(call.body?.text)).toContain("&lt;b&gt;&amp;x");
  });

  it("429 with retry_after on sendMessage: retried, delivered once; a 502 burst on getUpdates: recovers", async () => {
    await startUp();
    telegram.failNext("sendMessage", { error_code: 429, retry_after: 1 });
    telegram.sendText({ from: OWNER, text: "/help" });
    await nextSent(OWNER.id, /Commands you can use/);
    const attempts = telegram.calls.filter((c) => c.method === "sendMessage");
    expect(attempts).toHaveLength(2);
    expect(telegram.sent(OWNER.id).filter((m) => /Commands you can use/.test(m.text ?? ""))).toHaveLength(1);

    // The poll being held answers the next update; the three after it fail.
    telegram.failNext("getUpdates", { error_code: 502 }, 3);
    telegram.sendText({ from: OWNER, text: "/whoami" });
    await nextSent(OWNER.id, /4242/);
    await gateway!.waitForLog(/^polling Telegram failed/, 30_000);
    // A poll that works again returns with the next update (or after its 30 s timeout).
    telegram.sendText({ from: OWNER, text: "/new" });
    await nextSent(OWNER.id, /new conversation/, 30_000);
    await gateway!.waitForLog(/^reconnected to Telegram; polling again$/);
    // One line when polling breaks and one when it is back, not one per retry.
    const logged = gateway!.logs().map((l) => l.msg);
    expect(logged.filter((m) => /^polling Telegram failed/.test(m))).toHaveLength(1);
  });

  it("SIGTERM while a model answers: the answer is delivered, then exit 0", async () => {
    const gw = await startUp();
    anthropic.nextReply(anthropicReplies.slow(1_500));
    telegram.sendText({ from: OWNER, text: "take your time" });
    await anthropic.waitForRequests(1);
    gw.child.kill("SIGTERM");
    await nextSent(OWNER.id, /echo: take your time/);
    expect(await gw.exited).toBe(0);
  });

  it("an unreachable Bot API at start is logged with the fix and retried; a signal while connecting stops at once", async () => {
    const config = JSON.parse(await readFile(join(dir, "state", "config.json"), "utf8"));
    const closed = await startTelegramBotApiFake();
    config.channels.telegram.apiRoot = closed.url;
    await closed.close();
    await writeFile(join(dir, "state", "config.json"), JSON.stringify(config));
    gateway = startGateway(env);
    await gateway.waitForLog(/^cannot reach the Telegram Bot API at http:\/\/127\.0\.0\.1:\d+ .*retrying/);
    expect(gateway.logs().find((l) => /^cannot reach/.test(l.msg))?.fix).toMatch(
      /channels\.telegram\.apiRoot/,
    );
    // `tessera gateway status` shows it as connecting, with the error of the attempt that failed.
    const statusPath = join(dir, "state", "gateway.status.json");
    await expect
      .poll(async () => JSON.parse(await readFile(statusPath, "utf8").catch(() => "{}")).adapters?.[0], {
        timeout: 3_000,
      })
      .toMatchObject({
        state: "connecting",
        lastError: expect.stringMatching(/^cannot reach the Telegram Bot API/),
      });
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toBe(0);
    expect(gateway.logs().some((l) => /^stopping \(SIGTERM\)/.test(l.msg))).toBe(true);
    // Stopped in order while connecting: marked stopped, not left looking killed.
    expect(JSON.parse(await readFile(statusPath, "utf8")).stoppedAt).toBeTypeOf("number");
  });

  it("401 at start: exit 1 with the fix", async () => {
    telegram.setToken("7000000001:AAsomethingElseEntirely000000000000");
    gateway = startGateway(env);
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr).toMatch(/Telegram rejected the bot token/);
    // The token came from the gateway's own environment, which overrides .env: the fix says so.
    expect(gateway.stderr).toMatch(
      /"fix":"[^"]*TELEGRAM_BOT_TOKEN in the gateway's environment, where it is set now \(it overrides [^"]*\.env\)/,
    );
  });

  it("streams a DM answer as message drafts, then sends the final message", async () => {
    const streaming = await startAnthropicFake({
      streamEventDelayMs: 150,
      replyText: "one two three four five six seven eight nine ten",
    });
    try {
      const config = JSON.parse(await readFile(join(dir, "state", "config.json"), "utf8"));
      config.models.providers.anthropic.baseUrl = streaming.url;
      await writeFile(join(dir, "state", "config.json"), JSON.stringify(config));
      await startUp();
      telegram.sendText({ from: OWNER, text: "count for me" });
      const final = await nextSent(OWNER.id, /ten/);
      expect(final.text).toBe("one two three four five six seven eight nine ten");
      const drafts = telegram.callsOf("sendMessageDraft");
      expect(drafts.length).toBeGreaterThan(0);
      expect(drafts.every((d) => d.chat_id === OWNER.id && Number(d.draft_id) > 0)).toBe(true);
      // Drafts grow with the answer and never run ahead of it.
      expect(String(drafts.at(-1)?.text)).toMatch(/^one two/);
    } finally {
      await streaming.close();
    }
  });

  it("resends as plain text when Telegram refuses the entities; edited messages are ignored; captions are read", async () => {
    await startUp();
    telegram.failNext("sendMessage", {
      error_code: 400,
      description: "Bad Request: can't parse entities: Unsupported start tag",
      format: "json",
    });
    const helpUpdate = telegram.sendText({ from: OWNER, text: "/help" });
    const plain = await nextSent(OWNER.id, /Commands you can use/);
    const call = telegram.callsOf("sendMessage").at(-1)!;
    expect(call.parse_mode).toBeUndefined();
    expect(plain.text).not.toContain("**");

    const typed = telegram.update(helpUpdate)!.message!.message_id;
    const edited = telegram.editedMessage({ from: OWNER, message_id: typed, text: "/model list" });
    expect(edited).toBeGreaterThan(0);
    telegram.sendText({ from: OWNER, caption: "/whoami" });
    await nextSent(OWNER.id, /4242/);
    expect(telegram.callsOf("sendMessage").some((b) => /Models you can pick/.test(String(b.text)))).toBe(
      false,
    );
  });

  it("publishes the command menu only when it changed", async () => {
    const first = await startUp();
    await telegram.waitFor("setMyCommands");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    await startUp();
    await expect.poll(() => telegram.callsOf("getMyCommands").length).toBeGreaterThanOrEqual(2);
    expect(telegram.callsOf("setMyCommands")).toHaveLength(1);
  });
});
