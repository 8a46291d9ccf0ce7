import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsole } from "../../../adapters/console/console-adapter.js";
import type { IncomingMessage } from "../../../src/router/types.js";
import { apiKeyFor, type ChatFixture, chatFixture } from "../../router/chat-fixture.js";
import { expectNoSecretIn } from "../../support/secrets.js";

async function session(
  fx: ChatFixture,
  lines: string[],
  opts: { interactive?: boolean; color?: boolean; userId?: string } = {},
): Promise<{ out: string; code: number; seen: IncomingMessage[] }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = "";
  output.on("data", (chunk) => {
    out += chunk.toString();
  });
  const seen: IncomingMessage[] = [];
  const done = runConsole({
    input,
    output,
    interactive: opts.interactive ?? false,
    color: opts.color ?? false,
    userId: opts.userId ?? "local",
    banner: "BANNER",
    dispatch: async (m, delivery) => {
      seen.push(m);
      await delivery.deliver(await fx.router.handle(m));
    },
  });
  input.end(lines.map((l) => `${l}\n`).join(""));
  await done;
  const code = 0;
  expectNoSecretIn(out, fx.secrets);
  return { out, code, seen };
}

describe("console adapter", () => {
  let fx: ChatFixture;
  beforeAll(async () => {
    fx = await chatFixture({ profiles: { "anthropic:work": apiKeyFor("anthropic") } });
  });
  afterAll(() => fx.cleanup());

  it("prints one reply per line of input, blank-line separated, and exits 0 at end of input", async () => {
    const { out, code, seen } = await session(fx, ["/whoami", "", "hello"]);
    expect(code).toBe(0);
    expect(out).toBe(
      "You are console:local on the local console, which is always an owner. (Set the id with tessera chat --as <id>.)\n\n" +
        "echo: hello\n\n",
    );
    expect(seen.map((m) => [m.channel, m.chatType, m.senderId, m.text, m.source])).toEqual([
      ["console", "dm", "local", "/whoami", "text"],
      ["console", "dm", "local", "hello", "text"],
    ]);
  });

  it("shows buttons as numbered choices and presses one when its number is typed", async () => {
    const { out, seen } = await session(fx, ["/model", "2", "18", "/new", "1"]);
    expect(out).toContain(
      "Switch the model:\n  [1] ✓ sonnet — anthropic/claude-sonnet-4-5\n  [2] opus — anthropic/claude-opus-4-5\n",
    );
    expect(out).toContain(
      "Pin a credential for anthropic:\n  [18] anthropic:work — api_key · ok\n[19] Reset to defaults",
    );
    expect(seen[1]).toMatchObject({ text: "/model opus", source: "button" });
    expect(out).toContain("This chat now uses opus · anthropic/claude-opus-4-5.");
    // A press answers with the picker again, the new choice selected, so a credential can follow.
    expect(out).toContain("  [2] ✓ opus — anthropic/claude-opus-4-5");
    expect(seen[2]).toMatchObject({ text: "/model @anthropic:work", source: "button" });
    expect(out).toContain("  [18] ✓ anthropic:work — api_key · ok");
    // An answer without buttons: "1" is an ordinary message again.
    expect(seen[4]).toMatchObject({ text: "1", source: "text" });
    await fx.send("/model reset");
  });

  it("sends a number as text when there is no such button", async () => {
    const { seen } = await session(fx, ["/model", "99"]);
    expect(seen[1]).toMatchObject({ text: "99", source: "text" });
  });

  it("uses --as for the sender and keeps the one console session", async () => {
    const { out, seen } = await session(fx, ["/whoami"], { userId: "alice" });
    expect(out).toContain("console:alice");
    expect(seen[0]?.senderId).toBe("alice");
  });

  it("prompts, shows the banner and echoes pressed buttons on a terminal", async () => {
    const { out } = await session(fx, ["/model", "3"], { interactive: true });
    expect(out.startsWith("BANNER\n")).toBe(true);
    expect(out).toContain("you › ");
    expect(out).toContain("› /model haiku\n");
    await fx.send("/model reset");
  });

  it("renders markup as ANSI only when colour is on", async () => {
    const plain = await session(fx, ["/model status"]);
    expect(plain.out).not.toContain("\u001b[");
    expect(plain.out).toContain("Model status · agent main");
    const colored = await session(fx, ["/model status"], { color: true });
    expect(colored.out).toContain("\u001b[1mModel status\u001b[22m");
    expect(colored.out).toContain("\u001b[36mmain\u001b[39m");
  });
});
