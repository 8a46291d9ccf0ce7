import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthStore } from "../../src/auth/auth-store.js";
import { isTesseraError } from "../../src/errors.js";
import { withFileLock } from "../../src/files/file-lock.js";
import { assertBuilt, killStrayWriters, startWriter } from "./writer-process.js";

let stateDir: string;
let store: AuthStore;
const who = { actor: "test", surface: "test" };
const apiKey = (key: string) => ({ type: "api_key" as const, provider: "anthropic", key });

beforeAll(assertBuilt);
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-lock-"));
  store = new AuthStore(stateDir, "main");
});
afterEach(async () => {
  await killStrayWriters();
  await rm(stateDir, { recursive: true, force: true });
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("withFileLock in one process", () => {
  it("runs callers one at a time, in call order", async () => {
    const path = join(stateDir, "x.json");
    const events: string[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        withFileLock(path, async () => {
          events.push(`in ${i}`);
          await new Promise((r) => setTimeout(r, 5));
          events.push(`out ${i}`);
        }),
      ),
    );
    expect(events).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`in ${i}`, `out ${i}`]));
    expect(await exists(`${path}.lock`)).toBe(false);
  });

  it("a failing caller does not block the next one", async () => {
    const path = join(stateDir, "x.json");
    const failing = withFileLock(path, async () => {
      throw new Error("boom");
    });
    const next = withFileLock(path, async () => "ran");
    await expect(failing).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ran");
  });
});

describe("withFileLock across processes", () => {
  it("a live holder makes us fail with LOCK_BUSY rather than write unlocked; its clean exit frees the lock", async () => {
    await store.upsertProfile("anthropic:a", apiKey("sk-ant-api03-aaaaaaaaaaaaaaaaaaaa"), who);
    const holder = startWriter(["hold", stateDir]);
    await holder.waitFor((lines) => lines.includes("holding"), 20_000);

    let ran = false;
    const err = await withFileLock(
      store.path,
      async () => {
        ran = true;
      },
      { waitMs: 400 },
    ).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(isTesseraError(err) && err.code).toBe("LOCK_BUSY");
    expect(isTesseraError(err) && err.message).toContain(`${store.path}.lock`);
    expect(isTesseraError(err) && err.hint).toContain(`${store.path}.lock`);

    // SIGTERM runs the holder's exit handlers, which remove its lock: no stale wait for the next writer.
    holder.child.kill("SIGTERM");
    await holder.exited;
    expect(await exists(`${store.path}.lock`)).toBe(false);
    await withFileLock(store.path, async () => {}, { waitMs: 400 });
  });

  it("a holder killed with SIGKILL leaves its lock, which the next writer takes over once stale", async () => {
    await store.upsertProfile("anthropic:a", apiKey("sk-ant-api03-aaaaaaaaaaaaaaaaaaaa"), who);
    const bytes = await readFile(store.path, "utf8");
    const holder = startWriter(["hold", stateDir]);
    await holder.waitFor((lines) => lines.includes("holding"), 20_000);
    holder.child.kill("SIGKILL");
    expect((await holder.exited).signal).toBe("SIGKILL");
    expect(await exists(`${store.path}.lock`)).toBe(true);
    expect(await readFile(store.path, "utf8")).toBe(bytes);

    // Waits out the stale time (seconds), then writes under a lock of its own.
    await store.upsertProfile("anthropic:b", apiKey("sk-ant-api03-bbbbbbbbbbbbbbbbbbbb"), who);
    expect(Object.keys((await store.load()).profiles.profiles).sort()).toEqual([
      "anthropic:a",
      "anthropic:b",
    ]);
    expect(await exists(`${store.path}.lock`)).toBe(false);
  });

  it("a holder frozen past the stale time does not write, and does not remove the lock of whoever took over", async () => {
    await store.upsertProfile("anthropic:a", apiKey("sk-ant-api03-aaaaaaaaaaaaaaaaaaaa"), who);
    const frozen = startWriter(["stall", stateDir, "8000"]);
    await frozen.waitFor((lines) => lines.includes("holding"), 20_000);

    // Once the frozen holder's lock is stale we take it over, and hold it until that holder has
    // woken up, tried to write and exited.
    await withFileLock(store.path, async () => {
      await frozen.exited;
      expect(await exists(`${store.path}.lock`)).toBe(true);
    });
    expect(frozen.lines).toContain("failed LOCK_COMPROMISED");
    expect(frozen.lines).not.toContain("wrote");
    await store.upsertProfile("anthropic:b", apiKey("sk-ant-api03-bbbbbbbbbbbbbbbbbbbb"), who);
    expect(Object.keys((await store.load()).profiles.profiles).sort()).toEqual([
      "anthropic:a",
      "anthropic:b",
    ]);
  });
});
