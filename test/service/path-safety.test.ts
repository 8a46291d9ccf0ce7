import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { refuseUnsafePath } from "../../src/service/path-safety.js";
import { tesseraErrorOf } from "../support/errors.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-path-safety-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("refuseUnsafePath", () => {
  it("accepts a path whose every directory only its owner may write, existing or not", async () => {
    await writeFile(join(root, "node"), "", { mode: 0o755 });
    await refuseUnsafePath(join(root, "node"), "the node binary");
    await refuseUnsafePath(join(root, "not", "yet", "there"), "the state dir");
  });

  it("refuses a relative path", async () => {
    const err = await tesseraErrorOf(refuseUnsafePath("state", "the state dir"));
    expect(err.message).toBe(
      "the state dir state is a relative path; a service starts in its own working directory, so it would point elsewhere",
    );
    expect(err.hint).toContain("absolute path");
  });

  it("refuses a control character", async () => {
    const err = await tesseraErrorOf(refuseUnsafePath(join(root, "a\nb"), "the state dir"));
    expect(err.message).toContain("contains a control character");
  });

  it("refuses a group-writable directory above the path, naming it and the chmod that fixes it", async () => {
    const shared = join(root, "shared");
    await mkdir(join(shared, "tessera", "bin"), { recursive: true });
    await chmod(shared, 0o775);
    const bin = join(shared, "tessera", "bin", "tessera.js");
    const err = await tesseraErrorOf(refuseUnsafePath(bin, "Tessera's launcher"));
    expect(err.code).toBe("USAGE");
    expect(err.message).toBe(
      `Tessera's launcher ${bin} is not safe to name in a service file: ${shared} is writable by its group (mode 0775) (${shared} is in its path), so they could change what the service runs`,
    );
    expect(err.hint).toBe(`chmod go-w ${shared}, then run tessera gateway install again`);
  });

  it("refuses a world-writable file itself", async () => {
    const node = join(root, "node");
    await writeFile(node, "");
    await chmod(node, 0o757);
    const err = await tesseraErrorOf(refuseUnsafePath(node, "the node binary"));
    expect(err.message).toContain(`${node} is writable by every local user (mode 0757), so`);
  });

  it("accepts a world-writable directory with the sticky bit (like /tmp)", async () => {
    const sticky = join(root, "tmp");
    await mkdir(sticky);
    await chmod(sticky, 0o1777);
    await mkdir(join(sticky, "state"), { mode: 0o700 });
    await refuseUnsafePath(join(sticky, "state"), "the state dir");
  });
});

describe("refuseUnsafePath: owners", () => {
  it("refuses a path owned by someone who is neither root nor the user the service runs as", async () => {
    const node = join(root, "node");
    await writeFile(node, "", { mode: 0o755 });
    const me = process.getuid!();
    // Trusting only a uid that owns nothing here stands for "the files belong to another user".
    const stranger = me === 0 ? 4242 : 0;
    const err = await tesseraErrorOf(refuseUnsafePath(node, "the node binary", [stranger]));
    expect(err.message).toBe(
      `the node binary ${node} is not safe to name in a service file: ${node} belongs to uid ${me}, neither root nor the user the service runs as, so that user could change what the service runs`,
    );
    expect(err.hint).toMatch(/^use a node binary owned by root or by the user the service runs as/);
    // The owner trusted: accepted.
    await refuseUnsafePath(node, "the node binary", [stranger, me]);
  });
});
