import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";

/**
 * The first executable file named `name` in the `PATH` directories, or undefined. Looked up by hand
 * (not by spawning) so a missing program is a clear message before anything runs, and `doctor` can
 * report it without executing it.
 */
export async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    const info = await stat(candidate).catch(() => undefined);
    if (!info?.isFile()) continue;
    const executable = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return candidate;
  }
  return undefined;
}
