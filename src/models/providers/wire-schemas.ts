import { z } from "zod";
import { ProviderError } from "../provider-error.js";

/**
 * The parts of the providers' wire payloads Tessera reads, as loose zod schemas: unknown fields and
 * future event types pass, while a payload of the wrong shape fails with a clear message instead of
 * a `TypeError` deep in the client.
 */

const usage = z
  .looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() })
  .optional();

export const AnthropicMessageSchema = z.looseObject({
  model: z.string(),
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage,
});

export const AnthropicStreamEventSchema = z.looseObject({
  message: z.looseObject({ model: z.string().optional(), usage }).optional(),
  delta: z
    .looseObject({
      type: z.string().optional(),
      text: z.string().optional(),
      stop_reason: z.string().nullish(),
    })
    .optional(),
  usage,
  error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(),
});

const openaiUsage = z
  .looseObject({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() })
  .nullish();

export const OpenAICompletionSchema = z.looseObject({
  model: z.string(),
  choices: z.array(
    z.looseObject({
      message: z.looseObject({ content: z.string().nullish() }).optional(),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: openaiUsage,
});

export const OpenAIChunkSchema = z.looseObject({
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        delta: z.looseObject({ content: z.string().nullish() }).optional(),
        finish_reason: z.string().nullish(),
      }),
    )
    .optional(),
  error: z.looseObject({ message: z.string().optional() }).optional(),
});

/**
 * Parses one wire payload — an already-decoded JSON body, or the text of one stream event. A payload
 * of the wrong shape is the provider's fault: it becomes a `server` ProviderError (retryable, never a
 * credential failure) naming what was expected.
 */
export function parseWire<T>(provider: string, schema: z.ZodType<T>, payload: unknown, what: string): T {
  const parsed = schema.safeParse(typeof payload === "string" ? safeJson(payload) : payload);
  if (parsed.success) return parsed.data;
  throw new ProviderError(
    "server",
    provider,
    `${provider} sent an unexpected ${what} payload: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    "try again; if it persists, check the provider's baseUrl",
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
