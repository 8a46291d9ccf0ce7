import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enablementLinks } from "../../src/service/systemd-enablement.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-enablement-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("enablementLinks", () => {
  it("finds the links systemctl enable makes, dangling ones included, and nothing else", async () => {
    expect(await enablementLinks(join(dir, "missing"), "tessera-gateway.service")).toEqual([]);
    await mkdir(join(dir, "default.target.wants"));
    await mkdir(join(dir, "timers.target.wants"));
    await symlink("/nowhere/other.service", join(dir, "default.target.wants", "other.service"));
    expect(await enablementLinks(dir, "tessera-gateway.service")).toEqual([]);
    await symlink(
      join(dir, "tessera-gateway.service"),
      join(dir, "default.target.wants", "tessera-gateway.service"),
    );
    await mkdir(join(dir, "multi-user.target.requires"));
    await symlink("/gone", join(dir, "multi-user.target.requires", "tessera-gateway.service"));
    expect(await enablementLinks(dir, "tessera-gateway.service")).toEqual([
      join(dir, "default.target.wants", "tessera-gateway.service"),
      join(dir, "multi-user.target.requires", "tessera-gateway.service"),
    ]);
  });
});
