/** One Server-Sent Event: its `event:` name (default "message") and joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a text/event-stream body incrementally. Handles events split across chunks, CRLF line
 * ends, comment lines (`: keep-alive`, which OpenRouter sends), multi-line data, and a last event the
 * server ended without a blank line.
 */
export async function* readSseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  /** Feeds one line; returns the event a blank line completes. */
  const feed = (line: string): SseEvent | undefined => {
    if (line === "") {
      const done = data.length > 0 ? { event, data: data.join("\n") } : undefined;
      event = "message";
      data = [];
      return done;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    return undefined;
  };
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    for (let newline = buffer.search(/\r?\n/); newline >= 0; newline = buffer.search(/\r?\n/)) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(buffer[newline] === "\r" ? newline + 2 : newline + 1);
      const done = feed(line);
      if (done) yield done;
    }
  }
  if (buffer !== "") feed(buffer);
  const last = feed("");
  if (last) yield last;
}
