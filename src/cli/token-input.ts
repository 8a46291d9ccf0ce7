import type { Readable, Writable } from "node:stream";
import { TesseraError } from "../errors.js";
import type { CliContext } from "./cli-context.js";

/** Pasted secrets are short; anything bigger is the wrong input (a file piped by mistake). */
const MAX_INPUT = 64 * 1024;

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

type TtyInput = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/**
 * Reads a secret the way every `models auth` command does: on a terminal, a hidden prompt (nothing is
 * echoed; the prompt goes to stderr so stdout stays clean); otherwise everything on stdin, so that
 * `echo "$TOKEN" | tessera models auth paste-token --provider anthropic` works in scripts. The secret
 * never travels through argv, where `ps` and shell history would show it.
 *
 * `firstLine`: from a pipe, stop at the first non-empty line instead of waiting for the end of input
 * (a login script writes the pasted code and may keep the pipe open).
 */
export function readSecretInput(
  ctx: CliContext,
  prompt: string,
  opts: { firstLine?: boolean } = {},
): Promise<string> {
  const input = ctx.stdin as TtyInput;
  if (input.isTTY && typeof input.setRawMode === "function") return readHidden(input, ctx.stderr, prompt);
  return readPiped(input, opts.firstLine ?? false);
}

function readPiped(input: Readable, firstLine: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const done = (err?: Error) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", onError);
      input.pause();
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
      if (text.length > MAX_INPUT) {
        done(
          new TesseraError(
            "TOKEN_INVALID",
            `stdin holds more than ${MAX_INPUT / 1024} KiB; that is not a pasted secret`,
            'pipe only the secret, e.g. echo "$TOKEN" | tessera models auth paste-token --provider <p>',
          ),
        );
        return;
      }
      if (firstLine) {
        const line = text.split(/\r?\n/).find((l, i, all) => i < all.length - 1 && l.trim() !== "");
        if (line !== undefined) {
          text = line;
          done();
        }
      }
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(err);
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", onError);
    input.resume();
  });
}

/**
 * A no-echo prompt in raw mode. Bracketed paste is switched on so that a paste containing line breaks
 * (a token wrapped by the terminal it was copied from) arrives whole instead of ending at its first
 * line; Enter outside a paste finishes. Backspace and Ctrl-U edit, Ctrl-C cancels, other control and
 * escape sequences are ignored.
 */
function readHidden(input: TtyInput, output: Writable, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = "";
    let pending = "";
    let inPaste = false;
    // Raw mode first: once the prompt is visible, nothing typed is echoed any more.
    input.setRawMode!(true);
    input.setEncoding("utf8");
    output.write(`${prompt}\x1b[?2004h`);

    const finish = (err?: Error) => {
      input.off("data", onData);
      input.setRawMode!(false);
      input.pause();
      output.write("\x1b[?2004l\n");
      if (err) reject(err);
      else resolve(value);
    };

    const onData = (chunk: string) => {
      pending += chunk;
      while (pending.length > 0) {
        if (pending.startsWith("\x1b")) {
          if (pending.startsWith(PASTE_START)) {
            inPaste = true;
            pending = pending.slice(PASTE_START.length);
            continue;
          }
          if (pending.startsWith(PASTE_END)) {
            inPaste = false;
            pending = pending.slice(PASTE_END.length);
            continue;
          }
          // An escape sequence split across reads: wait for the rest.
          if (PASTE_START.startsWith(pending) || PASTE_END.startsWith(pending)) return;
          const sequence = /^\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?/.exec(pending)![0];
          pending = pending.slice(sequence.length);
          continue;
        }
        const ch = pending[0]!;
        pending = pending.slice(1);
        if (ch === "\r" || ch === "\n") {
          if (inPaste) continue;
          finish();
          return;
        }
        if (ch === "\x03") {
          finish(new TesseraError("USAGE", "cancelled; nothing was stored"));
          return;
        }
        if (ch === "\x04") {
          finish();
          return;
        }
        if (ch === "\x7f" || ch === "\b") value = value.slice(0, -1);
        else if (ch === "\x15") value = "";
        else if (ch >= " ") value += ch;
        if (value.length > MAX_INPUT) {
          finish(new TesseraError("TOKEN_INVALID", "the input is far too long to be a secret"));
          return;
        }
      }
    };
    input.on("data", onData);
    input.resume();
  });
}
