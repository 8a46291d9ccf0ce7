/**
 * The gateway's log with text from chat in it. JSON lines were always safe (JSON escapes control
 * characters), but on a terminal the log is pino-pretty's, which printed a message or field as it
 * came: a chat message holding `\e]0;…\a` retitled the operator's terminal, `\e[2J` cleared it, a
 * line break forged a log line of its own, a bidi override reordered the line. Now every control
 * and format character in the pretty output is written as a visible escape. The logger writes to a
 * real file descriptor here, with the pretty path forced.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGatewayLog } from "../../src/runtime/gateway-log.js";

const HOSTILE = "hi\x1b]0;owned\x07\x1b[2J\r\n[12:00:00] INFO: fake line \u202eevil\u009b31m";

let dir: string;
let file: string;
let fd: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tessera-log-"));
  file = join(dir, "log");
  fd = openSync(file, "w");
});
afterEach(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

async function logHostile(pretty: boolean): Promise<string> {
  const log = await createGatewayLog({ level: "debug", pretty, secrets: () => [], fd });
  const chat = log.child("telegram");
  chat.info(`message from chat: ${HOSTILE}`);
  chat.warn("reply failed", { text: HOSTILE, nested: { deeper: [HOSTILE] }, [`key${HOSTILE}`]: 1 });
  chat.error("turn failed", { err: new Error(HOSTILE) });
  return readFileSync(file, "utf8");
}

describe("the gateway log and control characters from chat", () => {
  it("pretty output shows them as escapes and never writes them", async () => {
    const out = await logHostile(true);
    // The only ESC sequences left are pino-pretty's own colours (ESC [ digits m).
    expect(out.replace(/\x1b\[[0-9;]*m/g, "")).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\u2028\u2029]/);
    expect(out).toContain(
      "\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x0a[12:00:00] INFO: fake line \\u202eevil\\x9b31m",
    );
    // Three records, three headers: the line break in the message did not start a forged record.
    const headers = out
      .replace(/\x1b\[[0-9;]*m/g, "")
      .split("\n")
      .filter((line) => /^\[\d\d:\d\d:\d\d\] [A-Z]+:/.test(line))
      .map((line) => line.slice(11, line.indexOf(":", 11)));
    expect(headers).toEqual(["INFO", "WARN", "ERROR"]);
  });

  it("JSON lines keep the text itself (JSON escapes it)", async () => {
    const lines = (await logHostile(false)).trim().split("\n");
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; text?: string });
    expect(parsed[0]!.msg).toBe(`message from chat: ${HOSTILE}`);
    expect(parsed[1]!.text).toBe(HOSTILE);
    expect(lines.join("\n")).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
  });
});
