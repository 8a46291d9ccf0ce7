/**
 * Tessera's reply markup: the smallest subset every surface can render faithfully.
 *
 * - `**bold**` and `` `code` `` (code may sit inside bold, not the other way round);
 * - a backslash makes the next character literal (`\*`, `` \` ``, `\\`);
 * - spans end at a line break, so a reply can be split between lines without breaking markup;
 * - an unclosed span runs to the end of its line.
 *
 * Commands build text with `bold`, `code` and `escapeMarkup`, so nothing a user typed can turn into
 * markup. Adapters call `parseMarkup` and render the spans their platform's way (Telegram HTML,
 * Discord markdown, ANSI on a terminal) instead of re-parsing.
 */

/** A run of text with one style. */
export interface Span {
  text: string;
  bold: boolean;
  code: boolean;
}

/** Makes any text literal in markup. */
export function escapeMarkup(text: string): string {
  return text.replace(/[\\`*]/g, "\\$&");
}

export function bold(text: string): string {
  return `**${escapeMarkup(text)}**`;
}

/** Inline code; line breaks inside become spaces, since spans end at a line break. */
export function code(text: string): string {
  return `\`${text.replace(/[\r\n]+/g, " ").replace(/[\\`]/g, "\\$&")}\``;
}

/** Splits markup into styled spans, one list per line. Never throws; odd input renders literally. */
export function parseMarkup(text: string): Span[][] {
  return text.split("\n").map(parseLine);
}

function parseLine(line: string): Span[] {
  const spans: Span[] = [];
  let bold = false;
  let code = false;
  let current = "";
  const flush = () => {
    if (current !== "") spans.push({ text: current, bold, code });
    current = "";
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length) {
      current += line[++i];
    } else if (ch === "`") {
      flush();
      code = !code;
    } else if (!code && ch === "*" && line[i + 1] === "*") {
      flush();
      bold = !bold;
      i++;
    } else {
      current += ch;
    }
  }
  flush();
  return spans;
}

/** The text a person reads, markers removed; for logs, tests and plain-text surfaces. */
export function toPlainText(text: string): string {
  return parseMarkup(text)
    .map((line) => line.map((s) => s.text).join(""))
    .join("\n");
}

/** Longest piece of user input a reply echoes back. */
const QUOTE_MAX = 60;
const UNSAFE_IN_QUOTE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

/**
 * What a person typed, echoed safely as inline code: control, zero-width and bidi-override
 * characters removed (they could reorder the reply around them), cut to 60 characters with `…`.
 */
export function quoteInput(text: string): string {
  const cleaned = text.replace(UNSAFE_IN_QUOTE, "").trim();
  const chars = [...cleaned];
  const shown = chars.length > QUOTE_MAX ? `${chars.slice(0, QUOTE_MAX - 1).join("")}…` : cleaned;
  return code(shown === "" ? "(empty)" : shown);
}
