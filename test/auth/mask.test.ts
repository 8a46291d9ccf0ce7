import { describe, expect, it } from "vitest";
import { fingerprint, maskSecret, redactSecrets } from "../../src/auth/mask.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

describe("maskSecret", () => {
  it("shows at most the last 4 characters plus a 6-hex fingerprint", () => {
    const secret = fakeSecret("sk-ant-api03-");
    const masked = maskSecret(secret);
    expect(masked).toBe(`…${secret.slice(-4)} #${fingerprint(secret)}`);
    expect(masked).toMatch(/^….{4} #[0-9a-f]{6}$/);
    expectNoSecretIn(masked, [secret]);
  });

  it("shows no characters of a short secret", () => {
    for (const secret of ["abc", "12345678", "fifteen-chars-x"]) {
      const masked = maskSecret(secret);
      expect(masked).toMatch(/^#[0-9a-f]{6}$/);
    }
  });

  it("tells secrets apart and is stable, ignoring surrounding whitespace", () => {
    const a = fakeSecret("sk-");
    const b = `${a.slice(0, -4)}${"ZZZZ"}`;
    expect(maskSecret(a)).toBe(maskSecret(`  ${a}\n`));
    expect(fingerprint(a)).not.toBe(fingerprint(b));
    expect(maskSecret("   ")).toBe("(empty)");
  });
});

describe("redactSecrets", () => {
  it("removes known secrets wherever they appear, keeping the text around them", () => {
    const key = fakeSecret("", 40); // no recognisable shape: only knowing it helps
    const out = redactSecrets(`invalid key ${key}; retry with ${key}`, [key]);
    expectNoSecretIn(out, [key]);
    // Named by fingerprint only: not even the masked tail, which chat must not show.
    expect(out).toBe(`invalid key [secret #${fingerprint(key)}]; retry with [secret #${fingerprint(key)}]`);
  });

  it("removes known secrets however short, and pasted ones with a trailing newline", () => {
    const short = "Xq7pZ2w";
    const pasted = `${fakeSecret("", 30)}\n`;
    const out = redactSecrets(`a ${short} b ${pasted.trim()} c`, [short, pasted]);
    expectNoSecretIn(out, [short, pasted.trim()]);
  });

  it("replaces a secret that contains another one as a whole (one marker for the run)", () => {
    const inner = fakeSecret("", 20);
    const outer = `${inner}${fakeSecret("", 20)}`;
    const out = redactSecrets(`x ${outer} y`, [inner, outer]);
    expect(out).toBe(`x [secret #${fingerprint(outer)}] y`);
  });

  it("removes sk- and sk_ keys and bearer tokens it was not told about", () => {
    const keys = [fakeSecret("sk-ant-api03-"), fakeSecret("sk-proj-"), fakeSecret("sk_live_")];
    const bearer = fakeSecret("", 48);
    const text = `{"error":"bad key ${keys[0]}","hint":"${keys[1]} / ${keys[2]}"} Authorization: bearer ${bearer}`;
    const out = redactSecrets(text);
    expectNoSecretIn(out, [...keys, bearer]);
    expect(out).toContain("Authorization: bearer [redacted]");
  });

  it("leaves ordinary text alone", () => {
    const text = "rate limited: retry after 30s (request id req_011CUqmZ)";
    expect(redactSecrets(text, [])).toBe(text);
  });
});
