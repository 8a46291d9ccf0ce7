import { describe, expect, it } from "vitest";
import { describeJsonSyntaxError } from "../../src/files/json-syntax-error.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

function describeFailure(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return describeJsonSyntaxError(err, text);
  }
  throw new Error("expected JSON.parse to fail");
}

describe("describeJsonSyntaxError", () => {
  it("never echoes any part of the input", () => {
    const secret = fakeSecret("");
    const inputs = [
      secret,
      `{"key": ${secret}}`,
      `{"key": "${secret}"}${secret}`,
      `{"key": "${secret}`,
      `[${secret.slice(0, 20)}]`,
      `{"a":1}\u0000${secret}`,
    ];
    for (const text of inputs) expectNoSecretIn(describeFailure(text), [secret]);
  });

  it("turns a position into line and column", () => {
    expect(describeFailure('{\n  "a": 1\n  "b": 2\n}')).toBe(
      "Expected ',' or '}' after property value at line 3 column 3",
    );
  });

  it("keeps messages that carry no input", () => {
    expect(describeFailure("")).toBe("Unexpected end of JSON input");
    expect(describeFailure('{"a": "b')).toMatch(/^Unterminated string at line 1 column \d+$/);
  });
});
