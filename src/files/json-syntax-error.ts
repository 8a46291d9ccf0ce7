/**
 * Describes why `text` failed `JSON.parse` without quoting any of it. V8's messages may echo a slice
 * of the input (`Unexpected token 'x', "{"key": sk-ant-…"... is not valid JSON`), and the input is a
 * credentials file, so such a message would put part of a secret into an error. Positions are turned
 * into line and column, which is what a person fixing the file by hand needs.
 */
export function describeJsonSyntaxError(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  // A double quote means V8 quoted the input; an unexpected token is a character of it. Keep neither.
  const quotesInput = message.includes('"') || message.startsWith("Unexpected token");
  const what = quotesInput
    ? "unexpected character"
    : message.replace(/( in JSON)? at position \d+[\s\S]*$/, "");
  const at = / at position (\d+)/.exec(message);
  if (!at) return what;
  const before = text.slice(0, Number(at[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${what} at line ${line} column ${column}`;
}
