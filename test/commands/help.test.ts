import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatCommandRegistry } from "../../src/runtime/compose.js";
import { type ChatFixture, chatFixture, telegramDm } from "../router/chat-fixture.js";

describe("/help", () => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await chatFixture({
      config: { channels: { telegram: { allowFrom: ["2"], groups: { policy: "open" } } } },
    });
  });
  afterAll(() => fx.cleanup());

  it("lists every usage form of every command for an owner in a DM, from the registry", async () => {
    const text = await fx.say("/help");
    for (const def of chatCommandRegistry().definitions) {
      for (const usage of def.usage) expect(text).toContain(`${usage.form} — ${usage.description}`);
    }
  });

  it("leaves out owner-only forms for others and DM-only commands in groups", async () => {
    const member = await fx.say("/help", telegramDm("2"));
    expect(member).not.toContain("@<profile>");
    expect(member).toMatch(/^\/whoami —/m);
    const group = await fx.say("/help", { ...telegramDm("2"), chatType: "group", chatId: "-1" });
    expect(group).not.toMatch(/^\/whoami —/m);
    expect(group).toContain("/whoami answers in a direct message");
  });
});
