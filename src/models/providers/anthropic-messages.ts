import { ProviderError } from "../provider-error.js";
import type { ChatAnswer, ChatClient, ChatRequest, WireCredential } from "./chat-types.js";
import { postChat, readJsonBody } from "./post-chat.js";
import { readSseEvents } from "./sse.js";
import { AnthropicMessageSchema, AnthropicStreamEventSchema, parseWire } from "./wire-schemas.js";

/** Required on every request authenticated with an OAuth or setup token (PRODUCT §5). */
export const ANTHROPIC_OAUTH_BETA = "oauth-2025-04-20";
export const ANTHROPIC_VERSION = "2023-06-01";

/**
 * Anthropic Messages API client: `POST {baseUrl}/v1/messages`. API keys go in `x-api-key`;
 * oauth and static tokens as `Authorization: Bearer` with the OAuth beta header. Requests are sent as
 * Tessera, plainly — never disguised as another client.
 */
export function anthropicMessagesClient(opts: {
  provider: string;
  baseUrl: string;
  timeoutMs: number;
}): ChatClient {
  return {
    async send(req: ChatRequest, credential: WireCredential): Promise<ChatAnswer> {
      const headers: Record<string, string> = {
        "anthropic-version": ANTHROPIC_VERSION,
        accept: "application/json",
      };
      if (credential.kind === "api_key") headers["x-api-key"] = credential.secret;
      else {
        headers.authorization = `Bearer ${credential.secret}`;
        headers["anthropic-beta"] = ANTHROPIC_OAUTH_BETA;
      }
      const response = await postChat({
        provider: opts.provider,
        url: `${opts.baseUrl}/v1/messages`,
        headers,
        body: {
          model: req.model,
          max_tokens: req.maxTokens,
          messages: req.messages,
          ...(req.system ? { system: req.system } : {}),
          ...(req.stream ? { stream: true } : {}),
        },
        timeoutMs: opts.timeoutMs,
        signal: req.signal,
        secrets: [credential.secret],
      });
      if (!req.stream) {
        const raw = await readJsonBody<unknown>(opts.provider, response, opts.timeoutMs);
        const body = parseWire(opts.provider, AnthropicMessageSchema, raw, "Messages API");
        return {
          text: body.content.map((block) => (block.type === "text" ? (block.text ?? "") : "")).join(""),
          model: body.model,
          stopReason: body.stop_reason ?? undefined,
          usage: { inputTokens: body.usage?.input_tokens, outputTokens: body.usage?.output_tokens },
        };
      }
      return readAnthropicStream(opts.provider, req, response.body);
    },
  };
}

async function readAnthropicStream(
  provider: string,
  req: ChatRequest,
  body: AsyncIterable<Uint8Array>,
): Promise<ChatAnswer> {
  const answer: ChatAnswer = { text: "", model: req.model, usage: {} };
  let finished = false;
  for await (const { event, data } of readSseEvents(body)) {
    const payload = parseWire(provider, AnthropicStreamEventSchema, data, `Messages stream "${event}"`);
    switch (event) {
      case "message_start":
        answer.model = payload.message?.model ?? answer.model;
        answer.usage!.inputTokens = payload.message?.usage?.input_tokens;
        break;
      case "content_block_delta":
        if (payload.delta?.type === "text_delta" && payload.delta.text !== undefined) {
          answer.text += payload.delta.text;
          req.onDelta?.(payload.delta.text);
        }
        break;
      case "message_delta":
        answer.stopReason = payload.delta?.stop_reason ?? answer.stopReason;
        answer.usage!.outputTokens = payload.usage?.output_tokens ?? answer.usage!.outputTokens;
        break;
      case "message_stop":
        finished = true;
        break;
      case "error": {
        const type = String(payload.error?.type ?? "api_error");
        const message = String(payload.error?.message ?? "stream error");
        const kind =
          type === "overloaded_error" ? "overloaded" : type === "rate_limit_error" ? "rate_limit" : "server";
        throw new ProviderError(
          kind,
          provider,
          `${provider} stopped the answer: ${message}`,
          "try again in a moment",
        );
      }
      // ping, content_block_start/stop and event types added later are ignored on purpose.
    }
  }
  if (!finished) {
    throw new ProviderError(
      "network",
      provider,
      `${provider} closed the stream before the answer was complete`,
      "try again",
    );
  }
  return answer;
}
