import { parseEnv } from "node:util";
import { TesseraError } from "../errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { withFileLock } from "../files/file-lock.js";
import { readTextIfExists } from "../files/json-state-file.js";

/**
 * Sets `KEY=value` lines in `<state>/.env` the way a person would edit it: an existing line for the
 * key is replaced in place (keeping an `export ` prefix), a missing key is appended, every other line
 * — comments, blank lines, other keys, their order — stays as it was. Duplicate lines of a key are
 * folded into one. Nothing is written when every value is already set; the file is written atomically
 * as 0600 under its lock, and only after parsing the new text proves it says what was meant.
 * Returns the keys whose value changed.
 */
export async function setDotenvValues(path: string, values: Record<string, string>): Promise<string[]> {
  for (const [key, value] of Object.entries(values)) assertWritable(key, value);
  return withFileLock(path, async (assertHeld) => {
    const before = (await readTextIfExists(path)) ?? "";
    const current = parseEnv(before) as Record<string, string>;
    const changed = Object.keys(values).filter((key) => current[key] !== values[key]);
    if (changed.length === 0) return [];
    let lines = before === "" ? [] : before.replace(/\n$/, "").split("\n");
    for (const key of changed) {
      const line = new RegExp(`^\\s*(export\\s+)?${key}\\s*=`);
      const at = lines.flatMap((text, index) => (line.test(text) ? [index] : []));
      const rendered = `${line.exec(lines[at[0] ?? -1] ?? "")?.[1] ?? ""}${key}=${quote(values[key]!)}`;
      if (at.length === 0) lines.push(rendered);
      else {
        lines[at[0]!] = rendered;
        const drop = new Set(at.slice(1));
        lines = lines.filter((_, index) => !drop.has(index));
      }
    }
    const after = `${lines.join("\n")}\n`;
    // Read back as the environment loader will: the keys hold the new values and every other key is
    // as it was (a line inside another key's multi-line value must not have been taken for a key).
    const expected: Record<string, string> = { ...current, ...values };
    const check = parseEnv(after) as Record<string, string>;
    const keys = new Set([...Object.keys(expected), ...Object.keys(check)]);
    const wrong = [...keys].filter((key) => check[key] !== expected[key]);
    if (wrong.length > 0) {
      throw new TesseraError(
        "FILE_IO",
        `could not set ${changed.join(", ")} in ${path} without changing ${wrong.join(", ")} (a multi-line value in the file?); nothing was written`,
        `edit ${path} by hand: one KEY=value per line`,
      );
    }
    assertHeld();
    await writeFileAtomic(path, after);
    return changed;
  });
}

function assertWritable(key: string, value: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new TesseraError("USAGE", `invalid .env key "${key}"`, "use letters, digits and _ only");
  }
  if (value === "" || /[\r\n'"\\]/.test(value)) {
    throw new TesseraError(
      "TOKEN_INVALID",
      `the value for ${key} is empty or contains quotes, backslashes or line breaks, which a token never does`,
      `copy the value again; it must be a single line`,
    );
  }
}

/** Bare when safe, else single-quoted (no escapes are interpreted inside single quotes). */
function quote(value: string): string {
  return /^[A-Za-z0-9_\-.:/+=@,]+$/.test(value) ? value : `'${value}'`;
}
