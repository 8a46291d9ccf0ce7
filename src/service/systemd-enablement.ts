import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * The enablement links to `unitName` in `unitDir` (`default.target.wants/tessera-gateway.service`
 * and the like), which `systemctl enable` creates beside the unit. Read from the file system, so
 * `uninstall` can tell an enabled unit without asking systemd (and without touching a real session
 * in tests).
 *
 * Why it matters: `systemctl disable` works out what to remove from the unit file's `[Install]`
 * section. With the file already deleted, systemd 252 still removes the links it finds by name but
 * reports "Failed to disable unit, unit tessera-gateway.service does not exist" — an error message
 * for a step that did its job, and the operator cannot tell. So the order is disable first, then
 * remove the file; `uninstall` refuses while these links exist and says to disable first.
 */
export async function enablementLinks(unitDir: string, unitName: string): Promise<string[]> {
  const entries = await readdir(unitDir, { withFileTypes: true }).catch(() => []);
  const links: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !/\.(wants|requires|upholds)$/.test(entry.name)) continue;
    const link = join(unitDir, entry.name, unitName);
    if (
      await lstat(link).then(
        () => true,
        () => false,
      )
    )
      links.push(link);
  }
  return links.sort();
}
