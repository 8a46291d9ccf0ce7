import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type {
  AdapterHost,
  AdapterIdentity,
  Button,
  ChatAdapter,
  Delivery,
  IncomingMessage,
} from "../../src/router/index.js";
import { completeLine } from "./completion.js";
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
  /** Hands a message on and delivers its answer (`AdapterHost.dispatch`). */
  dispatch: (message: IncomingMessage, delivery: Delivery) => Promise<void>;
  /** Tab completion at a terminal: the lines that could complete `line`. */
  complete?: (line: string) => Promise<string[]>;
}

/** Longest number read as a button press; longer digit strings are ordinary messages. */
const MAX_BUTTON_DIGITS = 3;

/**
 * The local console adapter: each input line is one message from the console user in the console
 * session; each reply is printed followed by a blank line. Buttons are shown as numbered choices,
 * and a line that is just a number presses that button of the last answer (fed back as the button's
 * action, as every adapter does), in both modes, so scripts can press buttons too. Resolves at end
 * of input (Ctrl-D), on Ctrl-C, or when `stop` closes it.
 */
export async function runConsole(
  opts: ConsoleOptions,
  control: { onReadline?: (rl: ReturnType<typeof createInterface>) => void } = {},
): Promise<void> {
  const { output } = opts;
  const rl = createInterface({
    input: opts.input,
    output: opts.interactive ? output : undefined,
    terminal: opts.interactive,
    crlfDelay: Number.POSITIVE_INFINITY,
    ...(opts.interactive && opts.complete
      ? {
          completer: (line: string, done: (err: null, result: [string[], string]) => void) => {
            opts.complete!(line).then(
              (lines) => done(null, [lines, line]),
              () => done(null, [[], line]),
            );
          },
        }
      : {}),
  });
  rl.on("SIGINT", () => rl.close());
  control.onReadline?.(rl);
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
    const message: IncomingMessage = { ...consoleSender(opts.userId), text, source };
    await opts.dispatch(message, {
      deliver: async (replies) => {
        buttons = [];
        for (const reply of replies) {
          const rendered = renderReply(reply, { color: opts.color, firstNumber: buttons.length + 1 });
          buttons.push(...rendered.buttons);
          output.write(`${rendered.text}\n\n`);
        }
      },
    });
    if (opts.interactive) rl.prompt();
  }
}

/**
 * The console as a gateway adapter: `start` begins reading input (resolving at once), `ended`
 * resolves at end of input or Ctrl-C, `stop` stops reading.
 */
export class ConsoleAdapter implements ChatAdapter {
  readonly channel = "console" as const;
  /** Resolves when the person ended the console (Ctrl-D, Ctrl-C) or `stop` closed it. */
  readonly ended: Promise<void>;
  private endedResolve!: () => void;
  private closeInput: (() => void) | undefined;

  constructor(private readonly opts: Omit<ConsoleOptions, "dispatch">) {
    this.ended = new Promise((resolve) => {
      this.endedResolve = resolve;
    });
  }

  async start(host: AdapterHost): Promise<AdapterIdentity> {
    runConsole(
      {
        ...this.opts,
        dispatch: (message, delivery) => host.dispatch(message, delivery),
        complete: (line) => completeLine(host, line, consoleSender(this.opts.userId)),
      },
      {
        onReadline: (rl) => {
          this.closeInput = () => rl.close();
          // At a terminal, Ctrl-C and Ctrl-D end the console at once, even while an answer is on its
          // way (it is cancelled); piped input ends after its last line was answered.
          if (this.opts.interactive) rl.once("close", () => this.endedResolve());
        },
      },
    ).then(
      () => this.endedResolve(),
      (err) => {
        host.log.error(`console input failed: ${err instanceof Error ? err.message : String(err)}`);
        this.endedResolve();
      },
    );
    return { channel: "console", name: `console:${this.opts.userId}` };
  }

  async stop(): Promise<void> {
    this.closeInput?.();
  }
}

function pressedButton(typed: string, buttons: Button[]): Button | undefined {
  if (buttons.length === 0 || typed.length > MAX_BUTTON_DIGITS || !/^\d+$/.test(typed)) return undefined;
  return buttons[Number(typed) - 1];
}

/** The console user as the router sees them: an owner in the one local DM. */
function consoleSender(userId: string): IncomingMessage {
  return { channel: "console", chatId: "local", chatType: "dm", senderId: userId, text: "", addressed: true };
}
