import { expect } from "vitest";

/**
 * Asserts that `text` reveals no more of any secret than the masking rule allows (its last 4
 * characters). Checks every 5-character window of each secret, so a leaked prefix, middle or
 * suffix fragment fails too — not just the whole secret.
 */
export function expectNoSecretIn(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    // Well-known public prefixes (`sk-ant-oat01-`) are not secret; messages may name them.
    const start = PUBLIC_PREFIX.exec(secret)?.[0].length ?? 0;
    for (let i = start; i + 5 <= secret.length; i++) {
      const fragment = secret.slice(i, i + 5);
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

/** A secret-looking value unlikely to collide with anything else in output: prefix + random body. */
export function fakeSecret(prefix: string, length = 64): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  let body = "";
  while (prefix.length + body.length < length) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return prefix + body;
}
