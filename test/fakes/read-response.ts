/**
 * Readers for tests that call the fakes with `fetch`, independent of the client code under test:
 * a small, spec-following SSE parser, so a test can assert on the exact events a fake streamed, and
 * a typed JSON read.
 */

/** The body as JSON, typed by the caller (`fetch` types it `unknown`); no validation. */
export async function readJson<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** One parsed event; `data` is the raw text (several `data:` lines joined with "\n"). */
export interface ParsedSseEvent {
  event: string | undefined;
  data: string;
}

/** Reads the whole body of `response` and splits it into events; comment lines are skipped. */
export async function readSseEvents(response: Response): Promise<ParsedSseEvent[]> {
  const text = await response.text();
  const events: ParsedSseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length > 0) events.push({ event, data: data.join("\n") });
  }
  return events;
}
