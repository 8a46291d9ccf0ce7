import { dirname } from "node:path";
import { isTesseraError, TesseraError } from "../errors.js";

/**
 * A file-system failure as a person can act on it: the path, what the error code means, and the
 * fix, instead of a bare `EROFS: read-only file system, open '…'`. `doing` is what Tessera was
 * doing (`write`, `read`, `create the directory`, `append to`). A `TesseraError` passes through.
 */
export function fsFailure(err: unknown, path: string, doing: string): TesseraError {
  if (isTesseraError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const dir = dirname(path);
  const cannot = `cannot ${doing} ${path}`;
  const known = MEANINGS[code ?? ""];
  if (known) {
    const { what, fix } = known(path, dir);
    return new TesseraError("FILE_IO", `${cannot}: ${what} (${code})`, fix, { cause: err });
  }
  return new TesseraError(
    "FILE_IO",
    `${cannot}: ${(err as Error).message ?? String(err)}`,
    `check ${path} and its directory ${dir} (ls -ld ${dir})`,
    { cause: err },
  );
}

const WRITABLE_ELSEWHERE = "or point --state-dir (or TESSERA_STATE_DIR) at a writable directory";

const MEANINGS: Record<string, (path: string, dir: string) => { what: string; fix: string }> = {
  EROFS: (_path, dir) => ({
    what: "the file system is mounted read-only",
    fix: `make the file system that holds ${dir} writable (remount it read-write), ${WRITABLE_ELSEWHERE}`,
  }),
  ENOSPC: (_path, dir) => ({
    what: "no space left on the device; the file was left as it was",
    fix: `free space on the disk that holds ${dir} (see df -h ${dir}), then run the command again`,
  }),
  EDQUOT: (_path, dir) => ({
    what: "the disk quota is used up; the file was left as it was",
    fix: `free space in your quota (see quota -s), or ${WRITABLE_ELSEWHERE.replace("or ", "")}; then run the command again (${dir})`,
  }),
  EACCES: (path, dir) => ({
    what: "permission denied",
    fix: `check who owns ${path} and ${dir} and their modes (ls -ld ${dir} ${path}); run tessera as that user, or fix them with chown/chmod`,
  }),
  EPERM: (path, dir) => ({
    what: "the operation is not permitted (the file or its directory may be immutable or owned by someone else)",
    fix: `check ${path} and ${dir} with ls -ld and lsattr -d; clear an immutable flag with chattr -i, or run tessera as their owner`,
  }),
  EISDIR: (path) => ({
    what: "it is a directory where a file should be",
    fix: `move it out of the way (mv ${path} ${path}.moved); Tessera creates the file when it needs one`,
  }),
  ENOTDIR: (path) => ({
    what: "part of the path is a file where a directory should be",
    fix: `check the directories leading to ${path} and move the file that is in the way`,
  }),
  EMFILE: () => ({
    what: "this process has too many files open",
    fix: "raise the open-file limit (ulimit -n) and run the command again",
  }),
  ENFILE: () => ({
    what: "the system has too many files open",
    fix: "close other programs or raise the system's open-file limit, then run the command again",
  }),
};
