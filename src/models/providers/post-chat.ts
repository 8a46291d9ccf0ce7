import type { Dispatcher } from "undici";
import { classifyHttpError, classifyTransportError } from "../provider-error.js";
import { providerDispatcher } from "./http-pool.js";

export interface PostChatOptions {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Limit for the answer to start, and for each pause between streamed chunks. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Secrets to scrub from any error text. */
  secrets: readonly string[];
}

/**
 * POSTs a JSON chat request through the shared pool. Resolves with the open response on 2xx; any
 * other answer or transport failure becomes a classified `ProviderError` whose text has the
 * provider's explanation with secrets removed.
 */
export async function postChat(opts: PostChatOptions): Promise<Dispatcher.ResponseData> {
  const { request } = await import("undici");
  let response: Dispatcher.ResponseData;
  try {
    response = await request(opts.url, {
      method: "POST",
      dispatcher: await providerDispatcher(),
      headers: { "content-type": "application/json", ...opts.headers },
      body: JSON.stringify(opts.body),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal: opts.signal,
    });
  } catch (err) {
    throw classifyTransportError(opts.provider, err, opts.timeoutMs);
  }
  if (response.statusCode >= 400) {
    const text = await response.body.text().catch(() => "");
    throw classifyHttpError(opts.provider, response.statusCode, response.headers, text, opts.secrets);
  }
  return response;
}

/** Reads a whole JSON body, turning a transport failure mid-body into a classified error. */
export async function readJsonBody<T>(
  provider: string,
  response: Dispatcher.ResponseData,
  timeoutMs: number,
): Promise<T> {
  try {
    return (await response.body.json()) as T;
  } catch (err) {
    throw classifyTransportError(provider, err, timeoutMs);
  }
}
