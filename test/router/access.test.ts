import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { DenialMemory, decideAccess, isOwner } from "../../src/router/access.js";
import type { IncomingMessage } from "../../src/router/types.js";
import { type ChatFixture, chatFixture, telegramDm } from "./chat-fixture.js";

const config = ConfigSchema.parse({
  access: { owners: ["telegram:1", "discord:500"] },
  channels: {
    telegram: {
      allowFrom: ["2", "telegram:3"],
      groups: { policy: "allowlist", allow: ["-100"], requireMention: true },
    },
    discord: { allowFrom: ["600"], guilds: ["g1"] },
  },
});

function msg(overrides: Partial<IncomingMessage>): IncomingMessage {
  return {
    channel: "telegram",
    chatId: "2",
    chatType: "dm",
    senderId: "2",
    text: "hi",
    addressed: true,
    ...overrides,
  };
}

describe("decideAccess", () => {
  it("admits the console user as owner", () => {
    expect(decideAccess(config, msg({ channel: "console", senderId: "anyone" }), false)).toEqual({
      kind: "admit",
      isOwner: true,
    });
  });

  it("admits allowFrom ids (bare or prefixed) and owners; owners need not be in allowFrom", () => {
    expect(decideAccess(config, msg({ senderId: "2" }), false)).toEqual({ kind: "admit", isOwner: false });
    expect(decideAccess(config, msg({ senderId: "3" }), false)).toEqual({ kind: "admit", isOwner: false });
    expect(decideAccess(config, msg({ senderId: "1" }), false)).toEqual({ kind: "admit", isOwner: true });
    expect(isOwner(config, { channel: "discord", senderId: "500" })).toBe(true);
    expect(isOwner(config, { channel: "telegram", senderId: "500" })).toBe(false);
  });

  it("refuses a stranger in a DM, with the reason", () => {
    expect(decideAccess(config, msg({ senderId: "9" }), true)).toEqual({
      kind: "deny",
      reason: "telegram:9 is not in channels.telegram.allowFrom",
      refuse: true,
      subject: "sender",
    });
  });

  it("keeps groups silent: unknown group, unknown sender", () => {
    const group = { chatType: "group" as const, chatId: "-100", addressed: true };
    expect(decideAccess(config, msg({ ...group, senderId: "2" }), false)).toMatchObject({ kind: "admit" });
    expect(decideAccess(config, msg({ ...group, senderId: "9" }), true)).toMatchObject({
      kind: "deny",
      refuse: false,
    });
    expect(decideAccess(config, msg({ ...group, chatId: "-200", senderId: "1" }), true)).toMatchObject({
      kind: "deny",
      refuse: false,
      reason: "chat -200 is not in channels.telegram.groups.allow",
    });
  });

  it("honours requireMention for plain messages, not for commands", () => {
    const group = { chatType: "group" as const, chatId: "-100", senderId: "2" };
    expect(decideAccess(config, msg({ ...group, addressed: false }), false)).toEqual({ kind: "ignore" });
    expect(decideAccess(config, msg({ ...group, addressed: false }), true)).toMatchObject({ kind: "admit" });
    expect(decideAccess(config, msg({ ...group, addressed: true }), false)).toMatchObject({ kind: "admit" });
    const relaxed = ConfigSchema.parse({
      channels: { telegram: { allowFrom: ["2"], groups: { policy: "open", requireMention: false } } },
    });
    expect(decideAccess(relaxed, msg({ ...group, addressed: false }), false)).toMatchObject({
      kind: "admit",
    });
  });

  it("follows groups.policy disabled and open", () => {
    const disabled = ConfigSchema.parse({
      access: { owners: ["telegram:1"] },
      channels: { telegram: { groups: { policy: "disabled" } } },
    });
    expect(
      decideAccess(disabled, msg({ chatType: "group", chatId: "-1", senderId: "1" }), true),
    ).toMatchObject({ kind: "deny", reason: "groups are disabled (channels.telegram.groups.policy)" });
    const open = ConfigSchema.parse({
      channels: { telegram: { allowFrom: ["2"], groups: { policy: "open" } } },
    });
    expect(decideAccess(open, msg({ chatType: "group", chatId: "-5", senderId: "2" }), true)).toMatchObject({
      kind: "admit",
    });
    expect(decideAccess(open, msg({ chatType: "group", chatId: "-5", senderId: "7" }), true)).toMatchObject({
      kind: "deny",
    });
  });

  it("checks Discord guilds and needs a mention for plain guild messages", () => {
    const base = { channel: "discord" as const, chatType: "channel" as const, chatId: "c1", senderId: "600" };
    expect(decideAccess(config, msg({ ...base, guildId: "g1", addressed: true }), false)).toMatchObject({
      kind: "admit",
    });
    expect(decideAccess(config, msg({ ...base, guildId: "g1", addressed: false }), false)).toEqual({
      kind: "ignore",
    });
    expect(decideAccess(config, msg({ ...base, guildId: "g2", addressed: true }), true)).toMatchObject({
      kind: "deny",
      reason: "guild g2 is not in channels.discord.guilds",
    });
  });

  it("treats an empty allowFrom as owners only, and * as everyone", () => {
    const closed = ConfigSchema.parse({});
    expect(decideAccess(closed, msg({ senderId: "2" }), false)).toMatchObject({ kind: "deny" });
    const open = ConfigSchema.parse({ channels: { telegram: { allowFrom: ["*"] } } });
    expect(decideAccess(open, msg({ senderId: "42" }), false)).toEqual({ kind: "admit", isOwner: false });
  });
});

describe("DenialMemory", () => {
  it("says yes once per key per window", () => {
    const memory = new DenialMemory(1000, 2);
    expect(memory.firstIn("a", 0)).toBe(true);
    expect(memory.firstIn("a", 500)).toBe(false);
    expect(memory.firstIn("a", 1500)).toBe(true);
    expect(memory.firstIn("b", 1500)).toBe(true);
    expect(memory.firstIn("c", 1500)).toBe(true);
    // "a" was evicted to keep the memory bounded.
    expect(memory.firstIn("a", 1600)).toBe(true);
  });
});

describe("access through the router", () => {
  let fx: ChatFixture;
  const handled: string[] = [];
  beforeAll(async () => {
    fx = await chatFixture({
      config: {
        access: { owners: ["telegram:1"] },
        channels: { telegram: { allowFrom: ["2"], groups: { policy: "open", requireMention: true } } },
      },
      onPlainMessage: async ({ message }) => {
        handled.push(message.text);
        return { text: "answer" };
      },
    });
  });
  afterAll(() => fx.cleanup());

  it("gives a stranger in a DM one refusal with their id, then silence, and audits it", async () => {
    const first = await fx.send("/model status", telegramDm("999"));
    expect(first).toHaveLength(1);
    const text = first[0]!.text;
    expect(text).toContain("999");
    expect(text).toContain("channels.telegram.allowFrom");
    expect(text).not.toContain("anthropic");
    expect(await fx.send("hello?", telegramDm("999"))).toEqual([]);
    expect(await fx.send("/whoami", telegramDm("999"))).toEqual([]);
    expect(handled).toEqual([]);
    const denials = (await fx.services.audit.read()).entries.filter((e) => e.action === "access.denied");
    expect(denials).toHaveLength(1);
    expect(denials[0]).toMatchObject({
      actor: "telegram:999",
      surface: "chat",
      detail: "telegram:999 is not in channels.telegram.allowFrom",
    });
  });

  it("keeps groups silent for strangers, and audits the denial", async () => {
    const group = { ...telegramDm("777"), chatType: "group" as const, chatId: "-42", addressed: true };
    expect(await fx.send("/model", group)).toEqual([]);
    expect(await fx.send("hello bot", group)).toEqual([]);
    expect(handled).toEqual([]);
    const denials = (await fx.services.audit.read()).entries.filter((e) => e.actor === "telegram:777");
    expect(denials).toHaveLength(1);
  });

  it("honours requireMention in groups: unaddressed chatter is not for the bot", async () => {
    const group = { ...telegramDm("2"), chatType: "group" as const, chatId: "-42" };
    expect(await fx.send("just chatting", { ...group, addressed: false })).toEqual([]);
    expect(handled).toEqual([]);
    expect(await fx.say("@TesseraBot hello", { ...group, addressed: true })).toBe("answer");
    expect(handled).toEqual(["@TesseraBot hello"]);
    expect(await fx.say("/model", { ...group, addressed: false })).toContain("Model:");
  });

  it("refuses profile pins and credential lines to non-owners, audited", async () => {
    await fx.seedProfile("anthropic:work", {
      type: "api_key",
      provider: "anthropic",
      key: "sk-ant-api03-ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
    });
    const refused = await fx.say("/model sonnet@anthropic:work", telegramDm("2"));
    expect(refused).toContain("Only the bot's owners can pin a credential");
    expect((await fx.pins("agent:main:telegram:dm:2")).profile).toBeUndefined();
    const status = await fx.say("/model status", telegramDm("2"));
    expect(status).not.toContain("anthropic:work");
    expect(status).not.toContain("#");
    expect(status).toContain("owners only");
    const ownerStatus = await fx.say("/model status", telegramDm("1"));
    expect(ownerStatus).toContain("anthropic:work");
    const denials = (await fx.services.audit.read()).entries.filter(
      (e) => e.action === "access.denied" && e.actor === "telegram:2",
    );
    expect(denials.map((d) => d.detail)).toEqual(["owners only: pin a credential"]);
  });
});
