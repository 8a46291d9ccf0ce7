/**
 * 10,000 sessions created through the router (issue 11): each is readable afterwards with its pins
 * intact, the listing finds exactly them, and the sessions directory holds nothing outside the
 * layout (`<hh>/<hash>.json`, beside the router's `action-tokens.json`): no index, no lock or temp
 * file left behind.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionFileHash } from "../../src/config/paths.js";
import { listSessionFiles } from "../../src/sessions/session-files.js";
import { type ChatFixture, chatFixture, telegramDm } from "../router/chat-fixture.js";

const SESSIONS = 10_000;
/** Messages in flight at once, as a busy gateway has them. */
const IN_FLIGHT = 64;
const users = Array.from({ length: SESSIONS }, (_, i) => String(100_000 + i));
const modelOf = (i: number) => (i % 3 === 0 ? "opus" : i % 3 === 1 ? "haiku" : "openai/gpt-5");
const refOf: Record<string, string> = {
  opus: "anthropic/claude-opus-4-5",
  haiku: "anthropic/claude-haiku-4-5",
  "openai/gpt-5": "openai/gpt-5",
};

let fx: ChatFixture;
beforeAll(async () => {
  // An open bot: a 10,000-entry allowFrom would make each message scan it, which is not under test.
  fx = await chatFixture({ config: { channels: { telegram: { allowFrom: ["*"] } } } });
});
afterAll(() => fx.cleanup());

describe(`${SESSIONS.toLocaleString("en")} sessions through the router`, () => {
  // ~20 s alone on 2 cores (each new session is one locked, fsynced write plus an audit line);
  // the margin is for a full suite sharing the machine.
  it("are each readable with their pins, and nothing outside the layout is written", {
    timeout: 240_000,
  }, async () => {
    let next = 0;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < SESSIONS) {
          const i = next++;
          const reply = await fx.say(`/model ${modelOf(i)}`, telegramDm(users[i]!));
          if (!reply.startsWith("This chat now uses")) failures.push(`${users[i]}: ${reply.slice(0, 120)}`);
        }
      }),
    );
    expect(failures).toEqual([]);

    const all = await fx.sessions.all();
    expect(Object.keys(all)).toHaveLength(SESSIONS);
    for (const [i, user] of users.entries()) {
      const key = `agent:main:telegram:dm:${user}`;
      expect(all[key]?.model, key).toMatchObject({ ref: refOf[modelOf(i)], setBy: `telegram:${user}` });
      expect(all[key]?.profile).toBeUndefined();
    }
    // Spot checks through the per-session read.
    for (const i of [0, 1, 2, 4_999, 9_999]) {
      expect((await fx.pins(`agent:main:telegram:dm:${users[i]}`)).model).toBe(refOf[modelOf(i)]);
    }

    const dir = fx.sessions.path;
    const top = await readdir(dir);
    const outside = top.filter((n) => !/^[0-9a-f]{2}$/.test(n) && n !== "action-tokens.json");
    expect(outside).toEqual([]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await listSessionFiles(dir);
    expect(files).toHaveLength(SESSIONS);
    let entries = 0;
    for (const shard of top.filter((n) => /^[0-9a-f]{2}$/.test(n))) {
      const names = await readdir(join(dir, shard));
      entries += names.length;
      for (const name of names)
        expect(name, `${shard}/${name}`).toMatch(new RegExp(`^${shard}[0-9a-f]{30}\\.json$`));
      expect((await stat(join(dir, shard))).mode & 0o777).toBe(0o700);
    }
    expect(entries).toBe(SESSIONS);
    expect(new Set(files.map((f) => f.slice(-37, -5))).size).toBe(SESSIONS);
    expect(files).toContain(
      join(
        dir,
        sessionFileHash(`agent:main:telegram:dm:${users[0]}`).slice(0, 2),
        `${sessionFileHash(`agent:main:telegram:dm:${users[0]}`)}.json`,
      ),
    );
  });
});
