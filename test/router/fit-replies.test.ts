import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitReplies, REPLY_TEXT_LIMIT, splitText } from "../../src/router/fit-replies.js";
import { PLATFORM_LIMITS } from "../../src/router/platform-limits.js";

describe("splitText", () => {
  it("leaves short text alone", () => {
    expect(splitText("hello")).toEqual(["hello"]);
  });

  it("splits between lines when it can", () => {
    const line = "x".repeat(3000);
    expect(splitText(`${line}\n${line}`)).toEqual([line, line]);
  });

  it("cuts one huge line without splitting a surrogate pair", () => {
    const parts = splitText("😀".repeat(5000));
    expect(parts.join("")).toBe("😀".repeat(5000));
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(REPLY_TEXT_LIMIT);
      expect(p.length % 2).toBe(0);
    }
  });

  it("keeps every piece within the limit and loses no visible character", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 3000 }),
        fc.integer({ min: 10, max: 200 }),
        (s, limit) => {
          const parts = splitText(s, limit);
          for (const p of parts) expect(p.length).toBeLessThanOrEqual(limit);
          expect(parts.join("").replace(/\s/g, "")).toBe(s.replace(/\s/g, ""));
        },
      ),
    );
  });
});

describe("fitReplies", () => {
  it("puts buttons on the last part and edit on the first", () => {
    const text = `${"a".repeat(4000)}\n${"b".repeat(4000)}`;
    const parts = fitReplies([
      { text, buttons: [[{ label: "x", action: "/x" }]], edit: true, ephemeral: true },
    ]);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatchObject({ edit: true, ephemeral: true });
    expect(parts[0]?.buttons).toBeUndefined();
    expect(parts[1]).toMatchObject({ ephemeral: true, buttons: [[{ label: "x", action: "/x" }]] });
    expect(parts[1]?.edit).toBeUndefined();
  });

  it("never sends empty text, caps buttons and shortens long labels", () => {
    const row = Array.from({ length: 60 }, (_, i) => ({ label: `${"L".repeat(50)}${i}`, action: `/a ${i}` }));
    const [reply] = fitReplies([{ text: "  ", buttons: [row, row] }], PLATFORM_LIMITS.telegram);
    expect(reply?.text).toBe("(no text)");
    // Rows re-wrapped to the platform's width, cut at its row limit.
    expect(reply?.buttons).toHaveLength(PLATFORM_LIMITS.telegram.maxRows);
    expect(reply?.buttons?.every((r) => r.length <= PLATFORM_LIMITS.telegram.buttonsPerRow)).toBe(true);
    expect([...reply!.buttons![0]![0]!.label]).toHaveLength(PLATFORM_LIMITS.telegram.labelChars);
  });
});
