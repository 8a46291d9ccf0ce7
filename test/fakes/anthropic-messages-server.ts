/**
 * A local stand-in for Anthropic's Messages API (`POST /v1/messages`), for end-to-end tests of the
 * provider client, the credential resolver's failover and the chat path.
 *
 * It answers with real-shaped JSON and SSE, rejects requests the real API would reject (so a client
 * that forgets `anthropic-version` or the OAuth beta header fails here, not in production), and lets
 * a test script every failure the resolver reacts to: 429 with `retry-after`, 401/403, billing, 529,
 * the Claude-Code-only refusal, hangs and broken streams.
 */
import {
  type ChatAnswer,
  type ChatFake,
  type ChatFakeOptions,
  type ChatStream,
  fakeId,
  startChatFake,
} from "./chat-fake.js";
import { bearerTokenOf, commonReplies, type FakeReply, type RecordedRequest } from "./http-fake.js";

/** The beta flag Anthropic requires on every request authenticated with an OAuth bearer token. */
export const ANTHROPIC_OAUTH_BETA = "oauth-2025-04-20";

/** Anthropic's refusal of a Claude Code subscription credential used by another client. */
export const CLAUDE_CODE_ONLY_MESSAGE =
  "This credential is only authorized for use with Claude Code and cannot be used for other API requests.";

/** Anthropic's billing refusal; note it arrives as HTTP 400, not 402. */
export const CREDIT_BALANCE_TOO_LOW_MESSAGE =
  "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.";

/** The `error.type` values Anthropic documents. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

/** Which credential a request carried, as the resolver should have chosen it. */
export type AnthropicCredential =
  | { kind: "x-api-key"; value: string }
  | { kind: "bearer"; value: string; beta: string | undefined };

/**
 * Reads the credential a request used: `x-api-key` wins over `Authorization: Bearer` (as on the
 * real API); `undefined` when there is neither. `beta` is the raw `anthropic-beta` header.
 */
export function credentialOf(req: RecordedRequest): AnthropicCredential | undefined {
  const apiKey = req.headers["x-api-key"];
  if (apiKey) return { kind: "x-api-key", value: apiKey };
  const token = bearerTokenOf(req);
  if (token) return { kind: "bearer", value: token, beta: req.headers["anthropic-beta"] };
  return undefined;
}

/** Options for `startAnthropicFake`; `replyText` and `streamEventDelayMs` as for every chat fake. */
export interface AnthropicFakeOptions extends ChatFakeOptions {
  /**
   * Reject what the real API rejects before any script runs: no credential (401), a bearer token
   * without `anthropic-beta: oauth-2025-04-20` (401), no `anthropic-version` (400), a body that is
   * not JSON or lacks `model`, `max_tokens` or `messages` (400). Default true.
   */
  strict?: boolean;
}

/** A running fake; `baseUrl` is `http://127.0.0.1:PORT` and clients call `${baseUrl}/v1/messages`. */
export type AnthropicFake = ChatFake;

/** Starts the fake on 127.0.0.1:0. Close it in `afterEach`/`afterAll`. */
export function startAnthropicFake(options: AnthropicFakeOptions = {}): Promise<AnthropicFake> {
  const strict = options.strict ?? true;
  return startChatFake(
    {
      basePath: "",
      idPrefix: "msg_",
      credentialOf: (req) => credentialOf(req)?.value,
      rejectionOf: (req) => rejectionOf(req, strict),
      message: messageOf,
      stream: messageStream,
      headers: () => ({ "request-id": fakeId("req_") }),
    },
    options,
  );
}

/** The real API's answer to a request it cannot serve, or `undefined` when the request is fine. */
function rejectionOf(req: RecordedRequest, strict: boolean): FakeReply | undefined {
  if (req.method !== "POST" || req.path !== "/v1/messages") {
    return anthropicError(404, "not_found_error", `${req.method} ${req.path} not found`);
  }
  if (!strict) return undefined;
  const credential = credentialOf(req);
  if (!credential) return anthropicError(401, "authentication_error", "x-api-key header is required");
  if (
    credential.kind === "bearer" &&
    !credential.beta?.split(",").some((b) => b.trim() === ANTHROPIC_OAUTH_BETA)
  ) {
    return anthropicError(401, "authentication_error", "OAuth authentication is currently not supported.");
  }
  if (!req.headers["anthropic-version"]) {
    return anthropicError(400, "invalid_request_error", "anthropic-version: header is required");
  }
  if (!req.body) {
    return anthropicError(400, "invalid_request_error", "There was an error parsing the body as JSON");
  }
  for (const field of ["model", "max_tokens", "messages"]) {
    if (req.body[field] === undefined) {
      return anthropicError(400, "invalid_request_error", `${field}: Field required`);
    }
  }
  return undefined;
}

function messageOf({ id, model, text, inputTokens, outputTokens }: ChatAnswer) {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  };
}

/** The event sequence the real API streams, `ping` included (clients must ignore unknown events). */
function messageStream(answer: ChatAnswer): ChatStream {
  const start = {
    ...messageOf(answer),
    content: [],
    stop_reason: null,
    usage: { input_tokens: answer.inputTokens, output_tokens: 1 },
  };
  return {
    head: [
      { event: "message_start", data: { type: "message_start", message: start } },
      {
        event: "content_block_start",
        data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      },
      { event: "ping", data: { type: "ping" } },
    ],
    deltas: answer.deltas.map((delta) => ({
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: delta } },
    })),
    tail: [
      { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: answer.outputTokens },
        },
      },
      { event: "message_stop", data: { type: "message_stop" } },
    ],
  };
}

/** An Anthropic-shaped error reply: `{type: "error", error: {type, message}, request_id}`. */
function anthropicError(
  status: number,
  type: AnthropicErrorType,
  message: string,
  headers: Record<string, string> = {},
): FakeReply {
  return {
    kind: "json",
    status,
    body: errorBody(type, message),
    headers: { "request-id": fakeId("req_"), ...headers },
  };
}

function errorBody(type: AnthropicErrorType, message: string, details?: Record<string, unknown>) {
  return {
    type: "error",
    error: { type, message, ...(details ? { details } : {}) },
    request_id: fakeId("req_"),
  };
}

/**
 * Ready-made replies for `nextReply`, `nextReplyFor` and `onCredential`, each the status, body and
 * headers Anthropic sends for that failure. The shared ones (`text`, `hang`, `drop`,
 * `stalledStream`, …) are included.
 */
export const anthropicReplies = {
  ...commonReplies,
  /** Any Anthropic-shaped error. */
  error: anthropicError,
  /** 429 with `retry-after` (seconds, or an HTTP date string). */
  rateLimited: (retryAfter: number | string = 30): FakeReply =>
    anthropicError(
      429,
      "rate_limit_error",
      "This request would exceed the rate limit for your organization of 50 requests per minute.",
      { "retry-after": String(retryAfter) },
    ),
  /** 429 that is really a monthly spend limit: same type as a rate limit, no `retry-after`. */
  spendLimitReached: (): FakeReply => ({
    kind: "json",
    status: 429,
    body: errorBody(
      "rate_limit_error",
      "You have reached your specified API usage limits. You will regain access on the first of next month.",
      { error_code: "enforced_spend_limit_reached" },
    ),
  }),
  /** 401 for a wrong or revoked API key. */
  invalidApiKey: (): FakeReply => anthropicError(401, "authentication_error", "invalid x-api-key"),
  /** 401 for an expired OAuth access token (the client should refresh once and retry). */
  oauthTokenExpired: (): FakeReply =>
    anthropicError(
      401,
      "authentication_error",
      "OAuth token has expired. Please obtain a new token or refresh your existing token.",
    ),
  /** 403 permission_error. */
  permissionDenied: (
    message = "Your API key does not have permission to use the specified resource.",
  ): FakeReply => anthropicError(403, "permission_error", message),
  /** 400 "credit balance is too low": how Anthropic really reports an empty prepaid balance. */
  creditBalanceTooLow: (): FakeReply =>
    anthropicError(400, "invalid_request_error", CREDIT_BALANCE_TOO_LOW_MESSAGE),
  /** A plain 402 billing_error. */
  paymentRequired: (): FakeReply =>
    anthropicError(402, "billing_error", "There is an issue with your billing or payment information."),
  /** 529 overloaded_error (transient, not the credential's fault). */
  overloaded: (): FakeReply => anthropicError(529, "overloaded_error", "Overloaded"),
  /** 500 api_error. */
  apiError: (): FakeReply => anthropicError(500, "api_error", "Internal server error"),
  /** 400 refusal of a Claude Code subscription credential (see `CLAUDE_CODE_ONLY_MESSAGE`). */
  claudeCodeOnly: (): FakeReply => anthropicError(400, "invalid_request_error", CLAUDE_CODE_ONLY_MESSAGE),
  /**
   * For streaming requests: `after` text deltas, then an `event: error` (overloaded by default) and
   * the end of the response, as Anthropic does when it fails mid-stream.
   */
  streamError: (
    after = 1,
    type: AnthropicErrorType = "overloaded_error",
    message = "Overloaded",
  ): FakeReply => ({
    kind: "success",
    interrupt: { after, finish: { event: "error", data: errorBody(type, message) } },
  }),
};
