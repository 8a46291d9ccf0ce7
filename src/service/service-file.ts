import { lstat, mkdir, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { TesseraError } from "../errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { fsFailure } from "../files/fs-errors.js";
import { kindOf } from "../files/state-file-checks.js";
import { isTesseraServiceFile } from "./service-marker.js";
import { shellWord } from "./shell-word.js";

/** Service files are read by the service manager and by `systemctl cat` users: 0644, no secret in them. */
export const SERVICE_FILE_MODE = 0o644;
/** Directories created on the way (`~/.config/systemd/user`), as systemd itself creates them. */
const SERVICE_DIR_MODE = 0o755;

/** What `writeServiceFile` did. `unchanged` means the file was not touched at all (same mtime). */
export type ServiceWriteOutcome = "created" | "updated" | "unchanged";

/**
 * Puts `text` at `path`, changing nothing when the file already holds exactly `text`, so that a
 * re-run is a true no-op. A differing file is replaced atomically (`writeFileAtomic`: temp file in
 * the same directory, fsync, rename — systemd never reads half a unit), with mode 0644; but only a
 * file carrying Tessera's marker: one that someone else wrote under the same name is refused, not
 * overwritten. Missing parent directories are created 0755.
 */
export async function writeServiceFile(path: string, text: string): Promise<ServiceWriteOutcome> {
  const current = await readServiceFile(path);
  if (current === text) return "unchanged";
  if (current !== undefined && !isTesseraServiceFile(current)) throw foreignFile(path, "replace");
  try {
    await mkdir(dirname(path), { recursive: true, mode: SERVICE_DIR_MODE });
  } catch (err) {
    throw fsFailure(err, dirname(path), "create the directory");
  }
  // The directory belongs to the service manager: its mode is left alone (foreignDir).
  await writeFileAtomic(path, text, { mode: SERVICE_FILE_MODE, foreignDir: true });
  return current === undefined ? "created" : "updated";
}

/** What `removeServiceFile` did: `absent` when there was nothing to remove. */
export type ServiceRemoveOutcome = "removed" | "absent";

/** Removes the service file at `path` if it is Tessera's (see `writeServiceFile`); refuses any other. */
export async function removeServiceFile(path: string): Promise<ServiceRemoveOutcome> {
  const current = await readServiceFile(path);
  if (current === undefined) return "absent";
  refuseForeignServiceFile(path, current, "remove");
  try {
    await rm(path);
  } catch (err) {
    throw fsFailure(err, path, "remove");
  }
  return "removed";
}

/**
 * The text of the service file at `path`, or undefined when there is none. A symbolic link or
 * anything but a regular file is refused: replacing or removing it would act on something Tessera
 * did not write (`systemctl link` leaves such links; they are the operator's).
 */
export async function readServiceFile(path: string): Promise<string | undefined> {
  try {
    const info = await lstat(path);
    if (!info.isFile())
      throw new TesseraError(
        "FILE_TYPE",
        `${path} is ${kindOf(info)}, not a service file Tessera wrote, so it was left alone`,
        `look at it (ls -l ${shellWord(path)}); if it should go, remove it (rm ${shellWord(path)}) and run the command again`,
      );
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsFailure(err, path, "read");
  }
}

/** Refuses a file at the service's path that Tessera did not write (no marker line). */
export function refuseForeignServiceFile(path: string, text: string, doing: "replace" | "remove"): void {
  if (!isTesseraServiceFile(text)) throw foreignFile(path, doing);
}

function foreignFile(path: string, doing: "replace" | "remove"): TesseraError {
  const p = shellWord(path);
  return new TesseraError(
    "FILE_INVALID",
    `${path} was not written by tessera gateway install (it lacks the marker line "Written by tessera gateway install…"), so Tessera will not ${doing} it`,
    doing === "replace"
      ? `move it aside (mv ${p} ${p}.bak) and run tessera gateway install again, or keep it and manage the service by hand`
      : `it is not Tessera's to delete; look at it (cat ${p}) and remove it yourself if it should go`,
  );
}
