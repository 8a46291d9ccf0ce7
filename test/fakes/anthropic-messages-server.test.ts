import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ANTHROPIC_OAUTH_BETA,
  type AnthropicFake,
  anthropicReplies,
  CLAUDE_CODE_ONLY_MESSAGE,
  CREDIT_BALANCE_TOO_LOW_MESSAGE,
  credentialOf,
  startAnthropicFake,
} from "./anthropic-messages-server.js";
import { readJson, readSseEvents } from "./read-response.js";

interface MessageBody {
  id: string;
  content: { text: string }[];
}

interface ErrorBody {
  error: { type: string; message: string };
}

type Auth = { apiKey: string } | { bearer: string; beta?: string };

let fake: AnthropicFake;

beforeEach(async () => {
  fake = await startAnthropicFake();
});

afterEach(async () => {
  await fake.close();
});

function authHeaders(auth: Auth): Record<string, string> {
  if ("apiKey" in auth) return { "x-api-key": auth.apiKey };
  return { authorization: `Bearer ${auth.bearer}`, "anthropic-beta": auth.beta ?? ANTHROPIC_OAUTH_BETA };
}

function callMessages(
  auth: Auth = { apiKey: "sk-ant-api03-test" },
  extra: Record<string, unknown> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${fake.baseUrl}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...authHeaders(auth) },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "hello there" }] },
      ],
      ...extra,
    }),
    ...init,
  });
}

describe("anthropic messages fake", () => {
  it("answers a real-shaped message echoing the last user text, and records the request", async () => {
    const response = await callMessages();
    expect(response.status).toBe(200);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const body = await readJson<MessageBody>(response);
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "echo: hello there" }],
      stop_reason: "end_turn",
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(body.id).toMatch(/^msg_/);

    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: "POST", path: "/v1/messages" });
    expect(req?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req?.body?.model).toBe("claude-sonnet-4-5");
    expect(credentialOf(req!)).toEqual({ kind: "x-api-key", value: "sk-ant-api03-test" });
  });

  it("uses the configured reply text", async () => {
    fake.setReplyText((req) => `model was ${String(req.body?.model)}`);
    const body = await readJson<MessageBody>(await callMessages());
    expect(body.content[0]?.text).toBe("model was claude-sonnet-4-5");
  });

  it("streams the real event sequence when asked", async () => {
    fake.setReplyText("one two three");
    const response = await callMessages(undefined, { stream: true });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readSseEvents(response);
    const names = events.map((e) => e.event).filter((name) => name !== "ping");
    expect(names).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data.every((d, i) => d.type === events[i]?.event)).toBe(true);
    const text = data
      .filter((d) => d.type === "content_block_delta")
      .map((d) => d.delta.text)
      .join("");
    expect(text).toBe("one two three");
    expect(data.find((d) => d.type === "message_delta")).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: expect.any(Number) },
    });
  });

  it("serves a scripted 429 with retry-after once, then answers normally", async () => {
    fake.nextReply(anthropicReplies.rateLimited(30));
    const limited = await callMessages();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    expect(await limited.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(fake.pendingReplies()).toBe(0);
    expect((await callMessages()).status).toBe(200);
  });

  it("scripts replies per credential, one-shot replies before standing rules", async () => {
    fake.onCredential("bad-key", anthropicReplies.invalidApiKey());
    fake.onCredential("cc-token", anthropicReplies.claudeCodeOnly());
    fake.nextReplyFor("broke-token", anthropicReplies.creditBalanceTooLow());

    expect((await callMessages({ apiKey: "good-key" })).status).toBe(200);
    const bad = await callMessages({ apiKey: "bad-key" });
    expect(bad.status).toBe(401);
    expect((await readJson<ErrorBody>(bad)).error.type).toBe("authentication_error");

    const claudeCode = await callMessages({ bearer: "cc-token" });
    expect(claudeCode.status).toBe(400);
    expect((await readJson<ErrorBody>(claudeCode)).error.message).toBe(CLAUDE_CODE_ONLY_MESSAGE);

    const broke = await callMessages({ bearer: "broke-token" });
    expect((await readJson<ErrorBody>(broke)).error.message).toBe(CREDIT_BALANCE_TOO_LOW_MESSAGE);
    expect((await callMessages({ bearer: "broke-token" })).status).toBe(200);

    fake.nextReplyFor("bad-key", anthropicReplies.overloaded());
    expect((await callMessages({ apiKey: "bad-key" })).status).toBe(529);
    expect(credentialOf(fake.requests.at(-1)!)).toEqual({ kind: "x-api-key", value: "bad-key" });
  });

  it("reads bearer credentials with their beta header", async () => {
    await callMessages({ bearer: "sk-ant-oat01-abc" });
    expect(credentialOf(fake.requests[0]!)).toEqual({
      kind: "bearer",
      value: "sk-ant-oat01-abc",
      beta: ANTHROPIC_OAUTH_BETA,
    });
  });

  it("rejects what the real API rejects", async () => {
    const noBeta = await callMessages({ bearer: "sk-ant-oat01-abc", beta: "other-beta" });
    expect(noBeta.status).toBe(401);
    const noVersion = await fetch(`${fake.baseUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k" },
      body: JSON.stringify({ model: "m", max_tokens: 1, messages: [] }),
    });
    expect(noVersion.status).toBe(400);
    expect((await callMessages(undefined, { max_tokens: undefined })).status).toBe(400);
    expect((await fetch(`${fake.baseUrl}/v1/other`, { method: "POST" })).status).toBe(404);
  });

  it("hangs until the client gives up, and still closes promptly", async () => {
    fake.nextReply(anthropicReplies.hang());
    const started = Date.now();
    await expect(callMessages(undefined, {}, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
    fake.nextReply(anthropicReplies.hang());
    const pending = callMessages().catch((error: unknown) => error);
    await fake.waitForRequests(2);
    await fake.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it("breaks a stream with an error event mid-way", async () => {
    fake.setReplyText("a b c d");
    fake.nextReply(anthropicReplies.streamError(2));
    const events = await readSseEvents(await callMessages(undefined, { stream: true }));
    expect(events.filter((e) => e.event === "content_block_delta")).toHaveLength(2);
    expect(events.at(-1)?.event).toBe("error");
    expect(JSON.parse(events.at(-1)!.data).error.type).toBe("overloaded_error");
  });
});
