import { dirname } from "node:path";
import { updateConfigFile } from "../../config/load.js";
import { isRecord, migrateConfig } from "../../config/migrations.js";
import type { DoctorCheck } from "../doctor-check.js";
import { type Finding, RepairPhase } from "../finding.js";
import { quarantineFile } from "../quarantine.js";

/**
 * The config file: does it parse, does it validate (each problem as `path: message`), and which
 * legacy values were migrated in memory — those `--fix` writes back, editing only the migrated keys.
 * A file that is not JSON at all is moved aside by `--fix` (the defaults then apply); a file that is
 * JSON but invalid needs a person, since guessing what they meant could change behaviour.
 */
export const configFileCheck: DoctorCheck = {
  name: "config",
  async run(scope) {
    const { inspection } = scope;
    const path = inspection.path;
    const findings: Finding[] = [];
    if (!inspection.exists) {
      findings.push({
        check: "config",
        key: `config:missing:${path}`,
        severity: "info",
        what: `no config file at ${path}; the defaults apply`,
        fix: "none needed; `tessera onboard` writes one (see config.example.json for every key)",
        path,
      });
      return findings;
    }
    if (inspection.unreadable) {
      // A link or a directory (FIFO, …) in its place is the file-types check's finding; other
      // failures (no permission) are reported here. Nothing doctor may move or change on its own.
      if (inspection.unreadable.code === "FILE_LINK" || inspection.unreadable.code === "FILE_TYPE")
        return findings;
      findings.push({
        check: "config",
        key: `unreadable:${path}`,
        severity: "error",
        what: `config ${inspection.unreadable.message}; every command but doctor refuses to run (doctor uses the defaults)`,
        fix: inspection.unreadable.fix,
        path,
      });
      return findings;
    }
    if (inspection.raw === undefined) {
      // Not JSON, or JSON but not an object: one `(root): …` problem says which.
      const reason = inspection.problems.join("; ").replace(/^\(root\): /, "");
      // A config kept outside the state dir ($TESSERA_CONFIG) sits in the user's own directory.
      const foreignDir = dirname(path) !== scope.paths.stateDir;
      findings.push({
        check: "config",
        key: `corrupt:${path}`,
        severity: "error",
        what: `config ${path} is not usable: ${reason}; every command but doctor refuses to run`,
        fix: `fix ${path} by hand, or run \`tessera doctor --fix\` to move it aside as ${path}.corrupt-<time> (the defaults then apply)`,
        path,
        repair: {
          describe: `move ${path} aside as ${path}.corrupt-<time>`,
          phase: RepairPhase.quarantine,
          async apply() {
            const moved = await quarantineFile(path, (t) => !isJsonObject(t), { foreignDir });
            return moved ? `moved the unreadable config ${path} to ${moved}` : `${path} was already gone`;
          },
        },
      });
      return findings;
    }
    for (const problem of inspection.problems) {
      findings.push({
        check: "config",
        key: `config:invalid:${problem}`,
        severity: "error",
        what: `config ${problem}`,
        fix: `edit ${path} (every key is documented in config.example.json)`,
        path,
      });
    }
    for (const notice of inspection.notices) {
      findings.push({
        check: "config",
        key: `config:migration:${notice}`,
        severity: "warning",
        what: `legacy config value, migrated in memory only: ${notice}`,
        fix: scope.configValid
          ? "tessera doctor --fix   (writes the migrated value to the config file)"
          : "fix the config errors above first, then: tessera doctor --fix",
        path,
        repair: scope.configValid
          ? {
              describe: `write the migrated value back to ${path}`,
              phase: RepairPhase.config,
              async apply() {
                let applied: string[] = [];
                await updateConfigFile(
                  path,
                  (raw) => {
                    applied = migrateConfig(raw);
                  },
                  { stateDir: scope.paths.stateDir },
                );
                return applied.length
                  ? `wrote migrated config values to ${path}: ${applied.join("; ")}`
                  : `${path} needed no migration any more`;
              },
            }
          : undefined,
      });
    }
    return findings;
  },
};

function isJsonObject(text: string): boolean {
  try {
    return isRecord(JSON.parse(text));
  } catch {
    return false;
  }
}
