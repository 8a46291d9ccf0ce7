import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TesseraError } from "../errors.js";

/**
 * The absolute `bin/tessera.js` of the install this code runs from, found by walking up from this
 * module's own file to the directory whose `package.json` is Tessera's. Not from the working
 * directory or `PATH`: a service must start the same install that wrote it, wherever the operator
 * stood and whichever `tessera` a shell would find first. Walking up (rather than a fixed `../..`)
 * keeps it right both for tsc's `dist/src/service/` layout and for the bundled chunks in
 * `dist/src/cli/bundle/`. ESM module URLs are real paths, so a global install reached through a
 * symbolic link in `PATH` resolves to the package itself.
 */
export function findTesseraLauncher(moduleUrl: string = import.meta.url): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    const bin = join(dir, "bin", "tessera.js");
    if (existsSync(bin) && isTesseraPackage(join(dir, "package.json"))) return bin;
    if (dirname(dir) === dir) break;
  }
  throw new TesseraError(
    "FILE_IO",
    `cannot find bin/tessera.js of this Tessera install (looked in every directory above ${start})`,
    "reinstall Tessera (npm install in its directory, or npm install -g), then run tessera gateway install again",
  );
}

function isTesseraPackage(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { name?: unknown }).name === "tessera";
  } catch {
    return false;
  }
}
