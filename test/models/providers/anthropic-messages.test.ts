import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/models/provider-error.js";
import { anthropicMessagesClient } from "../../../src/models/providers/anthropic-messages.js";
import type { ChatRequest } from "../../../src/models/providers/chat-types.js";
import {
  type AnthropicFake,
  anthropicReplies,
  credentialOf,
  startAnthropicFake,
} from "../../fakes/anthropic-messages-server.js";
import { lastUserText } from "../../fakes/chat-fake.js";
import { expectNoSecretIn, fakeSecret } from "../../support/secrets.js";

let fake: AnthropicFake;
const apiKey = fakeSecret("sk-ant-api03-");
const token = fakeSecret("sk-ant-oat01-", 100);
const request: ChatRequest = {
  model: "claude-sonnet-4-5",
  messages: [{ role: "user", content: "hello there" }],
  maxTokens: 256,
  stream: false,
};

beforeAll(async () => {
  process.env.TESSERA_PROVIDER_RETRIES = "1";
  fake = await startAnthropicFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.resetScript();
  fake.setReplyText((req) => `echo: ${lastUserText(req.body)}`);
});

const client = () => anthropicMessagesClient({ provider: "anthropic", baseUrl: fake.url, timeoutMs: 2_000 });

async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("anthropic messages client", () => {
  it("sends an api key as x-api-key with the API version and no beta header", async () => {
    const answer = await client().send(request, { kind: "api_key", secret: apiKey });
    expect(answer.text).toBe("echo: hello there");
    const req = fake.requests[0]!;
    expect(req.path).toBe("/v1/messages");
    expect(credentialOf(req)).toEqual({ kind: "x-api-key", value: apiKey });
    expect(req.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req.headers["anthropic-beta"]).toBeUndefined();
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 256 });
  });

  it("sends tokens as Bearer with the oauth beta header", async () => {
    await client().send(request, { kind: "bearer", secret: token });
    const req = fake.requests[0]!;
    expect(credentialOf(req)).toEqual({ kind: "bearer", value: token, beta: "oauth-2025-04-20" });
    expect(req.headers["x-api-key"]).toBeUndefined();
  });

  it("streams text deltas over SSE and returns the whole answer", async () => {
    fake.setReplyText("one two three four");
    const deltas: string[] = [];
    const answer = await client().send(
      { ...request, stream: true, onDelta: (t) => deltas.push(t) },
      { kind: "api_key", secret: apiKey },
    );
    expect(answer.text).toBe("one two three four");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(answer.text);
    expect(answer.stopReason).toBe("end_turn");
  });

  it("classifies 429 as rate_limit with retry-after in ms", async () => {
    fake.nextReply(anthropicReplies.rateLimited(42));
    const err = await errorOf(client().send(request, { kind: "api_key", secret: apiKey }));
    expect(err.kind).toBe("rate_limit");
    expect(err.retryAfterMs).toBe(42_000);
    expect(err.countsAgainstCredential).toBe(true);
  });

  it("classifies 401 as auth, credit balance as billing, 402 as billing", async () => {
    fake.nextReply(anthropicReplies.invalidApiKey());
    expect((await errorOf(client().send(request, { kind: "api_key", secret: apiKey }))).kind).toBe("auth");
    fake.nextReply(anthropicReplies.creditBalanceTooLow());
    expect((await errorOf(client().send(request, { kind: "api_key", secret: apiKey }))).kind).toBe("billing");
    fake.nextReply(anthropicReplies.paymentRequired());
    expect((await errorOf(client().send(request, { kind: "api_key", secret: apiKey }))).kind).toBe("billing");
  });

  it("turns the Claude-Code-only refusal into plain advice to use an API key", async () => {
    fake.nextReply(anthropicReplies.claudeCodeOnly());
    const err = await errorOf(client().send(request, { kind: "bearer", secret: token }));
    expect(err.kind).toBe("claude_code_only");
    expect(err.hint).toMatch(/Anthropic API key/);
    expect(err.hint).toMatch(/paste-api-key --provider anthropic/);
  });

  it("retries an overloaded answer and succeeds when the provider recovers", async () => {
    fake.nextReply(anthropicReplies.overloaded());
    const answer = await client().send(request, { kind: "api_key", secret: apiKey });
    expect(answer.text).toBe("echo: hello there");
    expect(fake.requests).toHaveLength(2);
  });

  it("reports a persistent overload as overloaded, not as a credential failure", async () => {
    fake.nextReply(anthropicReplies.overloaded(), anthropicReplies.overloaded());
    const err = await errorOf(client().send(request, { kind: "api_key", secret: apiKey }));
    expect(err.kind).toBe("overloaded");
    expect(err.countsAgainstCredential).toBe(false);
  });

  it("gives up on a hanging provider with a timeout error", async () => {
    fake.nextReply(anthropicReplies.hang());
    const quick = anthropicMessagesClient({ provider: "anthropic", baseUrl: fake.url, timeoutMs: 300 });
    const err = await errorOf(quick.send(request, { kind: "api_key", secret: apiKey }));
    expect(err.kind).toBe("timeout");
  });

  it("reports a 200 answer of the wrong shape as the provider's fault, not a credential failure", async () => {
    fake.nextReply({ kind: "json", status: 200, body: { hello: "proxy page" } });
    const err = await errorOf(client().send(request, { kind: "api_key", secret: apiKey }));
    expect(err.kind).toBe("server");
    expect(err.countsAgainstCredential).toBe(false);
    expect(err.message).toMatch(/unexpected Messages API payload/);
  });

  it("keeps the credential out of error messages even when the provider echoes it", async () => {
    fake.nextReply(anthropicReplies.error(401, "authentication_error", `invalid x-api-key ${apiKey}`));
    const err = await errorOf(client().send(request, { kind: "api_key", secret: apiKey }));
    expectNoSecretIn(`${err.message} ${err.hint}`, [apiKey]);
  });
});
