import { type Button, parseMarkup, type Reply } from "../../src/router/index.js";

const BOLD = ["\u001b[1m", "\u001b[22m"] as const;
const CODE = ["\u001b[36m", "\u001b[39m"] as const;
const DIM = ["\u001b[2m", "\u001b[22m"] as const;

/**
 * Renders a reply for the terminal: markup as ANSI bold/cyan when `color`, else plain text; buttons
 * as numbered choices (`[1] sonnet  [2] opus`), numbered from `firstNumber` so several replies of
 * one answer share one numbering. Returns the text and the buttons in number order.
 */
export function renderReply(
  reply: Reply,
  opts: { color: boolean; firstNumber: number },
): { text: string; buttons: Button[] } {
  const body = reply.format === "plain" ? reply.text : renderMarkup(reply.text, opts.color);
  const buttons: Button[] = [];
  const rows = (reply.buttons ?? []).map((row) =>
    row
      .map((button) => {
        buttons.push(button);
        const number = `[${opts.firstNumber + buttons.length - 1}]`;
        return `${opts.color ? `${DIM[0]}${number}${DIM[1]}` : number} ${button.label}`;
      })
      .join("   "),
  );
  return { text: rows.length ? `${body}\n${rows.join("\n")}` : body, buttons };
}

function renderMarkup(text: string, color: boolean): string {
  return parseMarkup(text)
    .map((line) =>
      line
        .map((span) => {
          if (!color) return span.text;
          let out = span.text;
          if (span.code) out = `${CODE[0]}${out}${CODE[1]}`;
          if (span.bold) out = `${BOLD[0]}${out}${BOLD[1]}`;
          return out;
        })
        .join(""),
    )
    .join("\n");
}
