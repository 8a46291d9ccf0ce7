import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatTurnHandler } from "../../src/runtime/chat-turn.js";
import {
  type AnthropicFake,
  anthropicReplies,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import { lastUserText } from "../fakes/chat-fake.js";
import { type ChatFixture, chatFixture } from "../router/chat-fixture.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const key = fakeSecret("sk-ant-api03-");
const backup = fakeSecret("sk-ant-api03-");
let anthropic: AnthropicFake;
let fx: ChatFixture;

beforeAll(async () => {
  process.env.TESSERA_PROVIDER_RETRIES = "0";
  anthropic = await startAnthropicFake({ replyText: (req) => `**not markup** ${lastUserText(req.body)}` });
  fx = await fixtureWith({
    "anthropic:main": { type: "api_key", provider: "anthropic", key },
    "anthropic:spare": { type: "api_key", provider: "anthropic", key: backup },
  });
  fx.secrets.push(key, backup);
  // A fixed order: by default the least recently used credential goes first, which would rotate.
  await fx.services.store.setOrder("anthropic", ["anthropic:main", "anthropic:spare"], {
    actor: "test",
    surface: "test",
  });
});
afterAll(async () => {
  await fx.cleanup();
  await anthropic.close();
});

/** A fresh chat stack on the fake provider with just these profiles (owner telegram:1, allowed 2). */
function fixtureWith(profiles: NonNullable<Parameters<typeof chatFixture>[0]>["profiles"]) {
  return chatFixture({
    config: {
      access: { owners: ["telegram:1"] },
      channels: { telegram: { enabled: true, allowFrom: ["2"] } },
      models: { providers: { anthropic: { baseUrl: anthropic.url } } },
      auth: { claudeCode: { sync: false } },
    },
    profiles,
  });
}

/** A DM's handler input as the router builds it, with the session read from `on`'s store. */
const dm = async (senderId: string, text: string, on: ChatFixture = fx) => {
  const sessionKey = `agent:main:telegram:dm:${senderId}`;
  return {
    message: {
      channel: "telegram" as const,
      chatId: senderId,
      chatType: "dm" as const,
      senderId,
      text,
      addressed: true,
    },
    sessionKey,
    session: await on.sessions.get(sessionKey),
    isOwner: senderId === "1",
  };
};

describe("chatTurnHandler", () => {
  it("answers in plain format (model output is never read as markup)", async () => {
    const handler = chatTurnHandler({ services: fx.services });
    const reply = await handler(await dm("1", "hello"));
    expect(reply).toEqual({ text: "**not markup** hello", format: "plain" });
  });

  it("tells an owner which credential answered after a failover, and a non-owner only that a backup did", async () => {
    const handler = chatTurnHandler({ services: fx.services });
    anthropic.nextReplyFor(key, anthropicReplies.rateLimited(5));
    const owner = await handler(await dm("1", "one"));
    expect(owner.text).toMatch(/answered with anthropic:spare \(anthropic:main: rate limited/);
    anthropic.resetScript();
    anthropic.onCredential(backup, anthropicReplies.rateLimited(5));
    anthropic.nextReplyFor(key, anthropicReplies.invalidApiKey());
    const stranger = await handler(await dm("2", "two"));
    expect(stranger.text).not.toMatch(/anthropic:/);
    expect(stranger.text).toMatch(/owner can see why with `tessera models status`/);
    for (const text of [owner.text, stranger.text]) expectNoSecretIn(text, [key, backup]);
  });
});

describe("chatTurnHandler history", () => {
  it("sends the history of the session it is handed, without reading the session again", async () => {
    const own = await fixtureWith({ "anthropic:only": { type: "api_key", provider: "anthropic", key } });
    try {
      const handler = chatTurnHandler({ services: own.services });
      anthropic.resetScript();
      anthropic.requests.length = 0;
      await handler(await dm("1", "remember me", own));
      await handler(await dm("1", "and now?", own));
      expect(anthropic.requests.at(-1)!.body?.messages).toEqual([
        { role: "user", content: "remember me" },
        { role: "assistant", content: "**not markup** remember me" },
        { role: "user", content: "and now?" },
      ]);
    } finally {
      await own.cleanup();
    }
  });
});

describe("chatTurnHandler owner notices", () => {
  it("adds a pending credential notice below an owner's answer once, and never to others", async () => {
    const expiring = fakeSecret("sk-ant-oat01-", 100);
    const own = await fixtureWith({
      "anthropic:sub": {
        type: "token",
        provider: "anthropic",
        token: expiring,
        expires: Date.now() + 3 * 3_600_000,
      },
    });
    try {
      anthropic.resetScript();
      const handler = chatTurnHandler({ services: own.services });
      const stranger = await handler(await dm("2", "hi", own));
      expect(stranger.text).not.toMatch(/credential notice/);
      const first = await handler(await dm("1", "hi", own));
      expect(first.text).toMatch(/credential notice: anthropic:sub: in use and expires in (2|3)h/);
      expect(first.text).toMatch(/fix: run `claude setup-token`/);
      const second = await handler(await dm("1", "again", own));
      expect(second.text).not.toMatch(/credential notice/);
      for (const text of [stranger.text, first.text, second.text]) expectNoSecretIn(text, [expiring]);
    } finally {
      await own.cleanup();
    }
  });
});
