/**
 * `SessionQueue`: one task at a time per key, in order; keys independent. Overlap is measured with
 * counters and gates the test releases, never with timings.
 */
import { describe, expect, it } from "vitest";
import { SessionQueue } from "../../src/runtime/session-queue.js";

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Lets every queued promise callback run (a few macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("SessionQueue", () => {
  it("runs one key's tasks one at a time, in the order they were queued", async () => {
    const queue = new SessionQueue();
    const events: string[] = [];
    const gates = [gate(), gate(), gate()];
    const results = gates.map((g, i) =>
      queue.run("chat", async () => {
        events.push(`start ${i}`);
        await g.promise;
        events.push(`end ${i}`);
        return i;
      }),
    );
    await settle();
    expect(events).toEqual(["start 0"]);
    // Opened last to first: order comes from the queue, not from which task could finish first.
    gates[2]!.open();
    gates[1]!.open();
    await settle();
    expect(events).toEqual(["start 0"]);
    gates[0]!.open();
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
    expect(events).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
  });

  it("runs the tasks of 50 keys all at once", async () => {
    const queue = new SessionQueue();
    const all = gate();
    let running = 0;
    let most = 0;
    const results = Array.from({ length: 50 }, (_, i) =>
      queue.run(`chat ${i}`, async () => {
        running++;
        most = Math.max(most, running);
        await all.promise;
        running--;
        return i;
      }),
    );
    await settle();
    expect(running).toBe(50);
    expect(queue.activeKeys).toBe(50);
    all.open();
    expect(await Promise.all(results)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(most).toBe(50);
    await settle();
    expect(queue.activeKeys).toBe(0);
  });

  it("passes a task's failure to its caller and goes on with the next task of that key", async () => {
    const queue = new SessionQueue();
    const events: string[] = [];
    const failing = queue.run("chat", async () => {
      events.push("first");
      throw new Error("boom");
    });
    const throwingAtOnce = queue.run("chat", () => {
      events.push("second");
      throw new Error("not even a promise");
    });
    const next = queue.run("chat", async () => {
      events.push("third");
      return "ok";
    });
    await expect(failing).rejects.toThrow("boom");
    await expect(throwingAtOnce).rejects.toThrow("not even a promise");
    await expect(next).resolves.toBe("ok");
    expect(events).toEqual(["first", "second", "third"]);
    await settle();
    expect(queue.activeKeys).toBe(0);
  });

  it("forgets a key once its work is done, and queues fresh work on it normally", async () => {
    const queue = new SessionQueue();
    await queue.run("chat", async () => 1);
    await settle();
    expect(queue.activeKeys).toBe(0);
    const g = gate();
    const events: string[] = [];
    const a = queue.run("chat", async () => {
      events.push("a");
      await g.promise;
      events.push("a done");
    });
    const b = queue.run("chat", async () => {
      events.push("b");
    });
    await settle();
    expect(events).toEqual(["a"]);
    g.open();
    await Promise.all([a, b]);
    expect(events).toEqual(["a", "a done", "b"]);
  });
});
