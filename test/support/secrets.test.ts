import { describe, expect, it } from "vitest";
import { expectNoSecretIn, fakeSecret } from "./secrets.js";

/** Runs the detector and says whether it reported a leak. */
function flags(text: string, secrets: readonly string[]): boolean {
  try {
    expectNoSecretIn(text, secrets);
    return false;
  } catch {
    return true;
  }
}

describe("expectNoSecretIn", () => {
  it("does not take a timestamp for a leak of a secret's digits", () => {
    // A secret with a run of digits, and a state file whose epoch-ms timestamp contains that run.
    const secret = "sk-ant-api03-Kq7Ma59814Zx3Tb";
    const text = JSON.stringify({ usage: { "anthropic:a": { lastFailureAt: 1795981423456 } } });
    expect(text).toContain("59814");
    expect(flags(text, [secret])).toBe(false);
  });

  it("still catches any 5-character fragment of a secret: prefix end, middle, tail", () => {
    const secret = "sk-ant-api03-Kq7Ma59814Zx3TbWpRn";
    for (const fragment of ["Kq7Ma", "a5981", "9814Z", "3TbWp", "bWpRn"]) {
      expect(flags(`lastFailureAt 1795981423456, leaked ${fragment} here`, [secret]), fragment).toBe(true);
    }
  });

  it("catches the whole secret and ignores its public prefix", () => {
    const secret = fakeSecret("sk-ant-oat01-", 90);
    expect(flags(`token=${secret}`, [secret])).toBe(true);
    expect(flags("a setup-token starts sk-ant-oat01-", [secret])).toBe(false);
  });
});

describe("fakeSecret", () => {
  it("never puts two digits side by side, so no fragment can pass for a number", () => {
    for (let i = 0; i < 500; i++) {
      const secret = fakeSecret("sk-ant-api03-", 108);
      expect(secret).toHaveLength(108);
      expect(secret.slice("sk-ant-api03-".length)).not.toMatch(/\d\d/);
    }
  });

  it("every 5-character fragment of a fake secret is caught in text full of numbers", () => {
    const secret = fakeSecret("sk-or-v1-", 64);
    const numbers = "1795981423456 2024 65535 0600 3600000";
    for (let i = "sk-or-v1-".length; i + 5 <= secret.length; i++) {
      const fragment = secret.slice(i, i + 5);
      expect(flags(numbers, [secret])).toBe(false);
      expect(flags(`${numbers} ${fragment}`, [secret]), fragment).toBe(true);
    }
  });
});
