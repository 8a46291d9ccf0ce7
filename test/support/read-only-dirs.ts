/**
 * Makes directories read-only for real, as a read-only mount or a full disk would behave for
 * Tessera's writes (creating a lock, a temp file or a directory fails) while reads keep working.
 * As a normal user that is `chmod a-w`; root ignores modes, so as root it is `chattr +i` (the
 * immutable flag, which binds root too). Returns undefined when neither is possible here (root
 * without chattr or on a filesystem without the flag): such a test must skip.
 */
import { spawnSync } from "node:child_process";
import { chmod, stat } from "node:fs/promises";

export interface ReadOnly {
  /** Makes the directories writable again (in reverse order). */
  restore(): Promise<void>;
}

export async function makeReadOnly(dirs: string[]): Promise<ReadOnly | undefined> {
  if (process.getuid?.() !== 0) {
    const modes = await Promise.all(dirs.map(async (d) => (await stat(d)).mode & 0o777));
    for (const dir of dirs) await chmod(dir, 0o500);
    return {
      async restore() {
        for (const [i, dir] of [...dirs.entries()].reverse()) await chmod(dir, modes[i]!);
      },
    };
  }
  const done: string[] = [];
  for (const dir of dirs) {
    if (spawnSync("chattr", ["+i", dir]).status !== 0) {
      for (const d of done) spawnSync("chattr", ["-i", d]);
      return undefined;
    }
    done.push(dir);
  }
  return {
    async restore() {
      for (const dir of [...done].reverse()) spawnSync("chattr", ["-i", dir]);
    },
  };
}

/** Whether `makeReadOnly` can work here (probes a scratch directory). */
export async function canMakeReadOnly(scratch: string): Promise<boolean> {
  const handle = await makeReadOnly([scratch]);
  await handle?.restore();
  return handle !== undefined;
}
