/**
 * The bookkeeping after a model answer, coalesced (issue 11): successes are laid over this process's
 * reads at once, written in one locked write per batch, merged with what other processes wrote in
 * between by time (a later failure keeps its marks, a later success elsewhere keeps lastGood), and
 * written at exit. See src/auth/deferred-successes.ts.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthStateFileSchema, applyFailure, recordSuccess } from "../../src/auth/auth-state.js";
import { AuthStore } from "../../src/auth/auth-store.js";
import { DeferredSuccesses } from "../../src/auth/deferred-successes.js";
import { authStatePath } from "../../src/config/paths.js";
import { JsonStateFile } from "../../src/files/json-state-file.js";
import { fakeSecret } from "../support/secrets.js";

const who = { actor: "test", surface: "test" };
const T0 = 1_800_000_000_000;
let stateDir: string;
let store: AuthStore;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-deferred-"));
  store = new AuthStore(stateDir, "main");
  for (const id of ["anthropic:a", "anthropic:b"])
    await store.upsertProfile(
      id,
      { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
      who,
    );
});
afterEach(async () => {
  await store.flushUsage().catch(() => {});
  await rm(stateDir, { recursive: true, force: true });
});

const onDisk = async () =>
  AuthStateFileSchema.parse(JSON.parse(await readFile(authStatePath(stateDir, "main"), "utf8")));

describe("recordSuccess", () => {
  const empty = () => AuthStateFileSchema.parse({});

  it("clears marks and sets lastUsed and lastGood, like a success always did", () => {
    const state = empty();
    state.usage["anthropic:a"] = applyFailure({ failureCounts: {} }, "rate_limit", T0);
    recordSuccess(state, "anthropic:a", "anthropic", T0 + 1000);
    expect(state.usage["anthropic:a"]).toEqual({
      failureCounts: { rate_limit: 1 },
      lastFailureAt: T0,
      lastUsed: T0 + 1000,
    });
    expect(state.lastGood).toEqual({ anthropic: "anthropic:a" });
  });

  it("keeps the marks of a failure recorded after the success", () => {
    const state = empty();
    state.usage["anthropic:a"] = applyFailure({ failureCounts: {} }, "auth", T0 + 5000, { message: "401" });
    recordSuccess(state, "anthropic:a", "anthropic", T0);
    expect(state.usage["anthropic:a"]?.needsReauth).toMatchObject({ reason: "401" });
    expect(state.usage["anthropic:a"]?.lastUsed).toBe(T0);
  });

  it("never moves lastUsed or lastGood back in time, so batches may land in any order", () => {
    const a = empty();
    recordSuccess(a, "anthropic:b", "anthropic", T0 + 10);
    recordSuccess(a, "anthropic:a", "anthropic", T0);
    recordSuccess(a, "anthropic:b", "anthropic", T0 + 5);
    const b = empty();
    recordSuccess(b, "anthropic:a", "anthropic", T0);
    recordSuccess(b, "anthropic:b", "anthropic", T0 + 5);
    recordSuccess(b, "anthropic:b", "anthropic", T0 + 10);
    expect(a).toEqual(b);
    expect(a.lastGood.anthropic).toBe("anthropic:b");
    expect(a.usage["anthropic:b"]?.lastUsed).toBe(T0 + 10);
  });
});

describe("AuthStore.markSuccess, coalesced", () => {
  it("is seen by this process at once and written in one batch", async () => {
    const file = authStatePath(stateDir, "main");
    const before = await stat(file).catch(() => undefined);
    for (let i = 0; i < 50; i++)
      await store.markSuccess(i % 2 ? "anthropic:a" : "anthropic:b", "anthropic", T0 + i);
    // Not written yet…
    expect((await stat(file).catch(() => undefined))?.mtimeMs).toBe(before?.mtimeMs);
    // …but every read in this process (another store on the same file too) sees them.
    const { state } = await new AuthStore(stateDir, "main").load();
    expect(state.lastGood.anthropic).toBe("anthropic:a");
    expect(state.usage["anthropic:a"]?.lastUsed).toBe(T0 + 49);
    expect(state.usage["anthropic:b"]?.lastUsed).toBe(T0 + 48);
    await store.flushUsage();
    const written = await onDisk();
    expect(written.lastGood).toEqual({ anthropic: "anthropic:a" });
    expect(written.usage["anthropic:a"]?.lastUsed).toBe(T0 + 49);
  });

  it("is written within a second without anyone asking", async () => {
    await store.markSuccess("anthropic:a", "anthropic", T0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await onDisk()).usage["anthropic:a"]?.lastUsed).toBe(T0);
  });

  it("merges with a failure another writer recorded in between, keeping that failure's marks", async () => {
    await store.markSuccess("anthropic:a", "anthropic", T0);
    // Another process: a 429 on the same profile after our success, written at once.
    await new AuthStore(stateDir, "main").stateFile.update((state) => {
      state.usage["anthropic:a"] = applyFailure({ failureCounts: {} }, "rate_limit", T0 + 1_000);
      state.lastGood.anthropic = "anthropic:b";
      state.usage["anthropic:b"] = { failureCounts: {}, lastUsed: T0 + 2_000 };
    });
    await store.flushUsage();
    const state = await onDisk();
    expect(state.usage["anthropic:a"]?.cooldownUntil).toBeGreaterThan(T0);
    expect(state.usage["anthropic:a"]?.lastUsed).toBe(T0);
    expect(state.lastGood.anthropic).toBe("anthropic:b");
  });

  it("does not bring back a profile removed before the batch was written", async () => {
    await store.markSuccess("anthropic:a", "anthropic", T0);
    await store.removeProfile("anthropic:a", who);
    await store.flushUsage();
    const state = await store.stateFile.read();
    expect(state.usage["anthropic:a"]).toBeUndefined();
    expect(state.lastGood.anthropic).toBeUndefined();
  });

  it("keeps a batch whose write failed, hands its error out once, and writes it when it can", async () => {
    // A state file under a path that is not a directory stands in for a read-only or full disk.
    const blocked = join(stateDir, "blocked");
    await writeFile(blocked, "not a directory");
    const file = new JsonStateFile(join(blocked, "auth-state.json"), AuthStateFileSchema, () =>
      AuthStateFileSchema.parse({}),
    );
    const ledger = new DeferredSuccesses(file, stateDir);
    ledger.add("anthropic:a", "anthropic", T0);
    await expect(ledger.flush()).rejects.toThrow();
    expect(ledger.takeFailure()?.message).toContain(blocked);
    expect(ledger.takeFailure()).toBeUndefined();
    // Still laid over reads, and written once the disk takes it.
    expect(ledger.overlay(AuthStateFileSchema.parse({})).usage["anthropic:a"]?.lastUsed).toBe(T0);
    await rm(blocked);
    await ledger.flush();
    expect((await file.read()).usage["anthropic:a"]?.lastUsed).toBe(T0);
    expect(ledger.idle).toBe(true);
  });

  it("does not re-create a state dir that was removed", async () => {
    await store.markSuccess("anthropic:a", "anthropic", T0);
    await rm(stateDir, { recursive: true, force: true });
    await store.flushUsage();
    expect(existsSync(stateDir)).toBe(false);
  });

  it("is written when a process that recorded it ends by itself", async () => {
    const built = fileURLToPath(new URL("../../dist/src/auth/auth-store.js", import.meta.url));
    const script = `const { AuthStore } = await import(${JSON.stringify(built)});
      await new AuthStore(process.argv[1], "main").markSuccess("anthropic:b", "anthropic", ${T0 + 7});`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, stateDir], { stdio: "pipe" });
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const started = Date.now();
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    // It did not sit out the batching delay either.
    expect(Date.now() - started).toBeLessThan(5_000);
    const state = await onDisk();
    expect(state.usage["anthropic:b"]?.lastUsed).toBe(T0 + 7);
    expect(state.lastGood.anthropic).toBe("anthropic:b");
  });
});
