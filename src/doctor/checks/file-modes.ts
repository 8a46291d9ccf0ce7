import type { Stats } from "node:fs";
import { chmod } from "node:fs/promises";
import { DIR_MODE, FILE_MODE } from "../../files/atomic-write.js";
import { lstatIfExists, mayChmod } from "../../files/state-file-checks.js";
import type { DoctorCheck } from "../doctor-check.js";
import { type Finding, RepairPhase } from "../finding.js";
import { sessionDirsOf, sessionFilesOf, stateDirsOf, stateFilesOf } from "../state-files.js";

/**
 * Modes of every state file (0600) and directory (0700), PRODUCT §2, session files and their shard
 * directories included. A credential, config, `.env` or session file that others can read or write
 * is an error; other deviations are warnings. `--fix` chmods. A file owned by another user (someone
 * ran tessera as root) is reported; fixing that needs `chown`, which doctor does not do.
 *
 * Looked at with `lstat`, never through a link: a link, or a FIFO or directory where a file belongs,
 * is the file-types check's finding, and the mode of whatever a link points to is not ours to report
 * or change. `--fix` chmods only what `mayChmod` allows (ours, not a link, no other name elsewhere),
 * judged again just before the chmod.
 */
export const fileModesCheck: DoctorCheck = {
  name: "file-modes",
  async run(scope) {
    const findings: Finding[] = [];
    const uid = process.getuid?.();
    const dirs = [...stateDirsOf(scope), ...(await sessionDirsOf(scope))];
    const files = [...stateFilesOf(scope), ...(await sessionFilesOf(scope))];
    const targets = [
      ...dirs.map((path) => ({ path, dir: true, private: false, label: "state directory" })),
      ...files.map((f) => ({ path: f.path, dir: false, private: f.private, label: f.label })),
    ];
    const infos = await lstatAll(targets.map((t) => t.path));
    for (const [i, target] of targets.entries()) {
      const info = infos[i];
      if (!info) continue;
      if (target.dir ? !info.isDirectory() : !info.isFile()) continue; // file-types reports it
      const mode = info.mode & 0o777;
      const want = target.dir ? DIR_MODE : FILE_MODE;
      if (mode !== want) {
        const open = (mode & 0o077) !== 0;
        const chmodFix = `chmod ${octal(want)} ${target.path}`;
        const what = `${target.path} has mode ${octal(mode)}, not ${octal(want)}${open ? ` (${exposure(mode)})` : ""} — ${target.label}`;
        const refused = whyNotChmod(info, uid);
        findings.push({
          check: "file-modes",
          key: `mode:${target.path}`,
          severity: open && target.private ? "error" : "warning",
          what: refused ? `${what}; ${refused}` : what,
          fix: refused
            ? `${chmodFix} by hand, once you have checked that is right`
            : `${chmodFix}   (or: tessera doctor --fix)`,
          path: target.path,
          repair: refused
            ? undefined
            : {
                describe: chmodFix,
                phase: RepairPhase.modes,
                async apply() {
                  // A corrupt file moved aside earlier in this run is gone; nothing to chmod then.
                  const now = await lstatIfExists(target.path);
                  if (!now) return `${target.path} no longer exists`;
                  const refusedNow = whyNotChmod(now, uid);
                  if (refusedNow) throw new Error(`${target.path} was not changed: ${refusedNow}`);
                  await chmod(target.path, want);
                  return `chmod ${octal(want)} ${target.path} (was ${octal(mode)})`;
                },
              },
        });
      }
      if (uid !== undefined && info.uid !== uid) {
        findings.push({
          check: "file-modes",
          key: `owner:${target.path}`,
          severity: "warning",
          what: `${target.path} belongs to uid ${info.uid}, not to you (uid ${uid}); writes to it may fail`,
          fix: `sudo chown ${uid} ${target.path}   (and run tessera as the same user every time)`,
          path: target.path,
        });
      }
    }
    return findings;
  },
};

/** Why doctor must not chmod what `info` describes (see `mayChmod`), or undefined when it may. */
function whyNotChmod(info: Stats, uid: number | undefined): string | undefined {
  if (mayChmod(info)) return undefined;
  if (info.isSymbolicLink()) return "it is now a symbolic link, which doctor never follows";
  if (uid !== undefined && info.uid !== uid) return `doctor does not chmod it: it belongs to uid ${info.uid}`;
  return `doctor does not chmod it: the file has ${info.nlink - 1} other name(s) (hard links) elsewhere, which the change would reach too`;
}

/** How many files are stat'ed at once: one per session makes this the doctor's longest loop. */
const STAT_CONCURRENCY = 64;

/** `lstat` of each path (undefined when missing or unreadable), a batch at a time. */
async function lstatAll(paths: string[]): Promise<(Stats | undefined)[]> {
  const out: (Stats | undefined)[] = [];
  for (let i = 0; i < paths.length; i += STAT_CONCURRENCY) {
    out.push(
      ...(await Promise.all(
        paths.slice(i, i + STAT_CONCURRENCY).map((p) => lstatIfExists(p).catch(() => undefined)),
      )),
    );
  }
  return out;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

function exposure(mode: number): string {
  const who = [(mode & 0o070) !== 0 ? "group" : "", (mode & 0o007) !== 0 ? "others" : ""].filter(Boolean);
  const can = [(mode & 0o044) !== 0 ? "read" : "", (mode & 0o022) !== 0 ? "write" : ""].filter(Boolean);
  return `${who.join(" and ")} can ${can.join(" and ") || "enter"} it`;
}
