import { describe, expect, it } from "vitest";
import { parseInput } from "../../src/router/parse.js";

const BOT = "TesseraBot";

describe("parseInput", () => {
  const commands: [string, string, string, string[]][] = [
    // input, name, argText, args
    ["/model", "model", "", []],
    ["/model list", "model", "list", ["list"]],
    ["/MODEL Sonnet", "model", "Sonnet", ["Sonnet"]],
    ["/Model   opus@anthropic:work  ", "model", "opus@anthropic:work", ["opus@anthropic:work"]],
    ["/model @anthropic:work", "model", "@anthropic:work", ["@anthropic:work"]],
    ["/model sonnet @anthropic:work", "model", "sonnet @anthropic:work", ["sonnet", "@anthropic:work"]],
    ["/model@TesseraBot status", "model", "status", ["status"]],
    ["/model@tesserabot status", "model", "status", ["status"]],
    ["   /help", "help", "", []],
    ["\u200B\uFEFF/help", "help", "", []],
    ["\u202E/whoami", "whoami", "", []],
    ["/new\u00A0please", "new", "please", ["please"]],
    ["/unknown_cmd x", "unknown_cmd", "x", ["x"]],
    [
      "/model openrouter/anthropic/claude-opus-4.5",
      "model",
      "openrouter/anthropic/claude-opus-4.5",
      ["openrouter/anthropic/claude-opus-4.5"],
    ],
  ];
  it.each(commands)("%j is the command %s", (input, name, argText, args) => {
    const parsed = parseInput(input, BOT);
    expect(parsed).toMatchObject({ kind: "command", name, argText, args });
  });

  it("reads only the first line and counts the ignored ones", () => {
    expect(parseInput("/model sonnet\nhello\n\n  \nworld", BOT)).toMatchObject({
      kind: "command",
      name: "model",
      args: ["sonnet"],
      ignoredLines: 2,
    });
    expect(parseInput("/model sonnet\r\nmore", BOT)).toMatchObject({ args: ["sonnet"], ignoredLines: 1 });
    expect(parseInput("/help\u2028x", BOT)).toMatchObject({ name: "help", ignoredLines: 1 });
    expect(parseInput("/help", BOT)).toMatchObject({ ignoredLines: 0 });
  });

  it("marks commands written with this bot's name", () => {
    expect(parseInput("/model@TesseraBot", BOT)).toMatchObject({ kind: "command", mentionsBot: true });
    expect(parseInput("/model", BOT)).toMatchObject({ kind: "command", mentionsBot: false });
    expect(parseInput("/model", "@TesseraBot")).toMatchObject({ kind: "command" });
  });

  it("ignores commands addressed to another bot", () => {
    expect(parseInput("/model@OtherBot sonnet", BOT)).toEqual({
      kind: "other-bot",
      name: "model",
      bot: "OtherBot",
    });
    expect(parseInput("/help@other_bot", BOT)).toMatchObject({ kind: "other-bot" });
  });

  it("accepts any @suffix when the adapter does not know the bot's name", () => {
    expect(parseInput("/model@whatever list", undefined)).toMatchObject({ kind: "command", args: ["list"] });
  });

  const notCommands = [
    "hello",
    "",
    " ",
    "hello /model sonnet",
    "/ model",
    "/",
    "//model",
    "/model!",
    "/model@",
    "/model@ sonnet",
    "/mödel",
    "/model\u200Bsonnet",
    "\n/model",
    "please sync /model openai/gpt-5 now",
    "http://example.com/model",
    "مرحبا /model",
    `/${"a".repeat(65)}`,
  ];
  it.each(notCommands)("%j is plain text", (input) => {
    expect(parseInput(input, BOT)).toEqual({ kind: "text" });
  });

  it("handles 100 kB of input without trouble", () => {
    const big = `/model ${"x".repeat(100_000)}\n${"y\n".repeat(50_000)}`;
    const parsed = parseInput(big, BOT);
    expect(parsed).toMatchObject({ kind: "command", name: "model", ignoredLines: 50_000 });
    expect(parseInput("z".repeat(100_000), BOT)).toEqual({ kind: "text" });
  });

  it("keeps RTL and emoji arguments as typed", () => {
    expect(parseInput("/model نموذج 🤖", BOT)).toMatchObject({ args: ["نموذج", "🤖"] });
  });
});
