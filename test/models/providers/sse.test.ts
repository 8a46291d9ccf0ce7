import { describe, expect, it } from "vitest";
import { readSseEvents } from "../../../src/models/providers/sse.js";

async function collect(chunks: string[]) {
  async function* source() {
    for (const chunk of chunks) yield new TextEncoder().encode(chunk);
  }
  const events = [];
  for await (const event of readSseEvents(source())) events.push(event);
  return events;
}

describe("readSseEvents", () => {
  it("joins events split across chunks and CRLF line ends", async () => {
    const events = await collect(["event: a\r\nda", 'ta: {"x":1}\r\n\r\nevent: b\n', "data: 2\n\n"]);
    expect(events).toEqual([
      { event: "a", data: '{"x":1}' },
      { event: "b", data: "2" },
    ]);
  });

  it("skips comments, joins multi-line data and keeps a final event without a blank line", async () => {
    const events = await collect([": keep-alive\n\ndata: line1\ndata: line2\n\ndata: tail"]);
    expect(events).toEqual([
      { event: "message", data: "line1\nline2" },
      { event: "message", data: "tail" },
    ]);
  });
});
