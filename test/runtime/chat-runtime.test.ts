/**
 * `ChatRuntime`, the lifecycle every chat surface shares, on a real state dir: per-session order,
 * concurrency across sessions, shutdown (stop taking messages, drain, cut off what is left) and a
 * failing delivery. The agent turn is a handler the test controls with gates; overlap is measured
 * with counters and event logs, never with timings.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AdapterLog } from "../../src/router/adapter.js";
import type { IncomingMessage, PlainMessageHandler, Reply } from "../../src/router/types.js";
import { ChatRuntime } from "../../src/runtime/chat-runtime.js";
import { type ChatFixture, chatFixture } from "../router/chat-fixture.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const CUT_OFF = "Cut off by the test's shutdown.";

interface LogLine {
  level: keyof AdapterLog;
  message: string;
  fields?: Record<string, unknown>;
}

function recordingLog(lines: LogLine[]): AdapterLog {
  const at = (level: keyof AdapterLog) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, fields });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A Telegram DM from `senderId` (the config admits everyone). */
function dm(senderId: string, text: string): IncomingMessage {
  return { channel: "telegram", chatId: senderId, chatType: "dm", senderId, text, addressed: true };
}

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

let fx: ChatFixture;
let runtime: ChatRuntime | undefined;
let log: LogLine[];

beforeEach(async () => {
  fx = await chatFixture({ config: { channels: { telegram: { allowFrom: ["*"] } } } });
  log = [];
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await fx.cleanup();
});

function start(onPlainMessage: PlainMessageHandler, cutOffNotice?: string): ChatRuntime {
  runtime = new ChatRuntime({ services: fx.services, log: recordingLog(log), onPlainMessage, cutOffNotice });
  return runtime;
}

/** Dispatches `message` and collects what it delivered, in delivery order across all messages. */
function dispatcher(rt: ChatRuntime) {
  const delivered: { text: string; replies: Reply[] }[] = [];
  const send = (message: IncomingMessage) =>
    rt.dispatch(message, {
      deliver: async (replies) => {
        delivered.push({ text: message.text, replies });
      },
    });
  return { delivered, send };
}

describe("ChatRuntime.dispatch", () => {
  it("answers two messages of one session in order, the second only after the first", async () => {
    const events: string[] = [];
    const first = gate();
    const rt = start(async ({ message }) => {
      events.push(`start ${message.text}`);
      if (message.text === "one") await first.promise;
      events.push(`end ${message.text}`);
      return { text: `echo ${message.text}` };
    });
    const { delivered, send } = dispatcher(rt);
    const both = [send(dm("7", "one")), send(dm("7", "two"))];

    // Other sessions go all the way through the router meanwhile: had "two" not waited for "one",
    // it would have reached the handler by now.
    for (const text of ["a", "b", "c"]) await send(dm("8", text));
    expect(events.filter((e) => !/ [abc]$/.test(e))).toEqual(["start one"]);

    first.open();
    await Promise.all(both);
    expect(events.filter((e) => !/ [abc]$/.test(e))).toEqual([
      "start one",
      "end one",
      "start two",
      "end two",
    ]);
    expect(delivered.filter((d) => d.text === "one" || d.text === "two").map((d) => d.replies)).toEqual([
      [{ text: "echo one" }],
      [{ text: "echo two" }],
    ]);
  });

  it("answers 50 sessions at once", async () => {
    const all = gate();
    let running = 0;
    let most = 0;
    const rt = start(async ({ message }) => {
      running++;
      most = Math.max(most, running);
      if (running === 50) all.open();
      await all.promise;
      running--;
      return { text: `echo ${message.text}` };
    });
    const { delivered, send } = dispatcher(rt);
    const sent = Array.from({ length: 50 }, (_, i) => send(dm(`u${i}`, `hello ${i}`)));
    // Only all 50 in the handler together open the gate; anything serialised would wait here.
    await vi.waitFor(() => expect(most).toBe(50), { timeout: 20_000, interval: 5 });
    all.open();
    await Promise.all(sent);
    expect(most).toBe(50);
    expect(delivered.map((d) => d.replies[0]?.text).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `echo hello ${i}`).sort(),
    );
    expect(rt.pending).toBe(0);
  });

  it("drops what arrives after stopAccepting, without calling deliver or the handler", async () => {
    const handled: string[] = [];
    const rt = start(async ({ message }) => {
      handled.push(message.text);
      return { text: "answer" };
    });
    const deliver = vi.fn(async () => {});
    await rt.dispatch(dm("7", "before"), { deliver });
    expect(deliver).toHaveBeenCalledTimes(1);

    rt.stopAccepting();
    await rt.dispatch(dm("7", "after"), { deliver });
    await rt.dispatch(dm("7", "/model"), { deliver });
    expect(deliver).toHaveBeenCalledTimes(1);
    expect(handled).toEqual(["before"]);
    expect(rt.pending).toBe(0);
    expect(log.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      "dropped a message that arrived during shutdown",
      "dropped a message that arrived during shutdown",
    ]);
  });

  it("goes on with a session's next message when delivering the previous one threw", async () => {
    const secret = fakeSecret("sk-");
    const rt = start(async ({ message }) => ({ text: `echo ${message.text}` }));
    const delivered: string[] = [];
    const first = rt.dispatch(dm("7", "one"), {
      deliver: async () => {
        throw new Error(`socket closed (key ${secret})`);
      },
    });
    const second = rt.dispatch(dm("7", "two"), {
      deliver: async (replies) => {
        delivered.push(...replies.map((r) => r.text));
      },
    });
    await expect(first).resolves.toBeUndefined();
    await second;
    expect(delivered).toEqual(["echo two"]);
    const errors = log.filter((l) => l.level === "error");
    expect(errors.map((l) => l.message)).toEqual(["could not deliver a reply"]);
    expect(String(errors[0]?.fields?.error)).toContain("socket closed");
    expectNoSecretIn(JSON.stringify(log), [secret]);
    expect(rt.pending).toBe(0);
  });
});

describe("ChatRuntime.drain", () => {
  it("lets answers finish within the grace period, cancelling nothing", async () => {
    const answer = gate();
    const signals: AbortSignal[] = [];
    const rt = start(async ({ message, signal }) => {
      if (signal) signals.push(signal);
      await answer.promise;
      return { text: `echo ${message.text}` };
    }, CUT_OFF);
    const { delivered, send } = dispatcher(rt);
    const sent = send(dm("7", "hello"));
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    rt.stopAccepting();
    const drained = rt.drain(30_000, 30_000);
    answer.open();
    expect(await drained).toEqual({ cancelled: 0 });
    await sent;
    expect(signals[0]?.aborted).toBe(false);
    expect(delivered.map((d) => d.replies)).toEqual([[{ text: "echo hello" }]]);
    expect(await rt.drain(10)).toEqual({ cancelled: 0 });
  });

  it("aborts model calls still running after the grace period and tells their chats", async () => {
    const entered: string[] = [];
    const rt = start(async ({ message, signal }) => {
      if (message.text === "quick") return { text: "quick answer" };
      entered.push(message.text);
      await new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      // One call fails the way an aborted request does, the other answers with what it had.
      if (message.text === "slow") throw signal?.reason ?? new Error("aborted");
      return { text: "half an answer" };
    }, CUT_OFF);
    const { delivered, send } = dispatcher(rt);
    const sent = [send(dm("7", "slow")), send(dm("8", "partial")), send(dm("7", "queued"))];
    await send(dm("9", "quick"));
    await vi.waitFor(() => expect(entered.sort()).toEqual(["partial", "slow"]));

    rt.stopAccepting();
    const { cancelled } = await rt.drain(20, 30_000);
    await Promise.all(sent);
    // The two running calls and the message queued behind one of them.
    expect(cancelled).toBe(3);
    const byText = Object.fromEntries(delivered.map((d) => [d.text, d.replies]));
    expect(byText).toEqual({
      quick: [{ text: "quick answer" }],
      slow: [{ text: CUT_OFF }],
      partial: [{ text: CUT_OFF }],
      queued: [{ text: CUT_OFF }],
    });
    expect(rt.pending).toBe(0);
  });
});
