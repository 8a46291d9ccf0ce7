/**
 * What the two chat fakes (Anthropic Messages, OpenAI chat completions) share: the request flow
 * (provider rejection, then script, then normal answer), streaming, and reading the conversation.
 * Both APIs carry `messages: [{role, content}]` where content is a string or a list of
 * `{type: "text", text}` parts, so one reader serves both.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import {
  type FakeReply,
  type FakeServer,
  type HandlerContext,
  type JsonObject,
  type RecordedRequest,
  type SseEvent,
  type StreamInterrupt,
  sendJson,
  sendReply,
  sendSse,
  startHttpFake,
} from "./http-fake.js";
import { createReplyScript, type ScriptControls } from "./reply-script.js";

/** How the default answer text is chosen: fixed, or computed from the request. */
export type ReplyText = string | ((req: RecordedRequest) => string);

/** Options common to the chat fakes. */
export interface ChatFakeOptions {
  /** The answer's text. Default: `echo: <text of the last user message>`. */
  replyText?: ReplyText;
  /** Pause between streamed events, so clients see a real stream. Default 0. */
  streamEventDelayMs?: number;
}

/** A running chat fake: server, recorded requests, scripting calls. */
export interface ChatFake extends FakeServer, ScriptControls {
  /** What to configure as the provider base URL (`url` plus the fake's path prefix, if any). */
  readonly baseUrl: string;
  /** Changes the default answer text for later requests. */
  setReplyText(text: ReplyText): void;
}

/** What a provider's answer is built from, worked out once per request by `startChatFake`. */
export interface ChatAnswer {
  req: RecordedRequest;
  /** The `id` for the answer, with the provider's prefix. */
  id: string;
  /** The `model` the request named, echoed as the real APIs do. */
  model: string;
  text: string;
  /** `text` in word-sized pieces that join back to it exactly, one per streamed delta. */
  deltas: string[];
  inputTokens: number;
  outputTokens: number;
}

/**
 * A streamed chat answer split where a scripted interruption can cut it: events before the text,
 * one event per text delta, and the closing events.
 */
export interface ChatStream {
  head: SseEvent[];
  deltas: SseEvent[];
  tail: SseEvent[];
}

/** Streams a provider's answer, honouring a `success` reply's `interrupt`. */
async function sendChatStream(
  res: ServerResponse,
  stream: ChatStream,
  signal: AbortSignal,
  options: { eventDelayMs?: number; headers?: Record<string, string>; interrupt?: StreamInterrupt },
): Promise<void> {
  const { interrupt, ...sseOptions } = options;
  if (!interrupt) {
    await sendSse(res, [...stream.head, ...stream.deltas, ...stream.tail], signal, sseOptions);
    return;
  }
  const sent = [...stream.head, ...stream.deltas.slice(0, interrupt.after)];
  if (typeof interrupt.finish === "string") {
    await sendSse(res, sent, signal, { ...sseOptions, end: interrupt.finish });
  } else {
    await sendSse(res, [...sent, interrupt.finish], signal, sseOptions);
  }
}

/** What makes one provider's fake differ from another's. */
export interface ChatProviderShape {
  /** Path prefix of `baseUrl`, e.g. `/v1`; "" for none. */
  basePath: string;
  /** The credential value (key or token) a request used, for per-credential scripting. */
  credentialOf(req: RecordedRequest): string | undefined;
  /** The provider's refusal of a request it cannot serve (wrong route, missing header), if any. */
  rejectionOf(req: RecordedRequest): FakeReply | undefined;
  /** Prefix of answer ids, e.g. `msg_`. */
  idPrefix: string;
  /** The provider's complete (non-streamed) answer. */
  message(answer: ChatAnswer): unknown;
  /** The provider's streamed answer. */
  stream(answer: ChatAnswer): ChatStream;
  /** Headers sent with every successful answer. */
  headers?(): Record<string, string>;
}

/**
 * Starts a chat fake: each request gets the provider's rejection if it is malformed, else a
 * scripted reply if one matches, else the normal answer (streamed when the body says `stream: true`).
 */
export async function startChatFake(shape: ChatProviderShape, options: ChatFakeOptions): Promise<ChatFake> {
  let replyText: ReplyText = options.replyText ?? ((req) => `echo: ${lastUserText(req.body)}`);
  const script = createReplyScript(shape.credentialOf);
  const answerOf = (req: RecordedRequest, text: string): ChatAnswer => ({
    req,
    id: fakeId(shape.idPrefix),
    model: typeof req.body?.model === "string" ? req.body.model : "unknown-model",
    text,
    deltas: splitIntoDeltas(text),
    inputTokens: estimateTokens(JSON.stringify(req.body?.messages ?? [])),
    outputTokens: estimateTokens(text),
  });

  const handle = async (req: RecordedRequest, res: ServerResponse, { signal }: HandlerContext) => {
    const reply = shape.rejectionOf(req) ?? script.take(req) ?? { kind: "success" };
    await sendReply(res, reply, signal, async ({ text, interrupt }) => {
      const answer = answerOf(req, text ?? (typeof replyText === "string" ? replyText : replyText(req)));
      const headers = shape.headers?.() ?? {};
      if (req.body?.stream === true) {
        const eventDelayMs = options.streamEventDelayMs;
        await sendChatStream(res, shape.stream(answer), signal, { eventDelayMs, headers, interrupt });
      } else {
        sendJson(res, 200, shape.message(answer), headers);
      }
    });
  };

  const server = await startHttpFake(handle);
  return {
    ...server,
    ...script.controls,
    baseUrl: `${server.url}${shape.basePath}`,
    setReplyText(text) {
      replyText = text;
    },
  };
}

/**
 * The text of the last `user` message, so the default reply (`echo: …`) proves which history the
 * client sent. Non-text parts are skipped; no user message gives "".
 */
export function lastUserText(body: JsonObject | undefined): string {
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    if (message?.role === "user") return contentText(message.content);
  }
  return "";
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: { type?: unknown; text?: unknown } | null) =>
      part?.type === "text" && typeof part.text === "string" ? part.text : "",
    )
    .join("");
}

/**
 * Splits text into word-sized stream deltas (each ends after a whitespace run) that join back to
 * exactly `text`, so a client that drops or reorders a delta produces visibly wrong output.
 */
function splitIntoDeltas(text: string): string[] {
  return text.match(/\S*\s+|\S+$/g) ?? [];
}

/** A stable stand-in for token counting (about four characters a token, at least one). */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A provider-looking id such as `msg_01ab…` or `chatcmpl-…`, unique per call. */
export function fakeId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString("hex")}`;
}
