/**
 * Whatever a command or the model answers, every reply an adapter receives fits its platform
 * (`PLATFORM_LIMITS`): `fitReplies` over arbitrary replies, and the real router's `/model` answers
 * for arbitrary catalogs and credential stores, on Telegram, Discord and the console.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActionTokens } from "../../src/router/action-tokens.js";
import { fitReplies } from "../../src/router/fit-replies.js";
import { PLATFORM_LIMITS } from "../../src/router/platform-limits.js";
import type { Router } from "../../src/router/router.js";
import type { Button, Channel, ChoiceOption, IncomingMessage, Reply } from "../../src/router/types.js";
import { actionsOf, expectAllFit } from "../support/platform-fit.js";
import { fakeSecret } from "../support/secrets.js";
import { chatFixture } from "./chat-fixture.js";

const CHANNELS: Channel[] = ["telegram", "discord", "console"];

/** Awkward text: multi-byte, astral, combining, RTL, zero-width, whitespace. */
const oddPiece = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  fc.constantFrom(
    "🤖",
    "👩‍👩‍👧",
    "日本語",
    "مرحبا",
    "e\u0301",
    "\u200B",
    "\uFEFF",
    " ",
    "\n",
    "\n\n",
    "\t",
    "`",
    "*",
    "\\",
    "@",
  ),
);

/** A run of one piece: `🤖🤖🤖…`, a long word, a long stretch of blanks or of line breaks. */
const run = fc
  .tuple(
    fc.oneof(oddPiece, fc.constantFrom(" ", "\n", "x", "\u3000", " \n")),
    fc.integer({ min: 1, max: 6000 }),
  )
  .map(([piece, n]) => piece.repeat(Math.ceil(n / piece.length)));

/** Short or long (up to ~30k UTF-16 units): arbitrary strings, or runs one after another. */
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.array(run, { minLength: 1, maxLength: 5 }).map((runs) => runs.join("")),
);

const label = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
  fc.tuple(oddPiece, fc.integer({ min: 1, max: 60 })).map(([p, n]) => p.repeat(n)),
);

/** Commands as typed, often longer than any platform carries, some in multi-byte characters. */
const action = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  fc.tuple(oddPiece, fc.integer({ min: 1, max: 120 })).map(([p, n]) => `/model ${p.repeat(n)}`),
);

const option: fc.Arbitrary<ChoiceOption> = fc.record(
  { label, action, description: label, selected: fc.boolean() },
  { requiredKeys: ["label", "action"] },
);

/** Up to 600 options: a few generated ones, repeated with distinct actions (generating 600 is slow). */
const options = fc.oneof(
  fc.array(option, { maxLength: 30 }),
  fc
    .tuple(fc.array(option, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 600 }))
    .map(([pool, n]) =>
      Array.from({ length: n }, (_, i) => {
        const o = pool[i % pool.length]!;
        return { ...o, action: `${o.action} ${i}`, selected: o.selected && i < pool.length };
      }),
    ),
);

const button: fc.Arbitrary<Button> = fc.record({ label, action });

/** Up to 120 buttons in rows of odd widths. */
const buttonRows = fc.oneof(
  fc.array(fc.array(button, { minLength: 1, maxLength: 9 }), { maxLength: 6 }),
  fc
    .tuple(
      fc.array(button, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 41 }), { minLength: 1, maxLength: 12 }),
    )
    .map(([pool, widths]) => {
      let n = 0;
      const rows: Button[][] = [];
      for (const width of widths) {
        const take = Math.min(width, 120 - n);
        if (take <= 0) break;
        rows.push(
          Array.from({ length: take }, (_, i) => {
            const b = pool[(n + i) % pool.length]!;
            return { ...b, action: `${b.action}#${n + i}` };
          }),
        );
        n += take;
      }
      return rows;
    }),
);

const reply: fc.Arbitrary<Reply> = fc.record(
  {
    text,
    format: fc.constantFrom("markup", "plain") as fc.Arbitrary<"markup" | "plain">,
    buttons: buttonRows,
    menus: fc.array(fc.record({ placeholder: label, options }), { maxLength: 3 }),
    ephemeral: fc.boolean(),
    edit: fc.boolean(),
    notice: fc.boolean(),
  },
  { requiredKeys: ["text"] },
);

/** Which page each menu is to show, as a pressed ‹ › asks (possibly out of range). */
const pages = fc.option(fc.dictionary(fc.constantFrom("0", "1", "2"), fc.integer({ min: 0, max: 80 })), {
  nil: undefined,
});

describe("fitReplies keeps every reply within its platform's limits", () => {
  let dir: string;
  let tokens: ActionTokens;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tessera-fit-"));
    tokens = new ActionTokens(join(dir, "action-tokens.json"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const channel of CHANNELS) {
    it(`on ${channel}`, async () => {
      const limits = PLATFORM_LIMITS[channel];
      fc.assert(
        fc.property(
          fc.array(reply, { minLength: 1, maxLength: 3 }),
          pages,
          fc.boolean(),
          (replies, asked, paged) => {
            const fitted = fitReplies(replies, limits, {
              encode: (target) => tokens.tokenFor(target),
              ...(paged ? { source: "/model", pages: asked } : {}),
            });
            expect(fitted.length).toBeGreaterThanOrEqual(replies.length);
            expectAllFit(fitted, limits, channel);
            // Where actions travel as tokens, each one is a token this store hands back.
            if (Number.isFinite(limits.actionBytes))
              for (const r of fitted)
                for (const a of actionsOf(r)) expect(ActionTokens.isToken(a)).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
      await tokens.flush();
    });
  }
});

/** Profile and model names as people type them: plain, long, or in other scripts. */
const name = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
  fc
    .tuple(fc.constantFrom("日本語", "🤖", "é", "ü-", "work", "x"), fc.integer({ min: 1, max: 50 }))
    .map(([p, n]) => p.repeat(n)),
);

/** Up to `max` distinct names built from a few generated ones (generating 500 names is slow). */
function manyNames(max: number): fc.Arbitrary<string[]> {
  return fc
    .tuple(fc.array(name, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max }))
    .map(([pool, n]) =>
      Array.from({ length: n }, (_, i) => `${pool[i % pool.length]}${i >= pool.length ? i : ""}`),
    )
    .map((names) => [...new Set(names)]);
}

const catalog = fc.record({
  models: fc.oneof(manyNames(100), fc.constant<string[]>(["nosuchmodel1", "nosuchmodle", "gpt-x"])),
  profiles: manyNames(500),
  /** Whose profiles: the custom provider's (its model the default) or Anthropic's. */
  custom: fc.boolean(),
  aliases: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), fc.nat(), { maxKeys: 12 }),
});

/** How many › presses the property made (so a run that never paged cannot pass unnoticed). */
let pressed = 0;

describe("the router's /model answers fit every platform", () => {
  it("for any catalog and credential store, owner on Telegram, Discord and the console", async () => {
    await fc.assert(
      fc.asyncProperty(catalog, async ({ models, profiles, custom, aliases }) => {
        const provider = custom && models.length > 0 ? "acme" : "anthropic";
        const refs = models.map((m) => `acme/${m}`);
        const fx = await chatFixture({
          config: {
            access: { owners: ["telegram:1", "discord:500"] },
            models: {
              default: provider === "acme" ? refs[0] : "anthropic/claude-sonnet-4-5",
              providers: {
                acme: { baseUrl: "http://127.0.0.1:9/v1", api: "openai-chat", models },
              },
              aliases: Object.fromEntries(
                Object.entries(aliases).map(([alias, n]) => [
                  alias,
                  refs.length > 0 ? refs[n % refs.length]! : "anthropic/claude-opus-4-5",
                ]),
              ),
            },
          },
        });
        try {
          // One locked write for the whole store: 500 upserts would make the property slow.
          await fx.services.store.profilesFile.update((data) => {
            for (const profile of profiles) {
              data.profiles[`${provider}:${profile}`] = {
                type: "api_key",
                provider,
                key: fakeSecret("sk-"),
                updatedAt: 1,
              };
            }
          });
          for (const channel of CHANNELS) await checkChannel(fx.router, channel);
        } finally {
          await fx.cleanup();
        }
      }),
      {
        numRuns: 8,
        // The largest store and catalog (500 profiles, 100 models) and a did-you-mean with suggestions always run.
        examples: [
          [
            {
              models: Array.from(
                { length: 100 },
                (_, i) => `${"🤖".repeat(i % 7)}model-${i}-${"x".repeat(i)}`,
              ),
              profiles: Array.from({ length: 500 }, (_, i) => `${i % 2 ? "日本語".repeat(20) : "work"}${i}`),
              custom: true,
              aliases: { fast: 3, smart: 99 },
            },
          ],
          [
            {
              models: ["nosuchmodel1", "nosuchmodle", "nosuchmode"],
              profiles: ["x", "xx"],
              custom: true,
              aliases: {},
            },
          ],
        ],
      },
    );
    expect(pressed).toBeGreaterThan(0);
  });
});

const OWNER: Record<Channel, Partial<IncomingMessage>> = {
  telegram: { channel: "telegram", chatId: "1", chatType: "dm", senderId: "1", botUsername: "TesseraBot" },
  discord: { channel: "discord", chatId: "d500", chatType: "dm", senderId: "500" },
  console: { channel: "console", chatId: "local", chatType: "dm", senderId: "local" },
};

/** The owner's `/model` answers on `channel`, and one › press on each paged menu of the picker. */
async function checkChannel(router: Router, channel: Channel): Promise<void> {
  const limits = PLATFORM_LIMITS[channel];
  const send = (text: string, source: "text" | "button" = "text") =>
    router.handle({ ...OWNER[channel], text, addressed: true, source } as IncomingMessage);
  for (const command of ["/model", "/model list", "/model status", "/model nosuchmodel@x"]) {
    const replies = await send(command);
    expect(replies.length, `${channel} ${command}`).toBeGreaterThan(0);
    expectAllFit(replies, limits, `${channel} ${command}`);
  }
  // Walk each paged menu of the picker one page on, as a person pressing › does.
  const [picker] = (await send("/model")).slice(-1);
  for (const [i, menu] of (picker?.menus ?? []).entries()) {
    if (!menu.page?.next) continue;
    pressed++;
    const next = await send(menu.page.next, "button");
    expectAllFit(next, limits, `${channel} › on menu ${i}`);
    expect(next.at(-1)?.menus?.[i]?.page?.index, `${channel} › on menu ${i}`).toBe(menu.page.index + 1);
  }
}
