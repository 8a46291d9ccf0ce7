/**
 * `word` as a POSIX shell reads it back: unchanged when it holds only characters no shell treats
 * specially, else in single quotes (a single quote inside written as `'\''`). Used for the commands
 * Tessera prints for the operator to paste (`sudo /usr/bin/node '/opt/my tessera/bin/tessera.js' …`).
 */
export function shellWord(word: string): string {
  if (word !== "" && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
