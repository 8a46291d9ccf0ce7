import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { REPLY_TEXT_LIMIT } from "../../src/router/fit-replies.js";
import { toPlainText } from "../../src/router/markup.js";
import type { IncomingMessage } from "../../src/router/types.js";
import { sessionKeyFor } from "../../src/sessions/session-key.js";
import { apiKeyFor, type ChatFixture, chatFixture, consoleMessage, telegramDm } from "./chat-fixture.js";

describe("Router: no input makes it throw, every reply fits", () => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await chatFixture({
      config: {
        access: { owners: ["telegram:1"] },
        channels: { telegram: { allowFrom: ["2"], groups: { policy: "open", requireMention: true } } },
        models: {
          providers: { acme: { baseUrl: "http://127.0.0.1:9", api: "openai-chat", models: ["m1"] } },
        },
      },
      profiles: { "anthropic:work": apiKeyFor("anthropic"), "openai:default": apiKeyFor("openai") },
      onPlainMessage: async ({ message }) => ({ text: message.text, format: "plain" }),
    });
  });
  afterAll(() => fx.cleanup());

  const oddText = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.constantFrom("\u200B", "\u202E", "\uFEFF", "مرحبا", "🤖", "\u0000", "\n", "@", "/", "*", "`", "\\"),
  );
  const commandText = fc
    .tuple(
      fc.constantFrom(
        "/model",
        "/MODEL",
        "/model@TesseraBot",
        "/model@Other",
        "/new",
        "/whoami",
        "/help",
        "/start",
        "/nope",
      ),
      fc.array(
        fc.oneof(
          oddText,
          fc.constantFrom(
            "list",
            "status",
            "reset",
            "default",
            "help",
            "sonnet",
            "opus@anthropic:work",
            "@anthropic:work",
            "@openai:default",
            "@",
            "acme/m1",
            "openai/gpt-5",
            "sonet",
            "x@y:z",
          ),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([cmd, args]) => [cmd, ...args].join(" "));
  const message = fc.record({
    channel: fc.constantFrom("telegram", "discord", "console") as fc.Arbitrary<IncomingMessage["channel"]>,
    chatType: fc.constantFrom("dm", "group", "channel") as fc.Arbitrary<IncomingMessage["chatType"]>,
    senderId: fc.constantFrom("1", "2", "3", "local"),
    chatId: fc.constantFrom("1", "-100", "c9"),
    text: fc.oneof(oddText, commandText),
    addressed: fc.boolean(),
    source: fc.constantFrom("text", "button") as fc.Arbitrary<"text" | "button">,
  });

  it("answers anything without throwing, within the size limit and without secrets", async () => {
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        const replies = await fx.send(m.text, { ...m, botUsername: "TesseraBot" });
        for (const reply of replies) {
          expect(reply.text.length).toBeLessThanOrEqual(REPLY_TEXT_LIMIT);
          expect(reply.text.trim()).not.toBe("");
        }
      }),
      { numRuns: 250 },
    );
  });

  it("splits a 100 kB answer into replies that each fit", async () => {
    const big = `${"word ".repeat(20_000)}\n${"x".repeat(10_000)}`;
    const replies = await fx.send(big);
    expect(replies.length).toBeGreaterThan(1);
    for (const reply of replies) expect(reply.text.length).toBeLessThanOrEqual(REPLY_TEXT_LIMIT);
    expect(
      replies
        .map((r) => r.text)
        .join("")
        .replace(/\s/g, ""),
    ).toBe(big.replace(/\s/g, ""));
  });

  it("survives a 100 kB command argument and echoes only a short part of it", async () => {
    const text = await fx.say(`/model ${"q".repeat(100_000)}`);
    expect(text).toMatch(/There is no model q+…/);
    expect(text.length).toBeLessThan(500);
  });

  it("drops a malformed message from an adapter instead of throwing", async () => {
    const replies = await fx.router.handle({ channel: "irc", text: "/help" } as unknown as IncomingMessage);
    expect(replies).toEqual([]);
  });
});

describe("Router: commands and plain messages", () => {
  let fx: ChatFixture;
  const plain: { text: string; sessionKey: string; isOwner: boolean }[] = [];
  beforeAll(async () => {
    fx = await chatFixture({
      config: {
        access: { owners: ["telegram:1"] },
        channels: { telegram: { allowFrom: ["2"], groups: { policy: "open", requireMention: true } } },
      },
      onPlainMessage: async ({ message, sessionKey, isOwner }) => {
        plain.push({ text: message.text, sessionKey, isOwner });
        return { text: "model answer", format: "plain" };
      },
    });
  });
  afterAll(() => fx.cleanup());
  afterEach(() => {
    plain.length = 0;
  });

  it("hands plain messages to the handler with the session key and owner flag", async () => {
    expect(await fx.say("hello")).toBe("model answer");
    expect(plain).toEqual([{ text: "hello", sessionKey: "agent:main:console:local", isOwner: true }]);
    await fx.send("hi", telegramDm("2"));
    expect(plain[1]).toEqual({ text: "hi", sessionKey: "agent:main:telegram:dm:2", isOwner: false });
  });

  it("never sends a command to the model", async () => {
    await fx.send("/model list");
    await fx.send("/nope");
    await fx.send("/model@TesseraBot status", telegramDm("1"));
    expect(plain).toEqual([]);
  });

  it("stays silent for another bot's command, in DMs and groups", async () => {
    expect(await fx.send("/model@OtherBot list", telegramDm("1"))).toEqual([]);
    expect(
      await fx.send("/help@OtherBot", {
        ...telegramDm("1"),
        chatType: "group",
        chatId: "-100",
        addressed: false,
      }),
    ).toEqual([]);
    expect(plain).toEqual([]);
  });

  it("answers an unknown command in a DM with the closest one, stays silent in a group", async () => {
    expect(await fx.say("/modle")).toContain("Did you mean /model?");
    const group = { ...telegramDm("1"), chatType: "group" as const, chatId: "-100", addressed: false };
    expect(await fx.send("/modle", group)).toEqual([]);
    expect(await fx.say("/modle@TesseraBot", group)).toContain("/help");
  });

  it("says when lines after a command were ignored", async () => {
    const text = await fx.say("/model list\nand also this\nand this");
    expect(text).toContain("2 more lines were ignored");
    expect(plain).toEqual([]);
  });

  it("makes the answer to a pressed button edit the message it was on", async () => {
    const [reply] = await fx.send("/model opus", { source: "button" });
    expect(reply?.edit).toBe(true);
    const [typed] = await fx.send("/model opus");
    expect(typed?.edit).toBeUndefined();
    await fx.send("/model reset");
  });

  it("answers /whoami only in DMs", async () => {
    const dm = await fx.say("/whoami", telegramDm("2"));
    expect(dm).toContain("Telegram user id is 2");
    expect(dm).toContain("telegram:2");
    const group = await fx.say("/whoami", { ...telegramDm("2"), chatType: "group", chatId: "-100" });
    expect(group).toContain("only in a direct message");
    expect(group).not.toContain("user id is");
  });

  it("lists only what the sender may use in /help", async () => {
    const owner = await fx.say("/help");
    expect(owner).toContain("/model <name>@<profile>");
    const member = await fx.say("/help", telegramDm("2"));
    expect(member).toContain("/model <name>");
    expect(member).not.toContain("@<profile>");
    const group = await fx.say("/help", { ...telegramDm("2"), chatType: "group", chatId: "-100" });
    expect(group).not.toMatch(/^\/whoami —/m);
    expect(group).toContain("/whoami answers in a direct message");
    expect(await fx.say("/start")).toContain("Commands you can use here");
  });

  it("turns a handler failure into a reply instead of throwing", async () => {
    const failing = await chatFixture({
      onPlainMessage: async () => {
        throw new Error("upstream exploded with key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      },
    });
    try {
      failing.secrets.push("sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      const text = await failing.say("hello");
      expect(text).toContain("Something went wrong");
      expect(text).toContain("upstream exploded");
    } finally {
      await failing.cleanup();
    }
  });

  it("reports a corrupt sessions file with its path and fix to owners, vaguely to others", async () => {
    const broken = await chatFixture({
      config: { channels: { telegram: { allowFrom: ["2"] } } },
    });
    try {
      const { writeFile, mkdir } = await import("node:fs/promises");
      const { dirname } = await import("node:path");
      await mkdir(dirname(broken.sessions.path), { recursive: true });
      await writeFile(broken.sessions.path, "{ not json");
      const owner = await broken.say("/model opus");
      expect(owner).toContain(broken.sessions.path);
      expect(owner).toContain("Fix:");
      const member = await broken.say("/model opus", telegramDm("2"));
      expect(member).toContain("tessera doctor");
      expect(member).not.toContain(broken.sessions.path);
    } finally {
      await broken.cleanup();
    }
  });
});

describe("Router: concurrency", () => {
  it("lands 200 sessions pinning at once, all on disk", async () => {
    const users = Array.from({ length: 200 }, (_, i) => String(1000 + i));
    const fx = await chatFixture({ config: { channels: { telegram: { allowFrom: users } } } });
    try {
      const models = ["opus", "haiku", "sonnet", "openai/gpt-5"];
      const replies = await Promise.all(
        users.map((u, i) => fx.router.handle(consoleMessage(`/model ${models[i % 4]}`, telegramDm(u)))),
      );
      for (const r of replies) expect(toPlainText(r[0]!.text)).toContain("This chat now uses");
      await fx.restart();
      const all = await fx.sessions.all();
      expect(Object.keys(all)).toHaveLength(200);
      const expected = [
        "anthropic/claude-opus-4-5",
        "anthropic/claude-haiku-4-5",
        "anthropic/claude-sonnet-4-5",
        "openai/gpt-5",
      ];
      users.forEach((u, i) => {
        const key = sessionKeyFor("main", { channel: "telegram", chatType: "dm", chatId: u, senderId: u });
        expect(all[key]?.model?.ref).toBe(expected[i % 4]);
        expect(all[key]?.model?.setBy).toBe(`telegram:${u}`);
      });
      const audit = await fx.services.audit.read();
      expect(audit.entries.filter((e) => e.action === "pin.model")).toHaveLength(200);
    } finally {
      await fx.cleanup();
    }
  });
});
