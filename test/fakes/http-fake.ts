/**
 * The plumbing every provider fake in this folder shares: a real `node:http` server on
 * 127.0.0.1:0, recording of every request, and the writer for scripted replies.
 *
 * Why real HTTP rather than a mocked `fetch`: the code under test talks to providers through undici,
 * and the bugs worth catching (timeouts, half-written SSE streams, keep-alive sockets, headers that
 * never leave the process) only show up on a real socket.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

/** A parsed JSON object body; the provider APIs faked here only ever take objects. */
export type JsonObject = { [key: string]: unknown };

/**
 * One request as the fake saw it, kept so tests can assert on what the client really sent (which
 * credential, which headers, which history) instead of trusting the client's own account.
 */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** The raw request target, query string included. */
  url: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body parsed as JSON when it is a JSON object, else `undefined` (see `rawBody`). */
  body: JsonObject | undefined;
  rawBody: string;
  /** `Date.now()` when the body had been read. */
  receivedAt: number;
}

/** What each fake hands back to a test: where it listens, what it saw, and how to stop it. */
export interface FakeServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, oldest first. Tests may clear it with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  /**
   * Resolves once at least `count` requests have been recorded, e.g. to know that a request the
   * fake keeps hanging has arrived before aborting it. Rejects after `timeoutMs` (default 5000).
   */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Drops every open connection (hung requests included), then stops listening. */
  close(): Promise<void>;
}

/** Context passed to a fake's handler; `signal` aborts when the server closes, ending any sleep. */
export interface HandlerContext {
  signal: AbortSignal;
}

/** A fake's request handler; the shared server has already read and recorded the request. */
export type FakeHandler = (req: RecordedRequest, res: ServerResponse, ctx: HandlerContext) => Promise<void>;

/** One server-sent event, or a comment line (OpenRouter sends `: OPENROUTER PROCESSING` keep-alives). */
export type SseEvent = { event?: string; data: unknown } | { comment: string };

/**
 * A reply a test can script in place of a fake's normal answer.
 *
 * - `json` / `raw`: a complete response (errors, odd bodies such as an HTML 502 from a proxy).
 * - `sse`: a hand-written event stream; `hang: true` leaves it open after the events.
 * - `success`: the fake's normal answer (streamed when the request asked for it), optionally with
 *   other text, or cut off after `interrupt.after` text deltas to test broken streams.
 * - `hang`: never answer (timeout tests); `drop`: destroy the socket without answering.
 *
 * `delayMs` waits before answering, e.g. to make concurrent requests overlap.
 */
export type FakeReply =
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string>; delayMs?: number }
  | { kind: "raw"; status: number; body: string; headers?: Record<string, string>; delayMs?: number }
  | {
      kind: "sse";
      events: SseEvent[];
      status?: number;
      headers?: Record<string, string>;
      delayMs?: number;
      eventDelayMs?: number;
      hang?: boolean;
    }
  | { kind: "success"; text?: string; delayMs?: number; interrupt?: StreamInterrupt }
  | { kind: "hang" }
  | { kind: "drop"; delayMs?: number };

/**
 * How a streamed success reply breaks: after `after` text deltas the stream stalls (`"hang"`),
 * the socket is destroyed (`"drop"`), or one more event is sent (`finish`) (a provider error event) and the
 * response ends.
 */
export interface StreamInterrupt {
  after: number;
  finish: "hang" | "drop" | SseEvent;
}

/** Starts `handler` on 127.0.0.1 on a free port; every request is recorded before it runs. */
export async function startHttpFake(handler: FakeHandler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const closing = new AbortController();

  const server = createServer((req, res) => {
    void recordAndHandle(req, res);
  });

  async function recordAndHandle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const recorded = await readRequest(req);
      requests.push(recorded);
      for (const wake of waiters) wake();
      await handler(recorded, res, { signal: closing.signal });
    } catch (error) {
      if (closing.signal.aborted) return;
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: `fake server failed: ${String(error)}` });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    waitForRequests(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`fake at port ${port}: ${requests.length} of ${count} requests after ${timeoutMs}ms`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readRequest(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString("utf8");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  const url = req.url ?? "/";
  return {
    method: req.method ?? "GET",
    path: new URL(url, "http://fake.invalid").pathname,
    url,
    headers,
    body: parseJsonObject(rawBody),
    rawBody,
    receivedAt: Date.now(),
  };
}

function parseJsonObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer …` header, if there is one. */
export function bearerTokenOf(req: RecordedRequest): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1]?.trim();
}

/** Writes a complete JSON response unless the client has already gone away. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Formats one event the way providers do: `event: name\ndata: json\n\n` (or `: comment\n\n`). */
export function formatSseEvent(event: SseEvent): string {
  if ("comment" in event) return `: ${event.comment}\n\n`;
  const data = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
  return `${event.event === undefined ? "" : `event: ${event.event}\n`}data: ${data}\n\n`;
}

/** Options for `sendSse`. */
export interface SseOptions {
  status?: number;
  headers?: Record<string, string>;
  /** Pause between events so clients see a real stream rather than one chunk. */
  eventDelayMs?: number;
  /** What happens after the events: end the response (default), stall, or destroy the socket. */
  end?: "end" | "hang" | "drop";
}

/** Streams `events` as `text/event-stream`, one write per event. */
export async function sendSse(
  res: ServerResponse,
  events: SseEvent[],
  signal: AbortSignal,
  options: SseOptions = {},
): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(options.status ?? 200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...options.headers,
  });
  res.flushHeaders();
  for (const event of events) {
    if (options.eventDelayMs) await delay(options.eventDelayMs, undefined, { signal });
    if (res.destroyed) return;
    res.write(formatSseEvent(event));
  }
  if (options.end === "hang") return;
  if (options.end === "drop") res.destroy();
  else res.end();
}

/**
 * Writes a scripted reply. `success` replies are handed back to the fake through `answer`, since
 * only the fake knows its normal response shape.
 */
export async function sendReply(
  res: ServerResponse,
  reply: FakeReply,
  signal: AbortSignal,
  answer: (reply: Extract<FakeReply, { kind: "success" }>) => Promise<void>,
): Promise<void> {
  if (reply.kind === "hang") return;
  if (reply.delayMs) await delay(reply.delayMs, undefined, { signal });
  switch (reply.kind) {
    case "json":
      sendJson(res, reply.status, reply.body, reply.headers);
      return;
    case "raw":
      if (res.destroyed) return;
      res.writeHead(reply.status, { "content-type": "text/plain; charset=utf-8", ...reply.headers });
      res.end(reply.body);
      return;
    case "sse":
      await sendSse(res, reply.events, signal, {
        status: reply.status,
        headers: reply.headers,
        eventDelayMs: reply.eventDelayMs,
        end: reply.hang ? "hang" : "end",
      });
      return;
    case "drop":
      res.destroy();
      return;
    case "success":
      await answer(reply);
      return;
  }
}

/** Replies that mean the same thing for every provider; each provider's reply set includes them. */
export const commonReplies = {
  /** The fake's normal answer, with `text` instead of the default echo. */
  text: (text: string): FakeReply => ({ kind: "success", text }),
  /** The normal answer after `delayMs`, e.g. to let concurrent requests overlap. */
  slow: (delayMs: number): FakeReply => ({ kind: "success", delayMs }),
  /** Never answers; the request stays open until the client gives up or the fake closes. */
  hang: (): FakeReply => ({ kind: "hang" }),
  /** Destroys the socket without a response, as a crashed proxy would. */
  drop: (): FakeReply => ({ kind: "drop" }),
  /** Streams `after` text deltas of the normal answer, then stalls (idle-timeout tests). */
  stalledStream: (after = 1): FakeReply => ({ kind: "success", interrupt: { after, finish: "hang" } }),
  /** Streams `after` text deltas of the normal answer, then destroys the socket. */
  droppedStream: (after = 1): FakeReply => ({ kind: "success", interrupt: { after, finish: "drop" } }),
  /** A non-JSON error page, as a load balancer in front of a provider sends. */
  badGateway: (): FakeReply => ({
    kind: "raw",
    status: 502,
    body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    headers: { "content-type": "text/html" },
  }),
};
