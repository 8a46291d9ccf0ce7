import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  joinPastedSecret,
  parseExpiresIn,
  type SecretKind,
  validatePastedSecret,
} from "../../src/cli/token-validation.js";
import { isTesseraError } from "../../src/errors.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

/** The refusal's message and fix, or "ok". */
function verdict(provider: string, kind: SecretKind, secret: string): string {
  try {
    validatePastedSecret(provider, kind, secret);
    return "ok";
  } catch (err) {
    if (!isTesseraError(err)) throw err;
    expect(err.code).toBe("TOKEN_INVALID");
    expect(err.hint).toBeTruthy();
    return `${err.message} | ${err.hint}`;
  }
}

describe("joinPastedSecret", () => {
  it("removes line wraps, indentation, CRs and surrounding whitespace", () => {
    expect(joinPastedSecret("  sk-ant-oat01-abc\r\n   def\n\tghi  \n")).toBe("sk-ant-oat01-abcdefghi");
  });

  it("a secret split anywhere into lines joins back to itself", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: fc.constantFrom(..."abcXYZ019-_") }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (secret, cuts) => {
          let wrapped = secret;
          for (const cut of cuts.map((c) => c % (secret.length + 1)).sort((a, b) => b - a)) {
            wrapped = `${wrapped.slice(0, cut)}\n  ${wrapped.slice(cut)}`;
          }
          expect(joinPastedSecret(` ${wrapped}\n`)).toBe(secret);
        },
      ),
    );
  });
});

describe("validatePastedSecret", () => {
  const setupToken = fakeSecret("sk-ant-oat01-", 108);
  const anthropicKey = fakeSecret("sk-ant-api03-", 108);

  it("accepts what each command is for", () => {
    expect(verdict("anthropic", "token", setupToken)).toBe("ok");
    expect(verdict("anthropic", "api_key", anthropicKey)).toBe("ok");
    expect(verdict("openai", "api_key", fakeSecret("sk-proj-", 164))).toBe("ok");
    expect(verdict("openrouter", "api_key", fakeSecret("sk-or-v1-", 73))).toBe("ok");
    expect(verdict("acme", "token", fakeSecret("x", 20))).toBe("ok");
  });

  it("refuses each mistake naming the command that takes it", () => {
    expect(verdict("anthropic", "token", anthropicKey)).toMatch(
      /API key .* not a token \| tessera models auth paste-api-key --provider anthropic$/,
    );
    expect(verdict("anthropic", "api_key", setupToken)).toMatch(
      /not an API key \| tessera models auth paste-token --provider anthropic$/,
    );
    expect(verdict("anthropic", "token", `${fakeSecret("", 40)}#${fakeSecret("", 40)}`)).toMatch(
      /code#state.*\| .*tessera models auth login --provider anthropic/,
    );
    expect(verdict("openai", "token", `${fakeSecret("", 40)}#${fakeSecret("", 40)}`)).toMatch(/code#state/);
    expect(verdict("anthropic", "token", setupToken.slice(0, 79))).toMatch(
      /only 79 characters long \(a setup-token has at least 80\)/,
    );
    expect(verdict("anthropic", "token", setupToken.slice(0, 80))).toBe("ok");
    expect(verdict("anthropic", "token", fakeSecret("sk-ant-ort01-", 108))).toMatch(/refresh token/);
    expect(verdict("openai", "api_key", anthropicKey)).toMatch(
      /Anthropic API key, not an API key for openai \| .*paste-api-key --provider anthropic/,
    );
    expect(verdict("openai", "api_key", fakeSecret("sk-or-v1-", 73))).toMatch(
      /OpenRouter key, not an API key for openai \| .*paste-api-key --provider openrouter/,
    );
    expect(verdict("anthropic", "api_key", fakeSecret("sk-proj-", 100))).toMatch(/starts with sk-ant-api/);
    expect(verdict("openai", "api_key", "sk-short")).toMatch(/only 8 characters long/);
    expect(verdict("openai", "api_key", "")).toMatch(/no API key was given/);
    expect(verdict("openai", "api_key", `"${fakeSecret("sk-", 40)}"`)).toMatch(/quotes/);
    expect(verdict("openai", "api_key", `OPENAI_API_KEY=${fakeSecret("sk-", 40)}`)).toMatch(/NAME=value/);
  });

  it("messages never contain the secret", () => {
    for (const secret of [anthropicKey, setupToken, setupToken.slice(0, 60), fakeSecret("sk-proj-", 100)]) {
      for (const provider of ["anthropic", "openai", "openrouter"]) {
        for (const kind of ["token", "api_key"] as const)
          expectNoSecretIn(verdict(provider, kind, secret), [secret]);
      }
    }
  });
});

describe("parseExpiresIn", () => {
  it("turns durations into milliseconds and refuses none, bare numbers and zero", () => {
    expect(parseExpiresIn(undefined)).toBeUndefined();
    expect(parseExpiresIn("365d")).toBe(365 * 86_400_000);
    expect(parseExpiresIn("1h30m")).toBe(5_400_000);
    expect(() => parseExpiresIn("365")).toThrow(/invalid --expires-in "365"/);
    expect(() => parseExpiresIn("0d")).toThrow(/already expired/);
  });
});
