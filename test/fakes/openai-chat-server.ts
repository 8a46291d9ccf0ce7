/**
 * A local stand-in for an OpenAI-compatible chat completions endpoint (`POST {baseUrl}/chat/completions`),
 * the wire format Tessera uses for `openai`, `openrouter` and custom providers.
 *
 * Real-shaped JSON and SSE answers, the real API's refusal of malformed requests, and scriptable
 * failures (401, 429 with `retry-after`, quota and credit errors, 5xx, hangs, broken streams) so the
 * resolver's failover can be tested end to end against a socket.
 */
import {
  type ChatAnswer,
  type ChatFake,
  type ChatFakeOptions,
  type ChatStream,
  startChatFake,
} from "./chat-fake.js";
import { bearerTokenOf, commonReplies, type FakeReply, type RecordedRequest } from "./http-fake.js";

/** Options for `startOpenAIFake`; `replyText` and `streamEventDelayMs` as for every chat fake. */
export interface OpenAIFakeOptions extends ChatFakeOptions {
  /**
   * Path prefix of the base URL, e.g. `/v1` (OpenAI) or `/api/v1` (OpenRouter). Default "":
   * clients then call `http://127.0.0.1:PORT/chat/completions`.
   */
  basePath?: string;
  /**
   * Reject what the real API rejects before any script runs: no bearer token (401), a body that is
   * not JSON or lacks `model` or `messages` (400). Default true.
   */
  strict?: boolean;
  /**
   * Start each stream with `: OPENROUTER PROCESSING`, a comment line that SSE parsers must skip.
   * Default false.
   */
  keepAliveComment?: boolean;
}

/** A running fake; clients call `${baseUrl}/chat/completions`. */
export type OpenAIFake = ChatFake;

/** Starts the fake on 127.0.0.1:0. Close it in `afterEach`/`afterAll`. */
export function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<OpenAIFake> {
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  const strict = options.strict ?? true;
  return startChatFake(
    {
      basePath,
      idPrefix: "chatcmpl-",
      credentialOf: bearerTokenOf,
      rejectionOf: (req) => rejectionOf(req, basePath, strict),
      message: completionOf,
      stream: (answer) => completionStream(answer, options.keepAliveComment ?? false),
    },
    options,
  );
}

function rejectionOf(req: RecordedRequest, basePath: string, strict: boolean): FakeReply | undefined {
  if (req.method !== "POST" || req.path !== `${basePath}/chat/completions`) {
    return openaiError(404, `Invalid URL (${req.method} ${req.path})`, "invalid_request_error", null);
  }
  if (!strict) return undefined;
  if (!bearerTokenOf(req)) {
    return openaiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      "invalid_request_error",
      null,
    );
  }
  if (!req.body) {
    return openaiError(
      400,
      "We could not parse the JSON body of your request.",
      "invalid_request_error",
      null,
    );
  }
  if (typeof req.body.model !== "string") {
    return openaiError(400, "you must provide a model parameter", "invalid_request_error", null);
  }
  if (!Array.isArray(req.body.messages)) {
    return openaiError(400, "Missing required parameter: 'messages'.", "invalid_request_error", null);
  }
  return undefined;
}

function usageOf({ inputTokens, outputTokens }: ChatAnswer) {
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

function completionOf(answer: ChatAnswer) {
  return {
    id: answer.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    choices: [{ index: 0, message: { role: "assistant", content: answer.text }, finish_reason: "stop" }],
    usage: usageOf(answer),
  };
}

/**
 * `data:` chunks as OpenAI streams them: a role chunk, one chunk per text delta, a finish chunk, a
 * usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`.
 */
function completionStream(answer: ChatAnswer, keepAliveComment: boolean): ChatStream {
  const base = {
    id: answer.id,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
  };
  const chunk = (delta: object, finishReason: string | null) => ({
    data: { ...base, choices: [{ index: 0, delta, finish_reason: finishReason }] },
  });
  const streamOptions = answer.req.body?.stream_options as { include_usage?: unknown } | undefined;
  const usage =
    streamOptions?.include_usage === true ? [{ data: { ...base, choices: [], usage: usageOf(answer) } }] : [];
  return {
    head: [
      ...(keepAliveComment ? [{ comment: "OPENROUTER PROCESSING" }] : []),
      chunk({ role: "assistant", content: "" }, null),
    ],
    deltas: answer.deltas.map((content) => chunk({ content }, null)),
    tail: [chunk({}, "stop"), ...usage, { data: "[DONE]" }],
  };
}

/** An OpenAI-shaped error reply: `{error: {message, type, param: null, code}}`. */
function openaiError(
  status: number,
  message: string,
  type: string,
  code: string | number | null,
  headers: Record<string, string> = {},
): FakeReply {
  return { kind: "json", status, body: { error: { message, type, param: null, code } }, headers };
}

/**
 * Ready-made replies for `nextReply`, `nextReplyFor` and `onCredential`, with the status, body and
 * headers OpenAI (or OpenRouter, where noted) sends. The shared ones (`text`, `hang`, `drop`,
 * `stalledStream`, …) are included.
 */
export const openaiReplies = {
  ...commonReplies,
  /** Any OpenAI-shaped error. */
  error: openaiError,
  /** 401 for a wrong or revoked key. */
  invalidApiKey: (): FakeReply =>
    openaiError(
      401,
      "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
      "invalid_request_error",
      "invalid_api_key",
    ),
  /** 429 with `retry-after` (seconds, or an HTTP date string). */
  rateLimited: (retryAfter: number | string = 30): FakeReply =>
    openaiError(
      429,
      "Rate limit reached for requests. Please try again later.",
      "requests",
      "rate_limit_exceeded",
      { "retry-after": String(retryAfter) },
    ),
  /** 429 that is really billing: OpenAI reports an exhausted quota with the rate-limit status. */
  insufficientQuota: (): FakeReply =>
    openaiError(
      429,
      "You exceeded your current quota, please check your plan and billing details.",
      "insufficient_quota",
      "insufficient_quota",
    ),
  /** OpenRouter's 402 when the account is out of credits (numeric `code`). */
  paymentRequired: (): FakeReply =>
    openaiError(
      402,
      "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
      "insufficient_credits",
      402,
    ),
  /** 500 server_error. */
  serverError: (): FakeReply =>
    openaiError(
      500,
      "The server had an error while processing your request. Sorry about that!",
      "server_error",
      null,
    ),
  /** 503 overloaded. */
  overloaded: (): FakeReply =>
    openaiError(503, "The engine is currently overloaded, please try again later.", "server_error", null),
  /**
   * For streaming requests: `after` text deltas, then a `data: {error}` chunk and the end of the
   * response, as OpenRouter does when the upstream model fails mid-stream.
   */
  streamError: (after = 1, message = "Upstream provider error"): FakeReply => ({
    kind: "success",
    interrupt: { after, finish: { data: { error: { message, type: "server_error", code: 502 } } } },
  }),
};
