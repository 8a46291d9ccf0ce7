import { dirname, resolve } from "node:path";
import { isTesseraError, TesseraError } from "../errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { withFileLock } from "../files/file-lock.js";
import { readTextIfExists } from "../files/json-state-file.js";
import { describeJsonSyntaxError } from "../files/json-syntax-error.js";
import { formatIssues } from "../schema-issues.js";
import { isRecord, migrateConfig } from "./migrations.js";
import { type Config, ConfigSchema } from "./schema.js";

/** What loading the config found; `doctor` uses all of it, other commands only `config`. */
export interface ConfigInspection {
  path: string;
  exists: boolean;
  /** The migrated, validated config; undefined when the file is invalid. */
  config?: Config;
  /** `path: message` lines; empty when valid. */
  problems: string[];
  /** True when the file is not JSON at all (as opposed to JSON that fails validation). */
  unparsable?: boolean;
  /** One line per legacy value migrated in memory. */
  notices: string[];
  /**
   * Why the file could not be read at all (a link, a directory, no permission), with its fix; then
   * nothing else is known about it. `doctor` reports it and runs its other checks.
   */
  unreadable?: { message: string; fix: string; code: string };
  /** Raw JSON as on disk (before migration), for `doctor --fix` to write migrations back. */
  raw?: Record<string, unknown>;
}

/** Reads, migrates and validates the config without throwing on invalid content. */
export async function inspectConfig(path: string): Promise<ConfigInspection> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (err) {
    if (!isTesseraError(err)) throw err;
    const unreadable = { message: err.message, fix: err.hint ?? `check ${path}`, code: err.code };
    return { path, exists: true, problems: [`(root): ${err.message}`], notices: [], unreadable };
  }
  if (text === undefined) {
    return { path, exists: false, config: ConfigSchema.parse({}), problems: [], notices: [] };
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok)
    return { path, exists: true, problems: [parsed.problem], notices: [], unparsable: parsed.unparsable };
  return { path, exists: true, raw: parsed.raw, ...validateRawConfig(parsed.raw) };
}

/** The file's text as a JSON object, or the one `(root): …` problem that stops it from being one. */
function parseConfigText(
  text: string,
): { ok: true; raw: Record<string, unknown> } | { ok: false; problem: string; unparsable: boolean } {
  if (text.trim() === "") return { ok: false, problem: "(root): the file is empty", unparsable: true };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      problem: `(root): not valid JSON: ${describeJsonSyntaxError(err, text)}`,
      unparsable: true,
    };
  }
  return isRecord(raw)
    ? { ok: true, raw }
    : { ok: false, problem: "(root): expected a JSON object", unparsable: false };
}

/**
 * Migrates a copy of the raw config in memory and validates it, as every load does; the raw object
 * itself is left as written. `config` is undefined when `problems` has lines.
 */
function validateRawConfig(raw: Record<string, unknown>): {
  config?: Config;
  problems: string[];
  notices: string[];
} {
  const migrated = structuredClone(raw);
  const notices = migrateConfig(migrated);
  const parsed = ConfigSchema.safeParse(migrated);
  return parsed.success
    ? { config: parsed.data, problems: [], notices }
    : { problems: formatIssues(parsed.error), notices };
}

/**
 * Loads the config every command (but `doctor` and `--help`) runs on. An invalid config stops the
 * command with every problem as `path: message`; a missing file means the defaults.
 */
export async function loadConfig(path: string): Promise<{ config: Config; notices: string[] }> {
  const inspection = await inspectConfig(path);
  if (inspection.unreadable)
    throw new TesseraError("CONFIG_PARSE", inspection.unreadable.message, inspection.unreadable.fix);
  if (!inspection.config) {
    throw new TesseraError(
      inspection.unparsable ? "CONFIG_PARSE" : "CONFIG_INVALID",
      `invalid config ${path}:\n  ${inspection.problems.join("\n  ")}`,
      `fix the lines above in ${path} (see config.example.json), or run \`tessera doctor\``,
    );
  }
  return { config: inspection.config, notices: inspection.notices };
}

/**
 * Edits the config file as the user wrote it: `edit` gets the raw JSON (not the defaults-filled
 * config) so only the keys it touches change; key order, every other value and the file's indent
 * stay, and an edit that changes nothing writes nothing. Locked and atomic like every state file
 * (0600); the result must still validate (after the in-memory migrations, like a load), or nothing
 * is written. Returns the migrated config as a load would see it.
 */
export async function updateConfigFile(
  path: string,
  edit: (raw: Record<string, unknown>) => void,
  opts: { stateDir?: string } = {},
): Promise<Config> {
  // The config may live outside the state dir ($TESSERA_CONFIG); then its directory is the user's,
  // and we leave its mode alone.
  const foreignDir = opts.stateDir !== undefined && resolve(dirname(path)) !== resolve(opts.stateDir);
  return withFileLock(
    path,
    async (assertHeld) => {
      const text = await readTextIfExists(path);
      let raw: Record<string, unknown> = {};
      if (text !== undefined) {
        const parsed = parseConfigText(text);
        if (!parsed.ok) {
          throw new TesseraError(
            parsed.unparsable ? "CONFIG_PARSE" : "CONFIG_INVALID",
            `${path}: ${parsed.problem}; it was left untouched`,
            `fix the file by hand, or run \`tessera doctor --fix\` to move it aside`,
          );
        }
        raw = parsed.raw;
      }
      const before = JSON.stringify(raw);
      edit(raw);
      const checked = validateRawConfig(raw);
      if (!checked.config) {
        throw new TesseraError(
          "CONFIG_INVALID",
          `the change would make ${path} invalid:\n  ${checked.problems.join("\n  ")}`,
          `fix ${path} first (\`tessera doctor\` lists the problems)`,
        );
      }
      if (JSON.stringify(raw) !== before) {
        assertHeld();
        await writeFileAtomic(path, `${JSON.stringify(raw, null, indentOf(text))}\n`, { foreignDir });
      }
      return checked.config;
    },
    { foreignDir },
  );
}

/** Returns `raw[key]` as an object, creating it when missing; for `updateConfigFile` edits. */
export function objectAt(raw: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  let node = raw;
  for (const key of keys) {
    const child = node[key];
    if (isRecord(child)) node = child;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  return node;
}

/** The indent the file already uses (from its first nested line), so an edit does not reformat it. */
function indentOf(text: string | undefined): string | number {
  const match = text === undefined ? null : /^\{\r?\n([ \t]+)"/.exec(text);
  return match?.[1] ?? 2;
}
