import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiKeyFor, type ChatFixture, chatFixture, telegramDm } from "../router/chat-fixture.js";

const KEY = "agent:main:console:local";

describe("/new", () => {
  let fx: ChatFixture;
  beforeEach(async () => {
    fx = await chatFixture({ config: { channels: { telegram: { allowFrom: ["2"] } } } });
  });
  afterEach(() => fx.cleanup());

  it("forgets the conversation, keeps the pins, and says so", async () => {
    await fx.seedProfile("anthropic:work", apiKeyFor("anthropic"));
    await fx.send("/model opus@anthropic:work");
    await fx.sessions.appendHistory(KEY, [
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
    ]);
    const text = await fx.say("/new");
    expect(text).toContain("Started a new conversation; the 2 earlier messages are forgotten.");
    expect(text).toContain("Pins stay: model opus · anthropic/claude-opus-4-5, credential anthropic:work.");
    expect(await fx.sessions.history(KEY)).toEqual([]);
    expect(await fx.sessions.get(KEY)).toMatchObject({
      model: { ref: "anthropic/claude-opus-4-5" },
      profile: { id: "anthropic:work" },
    });
  });

  it("says pins are kept even when none is set", async () => {
    const text = await fx.say("/new");
    expect(text).toContain("/new keeps pins; none is set here, so this chat uses the default model sonnet");
  });

  it("does not name an owner's credential pin to other users", async () => {
    await fx.seedProfile("anthropic:work", apiKeyFor("anthropic"));
    await fx.sessions.setPins(
      "agent:main:telegram:dm:2",
      { profile: "anthropic:work" },
      {
        actor: "telegram:1",
        surface: "chat",
      },
    );
    const text = await fx.say("/new", telegramDm("2"));
    expect(text).toContain("the credential an owner pinned");
    expect(text).not.toContain("anthropic:work");
  });

  it("is audited", async () => {
    await fx.send("/new");
    const entries = (await fx.services.audit.read()).entries;
    expect(entries.at(-1)).toMatchObject({ action: "session.new", actor: "console:local", target: KEY });
  });
});
