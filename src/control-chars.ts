import { TesseraError, type TesseraErrorCode } from "./errors.js";

/**
 * Characters that change how a terminal or a chat shows what follows them rather than showing
 * themselves: C0 and C1 controls and DEL (an ESC starts a terminal escape sequence that can retitle
 * the window, clear the screen or rewrite a line), Unicode format characters (bidi overrides and
 * isolates that reorder the text around them, zero-width characters, the BOM) and the line and
 * paragraph separators.
 */
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const CONTROL_ALL = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
/**
 * What running text (a model's answer, a block of our own output) keeps: line breaks and tabs, and
 * the zero-width (non-)joiners that emoji sequences and several scripts are written with.
 */
const LAYOUT = new Set(["\n", "\t", "\u200c", "\u200d"]);

/**
 * Whether `text` holds a control or format character. Names people choose and that are shown back to
 * other people (model refs, profile ids) are refused when they do: there is no way to show them that
 * is both faithful and harmless, and no real name needs one.
 */
export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Throws `code` naming `what` when `value` holds a control or format character; the value is shown
 * with them escaped, so the error itself cannot act on the terminal.
 */
export function refuseControlChars(code: TesseraErrorCode, what: string, value: string, fix: string): void {
  if (!hasControlChars(value)) return;
  throw new TesseraError(
    code,
    `${what} "${showControlChars(value)}" contains control or invisible characters (shown escaped); nothing was changed`,
    fix,
  );
}

/**
 * `text` with every control and format character written out as a visible escape (`\x1b`,
 * `\u202e`), so that printing it shows what is there instead of doing what it says. `keepLayout`
 * keeps line breaks, tabs and zero-width joiners, for running text (`\r` is never kept: it lets a
 * line overwrite itself). `escape` quotes the escape for where it goes (markup, where a backslash
 * is itself an escape). Apply it to everything shown that may carry text a person or another
 * program chose: audit entries, ids read from files, chat replies.
 */
export function showControlChars(
  text: string,
  opts: { keepLayout?: boolean; escape?: (shown: string) => string } = {},
): string {
  return text.replace(CONTROL_ALL, (ch) => {
    if (opts.keepLayout && LAYOUT.has(ch)) return ch;
    const code = ch.codePointAt(0)!;
    const shown =
      code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    return opts.escape ? opts.escape(shown) : shown;
  });
}

/**
 * A copy of `value` with `showControlChars` applied to every string in it (keys included), for
 * reports that are rendered with colours of our own: the data is made harmless first, then painted.
 */
export function showControlCharsIn<T>(value: T): T {
  if (typeof value === "string") return showControlChars(value) as T;
  if (Array.isArray(value)) return value.map((v) => showControlCharsIn(v)) as T;
  if (value === null || typeof value !== "object") return value;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[showControlChars(k)] = showControlCharsIn(v);
  return out as T;
}

/**
 * JSON text whose strings cannot act on a terminal: `JSON.stringify` escapes C0 controls but writes
 * C1 controls, bidi overrides and the like as they are; this escapes those too (`\u009b`), so the
 * output is the same JSON value and safe to `cat`.
 */
export function stringifyForTerminal(value: unknown, indent?: number): string {
  // Raw line breaks in the output are the indentation's: JSON writes those inside strings as `\n`.
  return JSON.stringify(value, null, indent).replace(CONTROL_ALL, (ch) =>
    ch === "\n" ? ch : `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}
