import { legacySessionsPath } from "../../config/paths.js";
import { isTesseraError } from "../../errors.js";
import {
  LEGACY_BACKUP_SUFFIX,
  migrateLegacySessions,
  readLegacySessions,
} from "../../sessions/session-migration.js";
import type { DoctorCheck } from "../doctor-check.js";
import { type Finding, RepairPhase } from "../finding.js";
import { sessionScanOf } from "../state-files.js";

/**
 * The sessions' layout (issue 11): one file per session under `sessions/<hh>/`. Reports an agent
 * whose sessions are still in the old single `sessions.json` — the first chat message migrates it,
 * `--fix` does it now — and session files that sit under another key's name (copied or renamed by
 * hand), which Tessera never reads. A corrupt old file or session file is the corrupt-files check's.
 */
export const sessionLayoutCheck: DoctorCheck = {
  name: "session-layout",
  async run(scope) {
    const findings: Finding[] = [];
    const { stateDir } = scope.paths;
    for (const agent of scope.agents) {
      const prefix = scope.agents.length > 1 ? `agent ${agent}: ` : "";
      const legacy = legacySessionsPath(stateDir, agent);
      const old = await readLegacySessions(stateDir, agent).catch((err) => {
        if (isTesseraError(err)) return undefined; // unreadable: corrupt-files (or file-modes) says why
        throw err;
      });
      if (old) {
        const count = Object.keys(old.sessions).length;
        findings.push({
          check: "session-layout",
          key: `legacy-sessions:${legacy}`,
          severity: "warning",
          what: `${prefix}${count} session(s) are still in the old single file ${legacy}; every message reads and rewrites all of it until they are migrated to one file per session`,
          fix: `tessera doctor --fix   (or any chat message migrates them; the old file is kept as ${legacy}${LEGACY_BACKUP_SUFFIX})`,
          path: legacy,
          agent,
          repair: {
            describe: `migrate the ${count} session(s) of ${legacy} to one file each, keeping it as ${legacy}${LEGACY_BACKUP_SUFFIX}`,
            phase: RepairPhase.config,
            async apply() {
              const done = await migrateLegacySessions(stateDir, agent);
              return done
                ? `migrated ${done.sessions} session(s) of agent ${agent} to one file each (${done.written} written); the old file is kept as ${done.backup}`
                : `${legacy} was already migrated`;
            },
          },
        });
      }
      const scan = await sessionScanOf(scope, agent).catch(() => undefined);
      for (const problem of scan?.problems ?? []) {
        if (problem.kind !== "misplaced") continue; // unreadable ones are corrupt-files findings
        findings.push({
          check: "session-layout",
          key: `misplaced-session:${problem.path}`,
          severity: "warning",
          what: `${prefix}${problem.error.message}`,
          fix: problem.error.hint ?? `move ${problem.path} aside`,
          path: problem.path,
          agent,
        });
      }
    }
    return findings;
  },
};
