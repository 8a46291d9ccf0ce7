import { ProviderError } from "../provider-error.js";
import type { ChatAnswer, ChatClient, ChatRequest, WireCredential } from "./chat-types.js";
import { postChat, readJsonBody } from "./post-chat.js";
import { readSseEvents } from "./sse.js";
import { OpenAIChunkSchema, OpenAICompletionSchema, parseWire } from "./wire-schemas.js";

/**
 * OpenAI-compatible chat completions: `POST {baseUrl}/chat/completions` with a Bearer credential.
 * Used for openai, openrouter and custom `openai-chat` providers. No token limit is sent: OpenAI's
 * newer models refuse `max_tokens`, and the providers' defaults are sensible.
 */
export function openaiChatClient(opts: { provider: string; baseUrl: string; timeoutMs: number }): ChatClient {
  return {
    async send(req: ChatRequest, credential: WireCredential): Promise<ChatAnswer> {
      const messages = [...(req.system ? [{ role: "system", content: req.system }] : []), ...req.messages];
      const response = await postChat({
        provider: opts.provider,
        url: `${opts.baseUrl}/chat/completions`,
        headers: { authorization: `Bearer ${credential.secret}`, accept: "application/json" },
        body: { model: req.model, messages, ...(req.stream ? { stream: true } : {}) },
        timeoutMs: opts.timeoutMs,
        signal: req.signal,
        secrets: [credential.secret],
      });
      if (!req.stream) {
        const raw = await readJsonBody<unknown>(opts.provider, response, opts.timeoutMs);
        const body = parseWire(opts.provider, OpenAICompletionSchema, raw, "chat completion");
        return {
          text: body.choices[0]?.message?.content ?? "",
          model: body.model,
          stopReason: body.choices[0]?.finish_reason ?? undefined,
          usage: { inputTokens: body.usage?.prompt_tokens, outputTokens: body.usage?.completion_tokens },
        };
      }
      const answer: ChatAnswer = { text: "", model: req.model };
      let done = false;
      for await (const { data } of readSseEvents(response.body)) {
        if (data === "[DONE]") {
          done = true;
          break;
        }
        const chunk = parseWire(opts.provider, OpenAIChunkSchema, data, "chat completion chunk");
        if (chunk.error) {
          throw new ProviderError(
            "server",
            opts.provider,
            `${opts.provider} stopped the answer: ${chunk.error.message ?? "stream error"}`,
            "try again in a moment",
          );
        }
        answer.model = chunk.model ?? answer.model;
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          answer.text += delta;
          req.onDelta?.(delta);
        }
        answer.stopReason = chunk.choices?.[0]?.finish_reason ?? answer.stopReason;
      }
      if (!done) {
        throw new ProviderError(
          "network",
          opts.provider,
          `${opts.provider} closed the stream before the answer was complete`,
          "try again",
        );
      }
      return answer;
    },
  };
}
