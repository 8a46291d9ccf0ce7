import { expect } from "vitest";

/**
 * Asserts that `text` reveals no more of any secret than the masking rule allows (its last 4
 * characters). Checks every 5-character window of each secret, so a leaked prefix, middle or
 * suffix fragment fails too — not just the whole secret.
 *
 * Windows made only of digits are skipped: they cannot be told from the numbers output is full of
 * (epoch-ms timestamps, ports, modes), and `fakeSecret` never makes one, so every fragment of a fake
 * secret still has letters in it and is still checked. A hand-written secret with a run of 5+ digits
 * is checked on every window that reaches past that run.
 */
export function expectNoSecretIn(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    // Well-known public prefixes (`sk-ant-oat01-`) are not secret; messages may name them.
    const start = PUBLIC_PREFIX.exec(secret)?.[0].length ?? 0;
    for (let i = start; i + 5 <= secret.length; i++) {
      const fragment = secret.slice(i, i + 5);
      if (ALL_DIGITS.test(fragment)) continue;
      if (text.includes(fragment)) {
        const at = text.indexOf(fragment);
        expect.fail(
          `output leaks a fragment of a secret (chars ${i}..${i + 5} of a ${secret.length}-char secret) near: ` +
            JSON.stringify(text.slice(Math.max(0, at - 30), at + 35).replace(fragment, "<LEAK>")),
        );
      }
    }
  }
}

const PUBLIC_PREFIX = /^(sk-ant-(oat|api|ort)\d\d-|sk-or-v1-|sk-proj-|sk-)/;
const ALL_DIGITS = /^\d+$/;
const LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const DIGITS = "23456789";

/**
 * A secret-looking value unlikely to collide with anything else in output: prefix + random body.
 * A digit never follows a digit, so no fragment of the body can pass for part of a number (a
 * timestamp in a state file, say) and `expectNoSecretIn` checks all of it.
 */
export function fakeSecret(prefix: string, length = 64): string {
  let body = "";
  while (prefix.length + body.length < length) {
    const last = body.at(-1) ?? prefix.at(-1) ?? "";
    const alphabet = /\d/.test(last) ? LETTERS : LETTERS + DIGITS;
    body += alphabet[Math.floor(Math.random() * alphabet.length)];
  }
  return prefix + body;
}
