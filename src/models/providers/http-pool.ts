import type { Dispatcher } from "undici";

/**
 * One keep-alive connection pool for all provider calls, wrapped in undici's RetryAgent so transient
 * provider trouble (5xx, 529 overloaded, connection resets) is retried with exponential backoff and
 * `retry-after` honoured. 429 is deliberately NOT retried here: a rate limit is a statement about the
 * credential, and the agent turn answers it by cooling the credential down and failing over.
 */
let pool: { agent: Dispatcher; close: () => Promise<void> } | undefined;

export async function providerDispatcher(): Promise<Dispatcher> {
  if (!pool) {
    const { Agent, RetryAgent } = await import("undici");
    const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 16 });
    const retrying = new RetryAgent(agent, {
      maxRetries: Number(process.env.TESSERA_PROVIDER_RETRIES ?? 2),
      minTimeout: 300,
      maxTimeout: 8_000,
      timeoutFactor: 2,
      retryAfter: true,
      methods: ["POST"],
      statusCodes: [500, 502, 503, 504, 529],
      errorCodes: ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ENETUNREACH", "EHOSTUNREACH", "UND_ERR_SOCKET"],
      // Hand the final error answer to us with its body, so it can be classified and explained.
      throwOnError: false,
    });
    pool = { agent: retrying, close: () => agent.close() };
  }
  return pool.agent;
}

/** Closes idle connections; called on shutdown so the process can exit promptly. */
export async function closeProviderPool(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.close();
}
