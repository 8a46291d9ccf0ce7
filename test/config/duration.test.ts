import { describe, expect, it } from "vitest";
import { describeExpiry, formatSpan, parseDuration } from "../../src/config/duration.js";
import { isTesseraError } from "../../src/errors.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("parseDuration", () => {
  it("reads the forms people type", () => {
    expect(parseDuration("90m")).toBe(90 * MINUTE);
    expect(parseDuration("24h")).toBe(DAY);
    expect(parseDuration("365d")).toBe(365 * DAY);
    expect(parseDuration("2w")).toBe(14 * DAY);
    expect(parseDuration("1h30m")).toBe(90 * MINUTE);
    expect(parseDuration("1.5h")).toBe(90 * MINUTE);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration(" 12H ")).toBe(12 * HOUR);
  });

  it("refuses a bare number or anything else, naming what and the accepted forms", () => {
    for (const input of ["365", "", "h", "1x", "1h 30m", "-1h", "soon"]) {
      let caught: unknown;
      try {
        parseDuration(input, "--expires-in");
      } catch (err) {
        caught = err;
      }
      expect(isTesseraError(caught), input).toBe(true);
      if (!isTesseraError(caught)) continue;
      expect(caught.code).toBe("DURATION_INVALID");
      expect(caught.message).toContain("--expires-in");
      expect(caught.hint).toMatch(/90m, 12h, 365d/);
    }
  });
});

describe("formatSpan", () => {
  it("rounds minutes and hours down, so `expires in 1h` is never a lie", () => {
    expect(formatSpan(59_999)).toBe("59s");
    expect(formatSpan(MINUTE)).toBe("1m");
    expect(formatSpan(HOUR - 1)).toBe("59m");
    expect(formatSpan(HOUR)).toBe("1h");
    expect(formatSpan(90 * MINUTE)).toBe("1h30m");
    expect(formatSpan(12 * HOUR + 30 * MINUTE)).toBe("12h");
    expect(formatSpan(48 * HOUR - 1)).toBe("47h");
    expect(formatSpan(48 * HOUR)).toBe("2d");
    expect(formatSpan(-3 * DAY)).toBe("3d");
  });

  it("rounds days to the nearest, so a token stored for 30d reads 30d a moment later", () => {
    expect(formatSpan(30 * DAY - 5_000)).toBe("30d");
    expect(formatSpan(2 * DAY + 11 * HOUR)).toBe("2d");
    expect(formatSpan(2 * DAY + 13 * HOUR)).toBe("3d");
  });
});

describe("describeExpiry", () => {
  it("uses one phrasing for the future and the past", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(describeExpiry(now + 3 * HOUR, now)).toBe("expires in 3h");
    expect(describeExpiry(now - 2 * DAY, now)).toBe("expired 2d ago");
    expect(describeExpiry(now, now)).toBe("expired 0s ago");
    expect(describeExpiry(undefined, now)).toBeUndefined();
  });
});
