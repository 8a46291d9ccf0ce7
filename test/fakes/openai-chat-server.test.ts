import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type OpenAIFake, openaiReplies, startOpenAIFake } from "./openai-chat-server.js";
import { readJson, readSseEvents } from "./read-response.js";

interface ErrorBody {
  error: { type: string; code: string | number | null };
}

let fake: OpenAIFake;

beforeEach(async () => {
  fake = await startOpenAIFake({ basePath: "/api/v1" });
});

afterEach(async () => {
  await fake.close();
});

function callCompletions(key: string | undefined = "sk-or-test", extra: Record<string, unknown> = {}) {
  return fetch(`${fake.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({
      model: "openai/gpt-4o",
      messages: [{ role: "user", content: "hi you" }],
      ...extra,
    }),
  });
}

describe("openai chat fake", () => {
  it("answers a real-shaped completion under its base path and records the request", async () => {
    expect(fake.baseUrl).toBe(`${fake.url}/api/v1`);
    const response = await callCompletions();
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "openai/gpt-4o",
      choices: [{ index: 0, message: { role: "assistant", content: "echo: hi you" }, finish_reason: "stop" }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
    });
    expect(fake.requests[0]).toMatchObject({ path: "/api/v1/chat/completions" });
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-or-test");
  });

  it("streams chunks ending with [DONE], usage when asked", async () => {
    const response = await callCompletions(undefined, {
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readSseEvents(response);
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("echo: hi you");
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it("skips keep-alive comments in streams when enabled", async () => {
    const withComments = await startOpenAIFake({ keepAliveComment: true });
    try {
      const response = await fetch(`${withComments.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k" },
        body: JSON.stringify({ model: "m", messages: [], stream: true }),
      });
      const raw = await response.text();
      expect(raw.startsWith(": OPENROUTER PROCESSING\n\n")).toBe(true);
    } finally {
      await withComments.close();
    }
  });

  it("scripts 429 with retry-after, quota and credit errors per credential", async () => {
    fake.nextReply(openaiReplies.rateLimited(12));
    fake.onCredential("no-quota", openaiReplies.insufficientQuota());
    fake.onCredential("no-credit", openaiReplies.paymentRequired());

    const limited = await callCompletions();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("12");
    expect((await readJson<ErrorBody>(limited)).error.code).toBe("rate_limit_exceeded");

    const quota = await callCompletions("no-quota");
    expect(quota.status).toBe(429);
    expect((await readJson<ErrorBody>(quota)).error.type).toBe("insufficient_quota");
    expect((await callCompletions("no-credit")).status).toBe(402);
    expect((await callCompletions()).status).toBe(200);
  });

  it("rejects a request without a key, and unknown paths", async () => {
    const response = await callCompletions("");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect((await fetch(`${fake.url}/chat/completions`, { method: "POST" })).status).toBe(404);
  });

  it("stalls a stream after some text for idle-timeout tests", async () => {
    fake.nextReply(openaiReplies.stalledStream(1));
    const response = await callCompletions(undefined, { stream: true });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("chat.completion.chunk");
    const next = await Promise.race([
      reader.read(),
      new Promise((resolve) => setTimeout(() => resolve("stalled"), 200)),
    ]);
    expect(next).toBe("stalled");
    await reader.cancel();
  });
});
