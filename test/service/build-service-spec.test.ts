import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveStatePaths } from "../../src/config/paths.js";
import { buildGatewayServiceSpec } from "../../src/service/build-service-spec.js";
import { findTesseraLauncher } from "../../src/service/tessera-launcher.js";
import { tesseraErrorOf } from "../support/errors.js";

let root: string;
let stateDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-spec-"));
  stateDir = join(root, "state");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("buildGatewayServiceSpec", () => {
  it("names this node and this install's bin, and TESSERA_CONFIG only for a config elsewhere", async () => {
    const plain = await buildGatewayServiceSpec({
      paths: resolveStatePaths({ stateDir }),
      manager: "systemd-user",
    });
    expect(plain).toEqual({
      nodePath: process.execPath,
      binPath: findTesseraLauncher(),
      stateDir,
      configPath: undefined,
    });
    const elsewhere = join(root, "conf", "tessera.json");
    const named = await buildGatewayServiceSpec({
      paths: resolveStatePaths({ stateDir, configPath: elsewhere }),
      manager: "systemd-user",
    });
    expect(named.configPath).toBe(elsewhere);
  });

  it("runs a system unit as the owner of the state dir", async () => {
    await mkdir(stateDir, { mode: 0o700 });
    const owner = await stat(stateDir);
    const spec = await buildGatewayServiceSpec({
      paths: resolveStatePaths({ stateDir }),
      manager: "systemd-system",
    });
    expect(spec.runAs).toEqual({ uid: owner.uid, gid: owner.gid });
  });

  it("refuses a system unit for a state dir that does not exist (no owner to run as)", async () => {
    const err = await tesseraErrorOf(
      buildGatewayServiceSpec({ paths: resolveStatePaths({ stateDir }), manager: "systemd-system" }),
    );
    expect(err.message).toBe(
      `the state dir ${stateDir} does not exist; a system service runs as the user who owns the state dir, so it must be set up first`,
    );
    expect(err.hint).toContain("tessera onboard");
  });

  it("refuses a node path with a quote for systemd, which cannot run it; launchd can", async () => {
    const nodePath = join(root, `it's`, "node");
    const paths = resolveStatePaths({ stateDir });
    const err = await tesseraErrorOf(buildGatewayServiceSpec({ paths, manager: "systemd-user", nodePath }));
    expect(err.message).toContain("has a quote or a backslash in its path, and systemd refuses");
    expect((await buildGatewayServiceSpec({ paths, manager: "launchd", nodePath })).nodePath).toBe(nodePath);
  });
});
