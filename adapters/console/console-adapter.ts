import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Button, IncomingMessage, Reply } from "../../src/router/index.js";
import { renderReply } from "./render.js";

export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** A REPL with a prompt (stdin and stdout are a terminal); otherwise one message per input line. */
  interactive: boolean;
  color: boolean;
  /** The sender id `/whoami` shows (`tessera chat --as`); the console user is always an owner. */
  userId: string;
  /** Printed once before the first prompt in interactive mode. */
  banner?: string;
  /** The router's `handle`. */
  handle: (message: IncomingMessage) => Promise<Reply[]>;
  /** Called on Ctrl-C (and SIGTERM) so the caller can cancel what is in flight; the console then ends. */
  onInterrupt?: () => void;
}

/** Longest number read as a button press; longer digit strings are ordinary messages. */
const MAX_BUTTON_DIGITS = 3;

/**
 * The local console adapter: each input line is one message from the console user in the console
 * session; each reply is printed followed by a blank line. Buttons are shown as numbered choices,
 * and a line that is just a number presses that button of the last answer (fed back as the button's
 * action, as every adapter does), in both modes, so scripts can press buttons too. Resolves with
 * exit code 0 at end of input (Ctrl-D) or Ctrl-C.
 */
export async function runConsole(opts: ConsoleOptions): Promise<number> {
  const { output } = opts;
  const rl = createInterface({
    input: opts.input,
    output: opts.interactive ? output : undefined,
    terminal: opts.interactive,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  rl.on("SIGINT", () => {
    opts.onInterrupt?.();
    rl.close();
  });
  const onTerm = () => rl.close();
  process.once("SIGTERM", onTerm);
  rl.once("close", () => process.off("SIGTERM", onTerm));
  rl.setPrompt("you › ");
  if (opts.interactive) {
    if (opts.banner) output.write(`${opts.banner}\n`);
    rl.prompt();
  }
  let buttons: Button[] = [];
  for await (const line of rl) {
    const typed = line.trim();
    if (typed === "") {
      if (opts.interactive) rl.prompt();
      continue;
    }
    let text = line;
    let source: IncomingMessage["source"] = "text";
    const pressed = pressedButton(typed, buttons);
    if (pressed) {
      text = pressed.action;
      source = "button";
      if (opts.interactive) output.write(`› ${pressed.action}\n`);
    }
    let replies: Reply[];
    try {
      replies = await opts.handle({
        channel: "console",
        chatId: "local",
        chatType: "dm",
        senderId: opts.userId,
        text,
        addressed: true,
        source,
      });
    } catch (err) {
      replies = [{ text: `error: ${err instanceof Error ? err.message : String(err)}`, format: "plain" }];
    }
    buttons = [];
    for (const reply of replies) {
      const rendered = renderReply(reply, { color: opts.color, firstNumber: buttons.length + 1 });
      buttons.push(...rendered.buttons);
      output.write(`${rendered.text}\n\n`);
    }
    if (opts.interactive) rl.prompt();
  }
  return 0;
}

function pressedButton(typed: string, buttons: Button[]): Button | undefined {
  if (buttons.length === 0 || typed.length > MAX_BUTTON_DIGITS || !/^\d+$/.test(typed)) return undefined;
  return buttons[Number(typed) - 1];
}
