import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findTesseraLauncher } from "../../src/service/tessera-launcher.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-launcher-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fake install: package.json named `name`, bin/tessera.js, and a bundled chunk deep in dist/. */
async function fakeInstall(dir: string, name: string): Promise<string> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name }));
  await writeFile(join(dir, "bin", "tessera.js"), "");
  const chunk = join(dir, "dist", "src", "cli", "bundle", "gateway-service-command-abc.js");
  await mkdir(dirname(chunk), { recursive: true });
  await writeFile(chunk, "");
  return pathToFileURL(chunk).href;
}

describe("findTesseraLauncher", () => {
  it("finds this repository's bin from its own module, wherever the process stands", () => {
    expect(findTesseraLauncher()).toBe(join(REPO_ROOT, "bin", "tessera.js"));
  });

  it("walks up from a bundled chunk to the install's bin/tessera.js", async () => {
    const install = join(root, "lib", "node_modules", "tessera");
    const chunkUrl = await fakeInstall(install, "tessera");
    expect(findTesseraLauncher(chunkUrl)).toBe(join(install, "bin", "tessera.js"));
  });

  it("skips a bin/tessera.js of another package and fails when no Tessera install is above", async () => {
    const chunkUrl = await fakeInstall(join(root, "other"), "not-tessera");
    expect(() => findTesseraLauncher(chunkUrl)).toThrow(
      /cannot find bin\/tessera\.js of this Tessera install/,
    );
  });
});
