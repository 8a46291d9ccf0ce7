import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { quarantineFile, quarantineStamp } from "../../src/doctor/quarantine.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-quarantine-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const corrupt = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};

describe("quarantineFile", () => {
  it("renames the file to <file>.corrupt-<time> with its bytes and 0600, leaving no original", async () => {
    const path = join(dir, "auth-profiles.json");
    await writeFile(path, "{ torn", { mode: 0o644 });
    const now = new Date("2025-01-31T12:04:05.678Z");
    const moved = await quarantineFile(path, corrupt, { now });
    expect(moved).toBe(`${path}.corrupt-2025-01-31T12-04-05Z`);
    expect(await readFile(moved!, "utf8")).toBe("{ torn");
    expect((await stat(moved!)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((n) => !n.endsWith(".lock"))).toEqual([
      "auth-profiles.json.corrupt-2025-01-31T12-04-05Z",
    ]);
  });

  it("never overwrites an earlier quarantine of the same second", async () => {
    const path = join(dir, "sessions.json");
    const now = new Date("2025-01-31T12:04:05Z");
    await writeFile(path, "first");
    const a = await quarantineFile(path, corrupt, { now });
    await writeFile(path, "second");
    const b = await quarantineFile(path, corrupt, { now });
    expect(b).toBe(`${a}-2`);
    expect(await readFile(a!, "utf8")).toBe("first");
    expect(await readFile(b!, "utf8")).toBe("second");
  });

  it("leaves a file alone that parses by the time it runs, and reports a missing one", async () => {
    const path = join(dir, "auth-state.json");
    await writeFile(path, "{}");
    await expect(quarantineFile(path, corrupt)).rejects.toThrow(/parses now .* left in place/);
    expect(await readFile(path, "utf8")).toBe("{}");
    expect(await quarantineFile(join(dir, "missing.json"), corrupt)).toBeUndefined();
  });

  it("leaves the mode of a directory that is not ours alone, and chmods its own to 0700", async () => {
    const own = join(dir, "state");
    const foreign = join(dir, "etc");
    for (const d of [own, foreign]) {
      await mkdir(d);
      await chmod(d, 0o755);
      await writeFile(join(d, "config.json"), "{ torn");
    }
    expect(await quarantineFile(join(foreign, "config.json"), corrupt, { foreignDir: true })).toBeDefined();
    expect((await stat(foreign)).mode & 0o777).toBe(0o755);
    expect(await quarantineFile(join(own, "config.json"), corrupt)).toBeDefined();
    expect((await stat(own)).mode & 0o777).toBe(0o700);
  });

  it("stamps without colons, so the name is valid on every filesystem", () => {
    expect(quarantineStamp(new Date("2030-12-01T00:00:59.999Z"))).toBe("2030-12-01T00-00-59Z");
  });
});
