import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatFixture, chatFixture, telegramDm } from "../router/chat-fixture.js";

describe("/whoami", () => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await chatFixture({
      config: {
        access: { owners: ["discord:9"] },
        channels: { telegram: { allowFrom: ["2"] }, discord: { allowFrom: ["8"] } },
      },
    });
  });
  afterAll(() => fx.cleanup());

  it("tells a Telegram user their id and the exact config entries", async () => {
    const text = await fx.say("/whoami", { ...telegramDm("2"), senderName: "Ada **L**" });
    expect(text).toContain("Your Telegram user id is 2 (Ada **L**).");
    expect(text).toContain("add 2 to channels.telegram.allowFrom");
    expect(text).toContain("add telegram:2 to access.owners");
    expect(text).toContain("you are not an owner");
  });

  it("knows Discord owners", async () => {
    const text = await fx.say("/whoami", { channel: "discord", chatType: "dm", chatId: "d", senderId: "9" });
    expect(text).toContain("Your Discord user id is 9");
    expect(text).toContain("You are an owner of this bot.");
  });

  it("names the console user, set by --as", async () => {
    expect(await fx.say("/whoami", { senderId: "alice" })).toContain("You are console:alice");
  });

  it("stays out of groups", async () => {
    const text = await fx.say("/whoami", {
      channel: "discord",
      chatType: "group",
      chatId: "gdm",
      senderId: "8",
    });
    expect(text).toContain("only in a direct message");
    expect(text).not.toContain("8");
  });
});
