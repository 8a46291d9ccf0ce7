import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeLine } from "../../../adapters/console/completion.js";
import { commandMenu } from "../../../src/runtime/chat-runtime.js";
import {
  apiKeyFor,
  type ChatFixture,
  chatFixture,
  consoleMessage,
  telegramDm,
} from "../../router/chat-fixture.js";

describe("console tab completion (the router's autocomplete hooks)", () => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await chatFixture({
      profiles: { "anthropic:work": apiKeyFor("anthropic"), "openai:main": apiKeyFor("openai") },
      config: { channels: { telegram: { allowFrom: ["77"] } } },
    });
  });
  afterAll(() => fx.cleanup());

  const host = () => ({
    autocomplete: (r: Parameters<ChatFixture["router"]["autocomplete"]>[0]) => fx.router.autocomplete(r),
    commands: commandMenu(),
  });

  it("completes command names, models (aliases first) and the model's provider's profiles", async () => {
    const me = consoleMessage("");
    expect(await completeLine(host(), "/mo", me)).toEqual(["/model "]);
    const models = await completeLine(host(), "/model so", me);
    expect(models[0]).toBe("/model sonnet");
    expect(models).toContain("/model anthropic/claude-sonnet-4");
    expect(await completeLine(host(), "/model sonnet@w", me)).toEqual(["/model sonnet@anthropic:work"]);
    expect(await completeLine(host(), "/model openai/gpt-5@", me)).toEqual([
      "/model openai/gpt-5@openai:main",
    ]);
    expect(await completeLine(host(), "hello", me)).toEqual([]);
  });

  it("offers profiles to owners only, and nothing to senders who are not allowed", async () => {
    const member = { ...consoleMessage(""), ...telegramDm("77") };
    expect(await completeLine(host(), "/model sonnet@", member)).toEqual([]);
    expect((await completeLine(host(), "/model so", member)).length).toBeGreaterThan(0);
    const stranger = { ...consoleMessage(""), ...telegramDm("99") };
    expect(await completeLine(host(), "/model so", stranger)).toEqual([]);
  });
});
