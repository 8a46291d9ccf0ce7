/**
 * Orders ids and names by code point. Deliberately not `localeCompare`: its first call builds an ICU
 * collator, which costs several milliseconds of a CLI start that should take few more than Node's,
 * and the strings ordered here (profile ids, provider ids, model refs) are ASCII anyway.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
