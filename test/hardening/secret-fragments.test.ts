/**
 * Issue 12, item 3: a provider that echoes a key in an error — whole, its first 20 or last 8–10
 * characters, or OpenAI's `sk-proj-****…ebbx` — must not get any piece of it into chat, notices,
 * `/model status` or the needs-reauth reason stored in auth-state.json. Chat used to show the masked
 * tail (`…6EiU #31656f`) of a full echo and every partial echo verbatim.
 */
import { readFile } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fingerprint, redactSecrets } from "../../src/auth/mask.js";
import { authStatePath } from "../../src/config/paths.js";
import { chatTurnHandler } from "../../src/runtime/chat-turn.js";
import {
  type AnthropicFake,
  anthropicReplies,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import { type ChatFixture, chatFixture } from "../router/chat-fixture.js";
import { fakeSecret } from "../support/secrets.js";

const PUBLIC = /^(sk-ant-(oat|api|ort)\d\d-|sk-or-v1-|sk-proj-|sk-)/;

/** Fails when `text` holds any 4-character piece of `secret` past its public prefix (digits-only pieces aside). */
function expectNoFragment(text: string, secret: string): void {
  const start = PUBLIC.exec(secret)?.[0].length ?? 0;
  for (let i = start; i + 4 <= secret.length; i++) {
    const piece = secret.slice(i, i + 4);
    if (/^\d+$/.test(piece)) continue;
    if (text.includes(piece)) {
      const at = text.indexOf(piece);
      expect.fail(
        `piece ${i}..${i + 4} of the secret shown near ${JSON.stringify(text.slice(at - 20, at + 24))}`,
      );
    }
  }
}

/** The ways providers echo a key back. */
function echoesOf(key: string): string[] {
  return [
    `invalid x-api-key ${key}`,
    `Incorrect API key provided: ${key.slice(0, 20)}. You can find your API key at https://example.test`,
    `key ending in ${key.slice(-8)} was revoked`,
    `key ending in ${key.slice(-10)} was revoked`,
    `Incorrect API key provided: sk-proj-${"*".repeat(40)}${key.slice(-4)}.`,
    `the key ${key.slice(0, 16)}...${key.slice(-6)} is disabled`,
    `bad key "${key.slice(20, 30)}"`,
  ];
}

describe("redactSecrets removes every piece of a known secret", () => {
  it.each([
    ["an Anthropic key", fakeSecret("sk-ant-api03-", 108)],
    ["an OpenAI key", fakeSecret("sk-proj-", 164)],
    ["a key of no known shape", fakeSecret("", 40)],
  ])("%s echoed in part or whole", (_name, key) => {
    for (const echo of echoesOf(key)) {
      const out = redactSecrets(echo, [key]);
      expectNoFragment(out, key);
      expect(out).not.toMatch(/…\S{4} #/);
    }
    // A whole echo names the credential by fingerprint, so a person can still tell which one.
    expect(redactSecrets(`bad ${key}`, [key])).toBe(`bad [secret #${fingerprint(key)}]`);
  });

  it("removes key shapes it was not told about, masked echoes included", () => {
    const key = fakeSecret("sk-proj-", 80);
    const out = redactSecrets(`Incorrect API key provided: sk-proj-****************${key.slice(-4)}`);
    expect(out).toBe("Incorrect API key provided: [redacted key]");
    expect(redactSecrets("a setup-token starts sk-ant-oat01- and is long")).toBe(
      "a setup-token starts sk-ant-oat01- and is long",
    );
  });
});

describe("a provider echoing the key: chat, status and auth-state show no piece of it", () => {
  let anthropic: AnthropicFake;
  let fx: ChatFixture;
  const key = fakeSecret("sk-ant-api03-", 108);
  beforeAll(async () => {
    process.env.TESSERA_PROVIDER_RETRIES = "0";
    anthropic = await startAnthropicFake();
  });
  afterAll(() => anthropic.close());
  beforeEach(async () => {
    anthropic.resetScript();
    fx = await chatFixture({
      config: {
        access: { owners: ["console:local"] },
        models: { providers: { anthropic: { baseUrl: anthropic.url } } },
        auth: { claudeCode: { sync: false } },
      },
      onPlainMessage: (args) => chatTurnHandler({ services: fx.services })(args),
    });
    await fx.seedProfile("anthropic:work", { type: "api_key", provider: "anthropic", key });
  });
  afterEach(() => fx.cleanup());

  it.each(echoesOf(key).map((e, i) => [i, e]))("echo %i", async (_i, echo) => {
    anthropic.onCredential(key, anthropicReplies.error(401, "authentication_error", echo as string));
    const answer = await fx.say("hello");
    expect(answer).toMatch(/No answer/);
    expectNoFragment(answer, key);
    const state = await readFile(authStatePath(fx.stateDir, "main"), "utf8");
    expect(state).toContain("needsReauth");
    expectNoFragment(state, key);
    expectNoFragment(await fx.say("/model status"), key);
    expectNoFragment(await fx.say("/model"), key);
  });
});
