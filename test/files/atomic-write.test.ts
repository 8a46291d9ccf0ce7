import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DIR_MODE,
  ensurePrivateDir,
  FILE_MODE,
  removeAbandonedTempFiles,
  writeFileAtomic,
} from "../../src/files/atomic-write.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-atomic-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe("writeFileAtomic", () => {
  it("creates missing directories 0700 and the file 0600 whatever the umask", async () => {
    const path = join(root, "a", "b", "state.json");
    const previous = process.umask(0o000);
    try {
      await writeFileAtomic(path, "{}\n");
    } finally {
      process.umask(previous);
    }
    expect(await readFile(path, "utf8")).toBe("{}\n");
    expect(await modeOf(path)).toBe(FILE_MODE);
    expect(await modeOf(join(root, "a", "b"))).toBe(DIR_MODE);
  });

  it("tightens a pre-existing 0644 file and 0755 directory on every write", async () => {
    const dir = join(root, "agent");
    const path = join(dir, "state.json");
    await mkdir(dir, { mode: 0o755 });
    await writeFile(path, "old", { mode: 0o644 });
    await chmod(dir, 0o755);
    await chmod(path, 0o644);
    for (const contents of ["one", "two"]) {
      await writeFileAtomic(path, contents);
      expect(await readFile(path, "utf8")).toBe(contents);
      expect(await modeOf(path)).toBe(0o600);
      expect(await modeOf(dir)).toBe(0o700);
      // Loosened again between writes, e.g. by a user's cp -r.
      await chmod(dir, 0o755);
      await chmod(path, 0o644);
    }
  });

  it("leaves no temp file behind after a successful write", async () => {
    const path = join(root, "state.json");
    await writeFileAtomic(path, "x");
    await writeFileAtomic(path, "y");
    expect(await readdir(root)).toEqual(["state.json"]);
  });

  it("keeps a foreign directory's mode and writes the requested file mode", async () => {
    const dir = join(root, ".claude");
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    const path = join(dir, ".credentials.json");
    await writeFileAtomic(path, "{}", { mode: 0o644, foreignDir: true });
    expect(await modeOf(path)).toBe(0o644);
    expect(await modeOf(dir)).toBe(0o755);
  });

  it("fails without touching the target when the directory cannot hold the temp file", async () => {
    // A regular file where the directory should be: mkdir and open both fail.
    const blocker = join(root, "not-a-dir");
    await writeFile(blocker, "keep");
    await expect(writeFileAtomic(join(blocker, "state.json"), "x")).rejects.toThrow();
    expect(await readFile(blocker, "utf8")).toBe("keep");
  });
});

describe("ensurePrivateDir", () => {
  it("re-applies 0700 to an existing directory", async () => {
    const dir = join(root, "loose");
    await mkdir(dir);
    await chmod(dir, 0o777);
    await ensurePrivateDir(dir);
    expect(await modeOf(dir)).toBe(0o700);
  });
});

describe("removeAbandonedTempFiles", () => {
  it("removes only the temp files of the given target", async () => {
    const path = join(root, "auth-profiles.json");
    await writeFile(path, "{}");
    await writeFile(join(root, ".auth-profiles.json.123.abcd1234.tmp"), "{ torn");
    await writeFile(join(root, ".auth-state.json.123.abcd1234.tmp"), "{ other target");
    await writeFile(join(root, "notes.tmp"), "not ours");
    await removeAbandonedTempFiles(path);
    expect((await readdir(root)).sort()).toEqual([
      ".auth-state.json.123.abcd1234.tmp",
      "auth-profiles.json",
      "notes.tmp",
    ]);
  });

  it("is a no-op when the directory does not exist", async () => {
    await expect(removeAbandonedTempFiles(join(root, "missing", "x.json"))).resolves.toBeUndefined();
  });
});
