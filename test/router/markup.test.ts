import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bold, code, escapeMarkup, parseMarkup, quoteInput, toPlainText } from "../../src/router/markup.js";

describe("markup", () => {
  it("parses bold, code, code inside bold, and escapes", () => {
    expect(parseMarkup("a **b** `c` **d `e`** \\*\\*f\\*\\* \\`g")).toEqual([
      [
        { text: "a ", bold: false, code: false },
        { text: "b", bold: true, code: false },
        { text: " ", bold: false, code: false },
        { text: "c", bold: false, code: true },
        { text: " ", bold: false, code: false },
        { text: "d ", bold: true, code: false },
        { text: "e", bold: true, code: true },
        { text: " **f** `g", bold: false, code: false },
      ],
    ]);
  });

  it("ends spans at a line break", () => {
    expect(parseMarkup("**open\nplain")).toEqual([
      [{ text: "open", bold: true, code: false }],
      [{ text: "plain", bold: false, code: false }],
    ]);
  });

  it("keeps ** literal inside code", () => {
    expect(toPlainText("`a**b`")).toBe("a**b");
  });

  it("round-trips any text through escapeMarkup, bold and code", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const oneLine = s.replace(/[\r\n]/g, " ");
        expect(toPlainText(escapeMarkup(s))).toBe(s);
        expect(toPlainText(bold(oneLine))).toBe(oneLine);
        expect(toPlainText(code(oneLine))).toBe(oneLine);
      }),
    );
  });

  it("quotes user input short, on one line, without invisible or bidi characters", () => {
    expect(quoteInput("sonnet")).toBe("`sonnet`");
    expect(quoteInput("a`b")).toBe("`a\\`b`");
    expect(quoteInput("\u202Eevil\u200B\nname")).toBe("`evilname`");
    expect(quoteInput("")).toBe("`(empty)`");
    const long = quoteInput("x".repeat(1000));
    expect(toPlainText(long)).toBe(`${"x".repeat(59)}…`);
    expect([...toPlainText(quoteInput("😀".repeat(100)))]).toHaveLength(60);
  });
});
