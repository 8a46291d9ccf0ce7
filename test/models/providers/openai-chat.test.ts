import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/models/provider-error.js";
import { openaiChatClient } from "../../../src/models/providers/openai-chat.js";
import { lastUserText } from "../../fakes/chat-fake.js";
import { type OpenAIFake, openaiReplies, startOpenAIFake } from "../../fakes/openai-chat-server.js";
import { fakeSecret } from "../../support/secrets.js";

let fake: OpenAIFake;
const key = fakeSecret("sk-or-v1-");

beforeAll(async () => {
  process.env.TESSERA_PROVIDER_RETRIES = "1";
  fake = await startOpenAIFake({ basePath: "/api/v1", keepAliveComment: true });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.resetScript();
  fake.setReplyText((req) => `echo: ${lastUserText(req.body)}`);
});

const client = () =>
  openaiChatClient({ provider: "openrouter", baseUrl: `${fake.url}/api/v1`, timeoutMs: 2_000 });
const request = {
  model: "anthropic/claude-sonnet-4.5",
  messages: [{ role: "user" as const, content: "hi" }],
  system: "be brief",
  maxTokens: 100,
  stream: false,
};

describe("openai-compatible chat client", () => {
  it("posts to {baseUrl}/chat/completions with a Bearer key and the system prompt first", async () => {
    const answer = await client().send(request, { kind: "api_key", secret: key });
    expect(answer.text).toBe("echo: hi");
    const req = fake.requests[0]!;
    expect(req.path).toBe("/api/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${key}`);
    expect(req.body?.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
    ]);
  });

  it("streams chunks, skipping keep-alive comments, until [DONE]", async () => {
    fake.setReplyText("alpha beta gamma");
    const deltas: string[] = [];
    const answer = await client().send(
      { ...request, stream: true, onDelta: (d) => deltas.push(d) },
      { kind: "api_key", secret: key },
    );
    expect(answer.text).toBe("alpha beta gamma");
    expect(deltas.join("")).toBe("alpha beta gamma");
  });

  it("classifies 429 with retry-after, quota exhaustion as billing, 401 as auth", async () => {
    fake.nextReply(openaiReplies.rateLimited(7));
    let err = (await client()
      .send(request, { kind: "api_key", secret: key })
      .catch((e) => e)) as ProviderError;
    expect([err.kind, err.retryAfterMs]).toEqual(["rate_limit", 7000]);
    fake.nextReply(openaiReplies.insufficientQuota());
    err = (await client()
      .send(request, { kind: "api_key", secret: key })
      .catch((e) => e)) as ProviderError;
    expect(err.kind).toBe("billing");
    fake.nextReply(openaiReplies.invalidApiKey());
    err = (await client()
      .send(request, { kind: "api_key", secret: key })
      .catch((e) => e)) as ProviderError;
    expect(err.kind).toBe("auth");
  });

  it("reports a stream that breaks off as a network error, not a credential failure", async () => {
    fake.nextReply(openaiReplies.streamError(2, "upstream went away"));
    const err = (await client()
      .send({ ...request, stream: true }, { kind: "api_key", secret: key })
      .catch((e) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.countsAgainstCredential).toBe(false);
    expect(err.message).toMatch(/upstream went away/);
  });
});
