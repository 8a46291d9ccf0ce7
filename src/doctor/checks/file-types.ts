import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { actionTokensPath } from "../../config/paths.js";
import { fsFailure } from "../../files/fs-errors.js";
import { kindOf, lstatIfExists } from "../../files/state-file-checks.js";
import type { DoctorCheck } from "../doctor-check.js";
import type { Finding } from "../finding.js";
import { sessionDirsOf, sessionFilesOf, stateDirsOf, stateFilesOf } from "../state-files.js";

/**
 * State files and directories that are not what they should be: a FIFO, socket, device or directory
 * where a file belongs (reading a FIFO would block every command until something wrote to it; every
 * command now refuses it instead), a file where a directory belongs, a symbolic link, or one Tessera
 * cannot write (a read-only disk, an immutable flag), which would make a command fail half way. Tessera opens nothing in its state dir
 * through a link (a link at `<state>/audit.jsonl` would have it append to, or chmod, a file anywhere
 * on the host), so every command refuses such a path; this says which and how to fix it. There is no
 * `--fix`: doctor never follows, removes or changes a link or its target — replacing it is a decision
 * for a person. (The state dir itself, and a config file named with `--config`/`TESSERA_CONFIG`, are
 * resolved through links before this runs; Claude Code's credentials file is not a state file.)
 */
export const fileTypesCheck: DoctorCheck = {
  name: "file-types",
  async run(scope) {
    const findings: Finding[] = [];
    const { stateDir } = scope.paths;
    const targets = [
      ...[...stateDirsOf(scope), ...(await sessionDirsOf(scope))].map((path) => ({
        path,
        label: "state directory",
        dir: true,
      })),
      ...[...stateFilesOf(scope), ...(await sessionFilesOf(scope))].map((f) => ({
        path: f.path,
        label: f.label,
        dir: false,
      })),
      ...scope.agents.map((agent) => ({
        path: actionTokensPath(stateDir, agent),
        label: `button tokens of agent ${agent}`,
        dir: false,
      })),
      { path: join(stateDir, "gateway.pid"), label: "gateway pid file", dir: false },
    ];
    const seen = new Set<string>();
    for (const target of targets) {
      if (seen.has(target.path)) continue;
      seen.add(target.path);
      const info = await lstatIfExists(target.path).catch(() => undefined);
      if (!info) continue;
      if (!info.isSymbolicLink()) {
        const right = target.dir ? info.isDirectory() : info.isFile();
        if (right) {
          // Present and of the right kind, but can Tessera write it? A read-only disk or an
          // immutable file makes a command fail half way (after the change it was making).
          const refused = await access(target.path, constants.W_OK).then(
            () => undefined,
            (err: unknown) => fsFailure(err, target.path, "write"),
          );
          if (refused) {
            findings.push({
              check: "file-types",
              key: `unwritable:${target.path}`,
              severity: "error",
              what: `${target.label}: ${refused.message}`,
              fix: refused.hint ?? `check ${target.path}`,
              path: target.path,
            });
          }
          continue;
        }
        findings.push({
          check: "file-types",
          key: `kind:${target.path}`,
          severity: "error",
          what: `${target.path} (${target.label}) is ${kindOf(info)}, not a ${target.dir ? "directory" : "regular file"}; commands that need it refuse to run${info.isFIFO() ? " (a FIFO would otherwise make them wait forever)" : ""}`,
          fix: `move it out of the way (mv ${target.path} ${target.path}.moved); Tessera creates a new one when it needs it`,
          path: target.path,
        });
        continue;
      }
      findings.push({
        check: "file-types",
        key: `link:${target.path}`,
        severity: "error",
        what: `${target.path} (${target.label}) is a symbolic link; Tessera does not follow links in its state dir, so commands that need it refuse to run`,
        fix: `replace the link with the ${target.dir ? "directory" : "file"} itself, or remove it (doctor leaves the link and its target alone)`,
        path: target.path,
      });
    }
    return findings;
  },
};
