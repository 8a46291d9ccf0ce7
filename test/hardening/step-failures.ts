/**
 * Ways to make one write of a multi-step command fail, on every machine and as any user (root
 * included, which ignores modes), without `chattr` or a read-only mount. Tessera writes each state
 * file under a `<file>.lock` directory (proper-lockfile); a regular file there, dated long ago,
 * looks like an abandoned lock that cannot be removed, so taking the lock fails at once with a clear
 * error and only that file's write fails. (A directory in place of `audit.jsonl` does the same for
 * the audit append.)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Makes every locked write of `path` fail until `unblock` is called. */
export async function blockWrites(path: string): Promise<{ unblock(): Promise<void> }> {
  const lock = `${path}.lock`;
  await writeFile(lock, "");
  const past = new Date(Date.now() - 3_600_000);
  await utimes(lock, past, past);
  return { unblock: () => rm(lock, { force: true }) };
}

/**
 * Why `chattr +i` cannot be used on this machine, or undefined when it can (probed once on a
 * scratch file in the temp dir): for `ctx.skip(condition, reason)`, so a test that needs the immutable flag shows as
 * skipped instead of passing without having tested anything.
 */
export const chattrUnavailable: string | undefined = (() => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-chattr-"));
  const probe = join(dir, "probe");
  writeFileSync(probe, "");
  try {
    const set = spawnSync("chattr", ["+i", probe], { encoding: "utf8" });
    if (set.error) return `chattr is not installed (${set.error.message})`;
    if (set.status !== 0) return `chattr +i is not permitted here: ${set.stderr.trim()}`;
    spawnSync("chattr", ["-i", probe]);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
