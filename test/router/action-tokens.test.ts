/**
 * Button tokens (`ActionTokens`) on their own and through the real router: deterministic and short,
 * expiring without side effects, re-authorised as whoever presses them, surviving a restart, bounded
 * and private on disk, and carrying a menu's ‹ › pages.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actionTokensPath } from "../../src/config/paths.js";
import { ActionTokens, TOKEN_TTL_MS } from "../../src/router/action-tokens.js";
import type { ChoiceMenu, IncomingMessage, Reply } from "../../src/router/types.js";
import { composeRouter } from "../../src/runtime/compose.js";
import { actionsOf } from "../support/platform-fit.js";
import { apiKeyFor, type ChatFixture, chatFixture, echoHandler, telegramDm } from "./chat-fixture.js";

const OWNER_DM = "agent:main:telegram:dm:1";
const GROUP = "agent:main:telegram:group:-100";

/** A Telegram group message from `senderId` (owner 1, allowed member 2, stranger 9). */
function inGroup(senderId: string): Partial<IncomingMessage> {
  return { channel: "telegram", chatId: "-100", chatType: "group", senderId, botUsername: "TesseraBot" };
}

function press(where: Partial<IncomingMessage>): Partial<IncomingMessage> {
  return { ...where, source: "button" };
}

function option(reply: Reply | undefined, menu: number, label: string): string {
  const found = reply?.menus?.[menu]?.options.find((o) => o.label === label);
  if (!found) throw new Error(`no option ${label} in menu ${menu}: ${JSON.stringify(reply?.menus?.[menu])}`);
  return found.action;
}

let fx: ChatFixture;
beforeEach(async () => {
  fx = await chatFixture({
    config: {
      access: { owners: ["telegram:1"] },
      channels: { telegram: { allowFrom: ["2"], groups: { policy: "allowlist", allow: ["-100"] } } },
      models: {
        // 30 more models, so the Telegram picker (10 a page) has pages to walk.
        providers: {
          acme: {
            baseUrl: "http://127.0.0.1:9/v1",
            api: "openai-chat",
            models: Array.from({ length: 30 }, (_, i) => `m${i}`),
          },
        },
      },
    },
    profiles: { "anthropic:work": apiKeyFor("anthropic"), "anthropic:home": apiKeyFor("anthropic") },
  });
});
afterEach(async () => {
  await fx.cleanup();
});

describe("ActionTokens", () => {
  it("gives the same target the same short token, whatever the order of its pages", () => {
    const tokens = new ActionTokens(join(fx.dir, "tokens.json"));
    const a = tokens.tokenFor({ action: "/model sonnet" });
    expect(tokens.tokenFor({ action: "/model sonnet" })).toBe(a);
    expect(new ActionTokens(join(fx.dir, "other.json")).tokenFor({ action: "/model sonnet" })).toBe(a);
    expect(tokens.tokenFor({ action: "/model opus" })).not.toBe(a);
    const paged = tokens.tokenFor({ action: "/model", pages: { "0": 1, "1": 2 } });
    expect(tokens.tokenFor({ action: "/model", pages: { "1": 2, "0": 1 } })).toBe(paged);
    expect(tokens.tokenFor({ action: "/model", pages: { "0": 2, "1": 1 } })).not.toBe(paged);
    expect(tokens.tokenFor({ action: "/model" })).not.toBe(paged);

    const long = tokens.tokenFor({ action: `/model acme/${"日本語🤖".repeat(100)}@acme:${"x".repeat(300)}` });
    for (const token of [a, paged, long]) {
      expect(token).toMatch(/^~[A-Za-z0-9_-]{14}$/);
      expect(Buffer.byteLength(token)).toBeLessThanOrEqual(64);
      expect(ActionTokens.isToken(token)).toBe(true);
    }
    for (const typed of ["/model sonnet", "~short", `${a}x`, ` ${a}`, "~!!!!!!!!!!!!!!"])
      expect(ActionTokens.isToken(typed)).toBe(false);
  });

  it("hands out the same tokens for the same picker, every action a token on Telegram", async () => {
    const [first] = await fx.send("/model", telegramDm("1"));
    const [again] = await fx.send("/model", telegramDm("1"));
    expect(actionsOf(first!).length).toBeGreaterThan(3);
    expect(actionsOf(first!).every((a) => ActionTokens.isToken(a))).toBe(true);
    expect(actionsOf(again!)).toEqual(actionsOf(first!));
  });

  it("keeps the file bounded (the soonest to expire go first), drops expired tokens, and keeps it 0600", async () => {
    const path = join(fx.dir, "bounded", "action-tokens.json");
    let now = 1_000_000;
    const tokens = new ActionTokens(path, () => now, 60_000, 5);
    const handed: string[] = [];
    for (let i = 0; i < 12; i++) {
      now += 1;
      handed.push(tokens.tokenFor({ action: `/model m${i}` }));
      if (i % 3 === 2) await tokens.flush();
    }
    await tokens.flush();
    const stored = () => readFile(path, "utf8").then((t) => Object.keys(JSON.parse(t).tokens as object));
    expect((await stored()).sort()).toEqual(handed.slice(-5).sort());
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    // A process that never saw them reads the file: the newest resolve, the evicted are unknown.
    const fresh = new ActionTokens(path, () => now, 60_000, 5);
    expect(await fresh.lookup(handed.at(-1)!)).toEqual({ kind: "ok", target: { action: "/model m11" } });
    expect(await fresh.lookup(handed[0]!)).toEqual({ kind: "unknown" });

    // Past their lifetime they are dropped at the next write.
    now += 60_001;
    expect((await fresh.lookup(handed.at(-1)!)).kind).toBe("expired");
    const late = tokens.tokenFor({ action: "/model late" });
    await tokens.flush();
    expect(await stored()).toEqual([late]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("is bounded in the process too: a token gone from the file is gone for the process that wrote it", async () => {
    // Every `/model nosuch@<anything>` hands out new suggestion tokens, so distinct tokens are unbounded.
    const path = join(fx.dir, "memory", "action-tokens.json");
    let now = 1_000_000;
    const tokens = new ActionTokens(path, () => now, 60_000, 5);
    const handed: string[] = [];
    for (let i = 0; i < 40; i++) {
      now += 1;
      handed.push(tokens.tokenFor({ action: `/model nosuch@typo${i}` }));
      await tokens.flush();
    }
    expect(await tokens.lookup(handed[0]!)).toEqual({ kind: "unknown" });
    expect(await tokens.lookup(handed[34]!)).toEqual({ kind: "unknown" });
    for (const token of handed.slice(-5)) expect((await tokens.lookup(token)).kind).toBe("ok");
    // Handed out but not yet written: still known to this process.
    const unsaved = Array.from({ length: 8 }, (_, i) => tokens.tokenFor({ action: `/model unsaved${i}` }));
    for (const token of unsaved) expect((await tokens.lookup(token)).kind).toBe("ok");
    await tokens.flush();
  });
});

describe("pressing a token", () => {
  it("after it expired answers with a notice and changes nothing", async () => {
    let now = Date.UTC(2026, 0, 1);
    const router = composeRouter({ services: fx.services, onPlainMessage: echoHandler, now: () => now });
    const send = (text: string, where: Partial<IncomingMessage>) =>
      router.handle({
        channel: "console",
        chatId: "x",
        chatType: "dm",
        senderId: "x",
        text,
        addressed: true,
        ...where,
      });
    await send("/model haiku", telegramDm("1"));
    const before = await fx.pins(OWNER_DM);
    expect(before.model).toBe("anthropic/claude-haiku-4-5");
    const [picker] = await send("/model", telegramDm("1"));
    const opus = option(picker, 0, "opus");
    const work = option(picker, 1, "anthropic:work");

    now += TOKEN_TTL_MS + 1;
    for (const token of [opus, work]) {
      expect(await send(token, press(telegramDm("1")))).toEqual([
        { text: "This menu expired — send /model again.", notice: true },
      ]);
    }
    expect(await fx.pins(OWNER_DM)).toEqual(before);
    // A token never handed out reads the same, without naming a command it cannot know.
    expect(await send("~AAAAAAAAAAAAAA", press(telegramDm("1")))).toEqual([
      { text: "This menu expired — send the command again.", notice: true },
    ]);

    // Sending /model again hands out the same token, alive again.
    const [renewed] = await send("/model", telegramDm("1"));
    expect(option(renewed, 0, "opus")).toBe(opus);
    const [pinned] = await send(opus, press(telegramDm("1")));
    expect(pinned?.notice).toBeUndefined();
    expect((await fx.pins(OWNER_DM)).model).toBe("anthropic/claude-opus-4-5");
  });

  it("runs as whoever pressed it: a member may not pin the owner's credential, a stranger is refused, the owner may", async () => {
    const [picker] = await fx.send("/model", inGroup("1"));
    const work = option(picker, 1, "anthropic:work");
    const before = await fx.pins(GROUP);

    const [member, ...more] = await fx.send(work, press(inGroup("2")));
    expect(more).toEqual([]);
    expect(member?.notice).toBe(true);
    expect(member?.text).toContain("Only the bot's owners can pin a credential");
    expect(await fx.pins(GROUP)).toEqual(before);

    const [stranger, ...rest] = await fx.send(work, press(inGroup("9")));
    expect(rest).toEqual([]);
    expect(stranger?.notice).toBe(true);
    expect(stranger?.text).toContain("Your Telegram user id is `9`");
    expect(await fx.pins(GROUP)).toEqual(before);
    // The same stranger pressing again (within the hour the audit stays quiet) is still answered.
    expect((await fx.send(work, press(inGroup("9"))))[0]?.notice).toBe(true);

    const [owner] = await fx.send(work, press(inGroup("1")));
    expect(owner?.notice).toBeUndefined();
    expect(owner?.edit).toBe(true);
    expect(await fx.pins(GROUP)).toEqual({ ...before, profile: "anthropic:work" });
  });

  it("still works after a restart", async () => {
    const [picker] = await fx.send("/model", telegramDm("1"));
    const opus = option(picker, 0, "opus");
    const path = actionTokensPath(fx.stateDir, fx.services.agentId);
    expect(await new ActionTokens(path).lookup(opus)).toEqual({
      kind: "ok",
      target: { action: "/model opus" },
    });

    await fx.restart();
    const [pinned] = await fx.send(opus, press(telegramDm("1")));
    expect(pinned?.notice).toBeUndefined();
    expect(pinned?.text).toContain("This chat now uses **opus**");
    expect((await fx.pins(OWNER_DM)).model).toBe("anthropic/claude-opus-4-5");
  });

  it("› shows the next page with a ‹ back, leaving the other menu where it was", async () => {
    const [first] = await fx.send("/model", telegramDm("1"));
    const models = first!.menus![0]!;
    expect(models.page).toMatchObject({ index: 0 });
    expect(models.page!.count).toBeGreaterThan(2);
    expect(models.page!.previous).toBeUndefined();
    const profiles = first!.menus![1]!;

    const [second] = await fx.send(models.page!.next!, press(telegramDm("1")));
    expect(second?.edit).toBe(true);
    const page2 = second!.menus![0]!;
    expect(page2.page).toMatchObject({ index: 1, count: models.page!.count });
    expect(page2.page!.previous).toBeDefined();
    expect(labels(page2)).not.toEqual(labels(models));
    expect(labels(page2).some((l) => labels(models).includes(l))).toBe(false);
    expect(second!.menus![1]).toEqual(profiles);

    const [back] = await fx.send(page2.page!.previous!, press(telegramDm("1")));
    expect(back!.menus![0]).toEqual(models);
    // Paging changes no pin.
    expect(await fx.pins(OWNER_DM)).toEqual({ model: undefined, profile: undefined });
  });
});

function labels(menu: ChoiceMenu): string[] {
  return menu.options.map((o) => o.label);
}
