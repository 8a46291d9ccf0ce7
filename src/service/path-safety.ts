import { stat } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { TesseraError } from "../errors.js";
import { shellWord } from "./shell-word.js";

/**
 * Refuses a path a service file must not name: a relative one (a service manager starts from its own
 * working directory, so it would point somewhere else), one with a control character (it cannot be
 * written on one line of a unit, and is never a path anyone meant), and one that someone other than
 * its owner could change — the path itself or any directory above it writable by group or others,
 * except a directory with the sticky bit (`/tmp`: others may add entries there, not replace ours).
 * The service runs the node binary and `bin/tessera.js` named here on every start, as a system
 * service possibly as root; whoever can swap them can run code as that user. `what` names the path
 * in the error (`the node binary`, `the state dir`). A path that does not exist yet is judged by the
 * directories above it. Owners count too: the path and every directory above it must belong to root
 * or to a user in `trustedUids` (the user the service runs as), since an owner can always change
 * what they own, whatever its mode says.
 */
export async function refuseUnsafePath(
  path: string,
  what: string,
  trustedUids: readonly number[] = [0, process.getuid?.() ?? 0],
): Promise<void> {
  if (!isAbsolute(path))
    throw new TesseraError(
      "USAGE",
      `${what} ${path} is a relative path; a service starts in its own working directory, so it would point elsewhere`,
      `pass an absolute path (e.g. --state-dir "$PWD"/${shellWord(path)})`,
    );
  if (/[\u0000-\u001f\u007f]/.test(path))
    throw new TesseraError(
      "USAGE",
      `${what} ${JSON.stringify(path)} contains a control character (a newline, a tab, …), which a service file cannot hold`,
      "rename the directory to a name without control characters, then run tessera gateway install again",
    );
  for (let current = path; ; current = dirname(current)) {
    const info = await stat(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (info && (info.mode & 0o022) !== 0 && !(info.isDirectory() && (info.mode & 0o1000) !== 0)) {
      const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
      const who = (info.mode & 0o002) !== 0 ? "every local user" : "its group";
      const at = current === path ? "" : ` (${current} is in its path)`;
      throw new TesseraError(
        "USAGE",
        `${what} ${path} is not safe to name in a service file: ${current} is writable by ${who} (mode ${mode})${at}, so they could change what the service runs`,
        `chmod go-w ${shellWord(current)}, then run tessera gateway install again`,
      );
    }
    if (info && !trustedUids.includes(info.uid)) {
      const at = current === path ? "" : ` (${current} is in its path)`;
      throw new TesseraError(
        "USAGE",
        `${what} ${path} is not safe to name in a service file: ${current} belongs to uid ${info.uid}${at}, neither root nor the user the service runs as, so that user could change what the service runs`,
        `use a ${what.replace(/^the /, "")} owned by root or by the user the service runs as (sudo chown root ${shellWord(current)}, or install it elsewhere), then run tessera gateway install again`,
      );
    }
    if (dirname(current) === current) return;
  }
}
