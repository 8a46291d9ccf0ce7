import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeServiceFile, writeServiceFile } from "../../src/service/service-file.js";
import { SYSTEMD_MARKER_LINE } from "../../src/service/service-marker.js";
import { tesseraErrorOf } from "../support/errors.js";

let root: string;
let path: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-service-file-"));
  path = join(root, "config", "systemd", "user", "tessera-gateway.service");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const unit = (state: string) => `${SYSTEMD_MARKER_LINE}\n[Service]\nEnvironment=TESSERA_STATE_DIR=${state}\n`;
const LONG_AGO = new Date("2020-01-02T03:04:05Z");

describe("writeServiceFile", () => {
  it("creates the missing directories and writes the file 0644", async () => {
    expect(await writeServiceFile(path, unit("/a"))).toBe("created");
    expect(await readFile(path, "utf8")).toBe(unit("/a"));
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect((await stat(join(root, "config", "systemd", "user"))).isDirectory()).toBe(true);
  });

  it("leaves a file that already holds the text untouched: same inode, same mtime", async () => {
    await writeServiceFile(path, unit("/a"));
    await utimes(path, LONG_AGO, LONG_AGO);
    const before = await stat(path);
    expect(await writeServiceFile(path, unit("/a"))).toBe("unchanged");
    const after = await stat(path);
    expect(after.mtimeMs).toBe(LONG_AGO.getTime());
    expect(after.ino).toBe(before.ino);
  });

  it("replaces a differing file of its own atomically (new inode, 0644, no temp file left)", async () => {
    await writeServiceFile(path, unit("/a"));
    const before = await stat(path);
    expect(await writeServiceFile(path, unit("/b"))).toBe("updated");
    expect(await readFile(path, "utf8")).toBe(unit("/b"));
    const after = await stat(path);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o644);
    expect(await readdir(join(root, "config", "systemd", "user"))).toEqual(["tessera-gateway.service"]);
  });

  it("refuses to replace a file it did not write, and leaves it as it was", async () => {
    await mkdir(join(root, "config", "systemd", "user"), { recursive: true });
    await writeFile(path, "[Service]\nExecStart=/usr/local/bin/my-own-gateway\n");
    const err = await tesseraErrorOf(writeServiceFile(path, unit("/a")));
    expect(err.code).toBe("FILE_INVALID");
    expect(err.message).toContain(`${path} was not written by tessera gateway install`);
    expect(err.hint).toContain(`mv ${path} ${path}.bak`);
    expect(await readFile(path, "utf8")).toContain("my-own-gateway");
  });

  it("refuses a symbolic link in the file's place and leaves the link alone", async () => {
    await mkdir(join(root, "config", "systemd", "user"), { recursive: true });
    const target = join(root, "elsewhere.service");
    await writeFile(target, unit("/a"));
    await symlink(target, path);
    const err = await tesseraErrorOf(writeServiceFile(path, unit("/b")));
    expect(err.code).toBe("FILE_TYPE");
    expect(err.message).toContain("a symbolic link");
    expect(await readlink(path)).toBe(target);
    expect(await readFile(target, "utf8")).toBe(unit("/a"));
  });
});

describe("removeServiceFile", () => {
  it("removes its own file, and says absent when there is none", async () => {
    await writeServiceFile(path, unit("/a"));
    expect(await removeServiceFile(path)).toBe("removed");
    await expect(lstat(path)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await removeServiceFile(path)).toBe("absent");
  });

  it("refuses to delete a file it did not write", async () => {
    await mkdir(join(root, "config", "systemd", "user"), { recursive: true });
    await writeFile(path, "# someone else's\n[Service]\nExecStart=/bin/true\n");
    const err = await tesseraErrorOf(removeServiceFile(path));
    expect(err.code).toBe("FILE_INVALID");
    expect(err.message).toContain("will not remove it");
    expect(await readFile(path, "utf8")).toContain("someone else's");
  });
});
