/**
 * Issue 12: hostile chat input through the real router (test/router/chat-fixture.ts: config, stores,
 * session files and audit log in a temp dir). Over 10,000 messages — control characters, NULs,
 * prototype keys, long lines, markup, and pieces of the /model grammar — no reply says "Something
 * went wrong", none carries a control character (in text, buttons or menus), and none shows any piece
 * of a stored or environment secret. Owners and non-owners both type.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { IncomingMessage, Reply } from "../../src/router/types.js";
import { apiKeyFor, type ChatFixture, chatFixture, telegramDm } from "../router/chat-fixture.js";

/** What must never reach a screen: C0 controls but line break and tab, DEL, C1, bidi overrides and isolates. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const PUBLIC = /^(sk-ant-(oat|api|ort)\d\d-|sk-or-v1-|sk-proj-|sk-)/;

const control = fc.constantFrom(
  "\u0000",
  "\u0007",
  "\u0008",
  "\u001b",
  "\u001b[2J",
  "\u001b]0;pwned\u0007",
  "\u009b31m",
  "\u007f",
  "\r",
  "\t",
  "\u2028",
  "\u202e",
  "\u2066",
  "\u200b",
  "\ufeff",
);
const prototypeKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "hasOwnProperty",
  "toString",
  "valueOf",
  "prototype",
  "__defineGetter__",
  "isPrototypeOf",
);
const markup = fc.constantFrom(
  "**",
  "`",
  "``",
  "\\",
  "*",
  "<b>",
  "</b>",
  "&amp;",
  "[x](http://e)",
  "@everyone",
  "<@1>",
  "||",
  "_",
);
const grammar = fc.constantFrom(
  "sonnet",
  "opus",
  "anthropic/",
  "anthropic/claude-opus-4-5",
  "openai/gpt-5",
  "openrouter/",
  "@",
  "anthropic:work",
  "anthropic:",
  ":",
  "/",
  " ",
  "list",
  "status",
  "reset",
  "help",
  "default",
  "work",
);
const piece = fc.oneof(
  { weight: 3, arbitrary: grammar },
  { weight: 2, arbitrary: control },
  { weight: 2, arbitrary: prototypeKey },
  { weight: 1, arbitrary: markup },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
);
const words = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(""));
const longLine = fc
  .tuple(fc.oneof(piece, fc.constant("x")), fc.integer({ min: 500, max: 6000 }))
  .map(([p, n]) => (p || "y").repeat(Math.ceil(n / Math.max(1, p.length))));

const message = fc.oneof(
  { weight: 5, arbitrary: words.map((w) => `/model ${w}`) },
  { weight: 2, arbitrary: fc.tuple(words, words).map(([a, b]) => `/model ${a}@${b}`) },
  { weight: 1, arbitrary: fc.tuple(words, words).map(([a, b]) => `/model ${a} @${b}`) },
  { weight: 1, arbitrary: words.map((w) => `/${w}`) },
  { weight: 1, arbitrary: words.map((w) => `/help ${w}`) },
  { weight: 1, arbitrary: words.map((w) => `/new ${w}`) },
  { weight: 1, arbitrary: words.map((w) => `/whoami ${w}`) },
  { weight: 1, arbitrary: words },
  { weight: 1, arbitrary: longLine.map((l) => `/model ${l}`) },
  { weight: 1, arbitrary: fc.tuple(words, words).map(([a, b]) => `/model ${a}\n${b}`) },
);
const sender = fc.constantFrom<Partial<IncomingMessage>>(
  {},
  telegramDm("1"),
  telegramDm("2"),
  telegramDm("3"),
);

let fx: ChatFixture;
beforeAll(async () => {
  fx = await chatFixture({
    config: {
      access: { owners: ["console:local", "telegram:1"] },
      channels: { telegram: { allowFrom: ["2"] } },
    },
    env: { OPENAI_API_KEY: "sk-proj-ENVenvQwErTyENVenvZxCvBnENVenvAsDf" },
  });
  await fx.seedProfile("anthropic:work", apiKeyFor("anthropic"));
  await fx.seedProfile("anthropic:default", apiKeyFor("anthropic"));
  await fx.seedProfile("openrouter:default", apiKeyFor("openrouter"));
});
afterAll(() => fx.cleanup());

function expectNoPieceOfASecret(text: string): void {
  for (const secret of fx.secrets) {
    const start = PUBLIC.exec(secret)?.[0].length ?? 0;
    for (let i = start; i + 4 <= secret.length; i++) {
      const fragment = secret.slice(i, i + 4);
      if (/^\d+$/.test(fragment)) continue;
      expect(
        text.includes(fragment),
        `a piece of a secret (${fragment}) in ${JSON.stringify(text.slice(0, 200))}`,
      ).toBe(false);
    }
  }
}

function shownText(reply: Reply): string {
  const labels = [
    ...(reply.buttons ?? []).flat().map((b) => b.label),
    ...(reply.menus ?? []).flatMap((m) => [
      m.placeholder,
      ...m.options.flatMap((o) => [o.label, o.description ?? ""]),
    ]),
  ];
  return [reply.text, ...labels].join("\n");
}

/** Messages per property run, sent at once from as many chats (sessions write in parallel). */
const BATCH = 20;

it("10,000 hostile messages: no 'Something went wrong', no control character echoed, no piece of a secret", async () => {
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(message, sender), { minLength: BATCH, maxLength: BATCH }),
      async (batch) => {
        const answers = await Promise.all(
          batch.map(([text, from], i) =>
            // Console messages each in a chat of their own; Telegram senders keep theirs.
            fx
              .send(text, Object.keys(from).length === 0 ? { chatId: `chat-${i}` } : from)
              .then((replies) => ({ text, replies })),
          ),
        );
        sent += answers.length;
        for (const { text, replies } of answers) {
          for (const reply of replies) {
            const shown = shownText(reply);
            expect(shown).not.toContain("Something went wrong");
            expect(shown, JSON.stringify(text.slice(0, 80))).not.toMatch(RAW_CONTROL);
            expectNoPieceOfASecret(shown);
          }
        }
      },
    ),
    { numRuns: 10_000 / BATCH },
  );
  expect(sent).toBeGreaterThanOrEqual(10_000);
}, 600_000);
