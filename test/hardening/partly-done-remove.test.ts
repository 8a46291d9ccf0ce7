/**
 * Issue 12, item 6, `tessera models auth remove`: a failure after the profile left the store (the
 * usage record, the audit line, the config entries) exited 1 with a bare errno and skipped every
 * later step — with a directory at audit.jsonl the config kept naming the removed profile. Now the
 * store write comes first, every later step still runs, the command says which were not done, and
 * doctor reports (and `--fix` finishes) what is left.
 */
import { mkdir } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../cli/models-harness.js";
import { fakeSecret } from "../support/secrets.js";
import { blockWrites } from "./step-failures.js";

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
  await sb.writeConfig({
    auth: {
      profiles: {
        "anthropic:a": { provider: "anthropic", mode: "api_key" },
        "anthropic:b": { provider: "anthropic", mode: "api_key" },
      },
      order: { anthropic: ["anthropic:a", "anthropic:b"] },
    },
  });
  const key = () => ({
    type: "api_key",
    provider: "anthropic",
    key: fakeSecret("sk-ant-api03-"),
    origin: "user",
  });
  await sb.writeProfiles({ "anthropic:a": key(), "anthropic:b": key() });
});
afterEach(() => sb.cleanup());

interface Config {
  auth?: { profiles?: Record<string, unknown>; order?: Record<string, string[]> };
}
interface Doctor {
  findings: { check: string; severity: string; what: string; profileId?: string; autoFix: string | null }[];
}
const remove = () => sb.run(["models", "auth", "remove", "anthropic:a"]);
const storedIds = async () =>
  Object.keys((await sb.readJson<{ profiles: Record<string, unknown> }>(sb.profilesPath())).profiles);
const doctorJson = async () => JSON.parse((await sb.run(["doctor", "--json"])).stdout) as Doctor;

describe("models auth remove when a step after the store write fails", () => {
  it("a directory in place of audit.jsonl: removed from the store and the config, the missing audit line said", async () => {
    await mkdir(sb.auditPath);
    const res = await remove();
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("Removed anthropic:a from agent main");
    expect(res.stdout).toContain("Removed anthropic:a from config auth.profiles / auth.order");
    expect(res.stderr).toMatch(
      /^error: anthropic:a is removed from agent main's store and no longer used, but its audit log entry was not done \(.*audit\.jsonl is a directory/m,
    );
    expect(res.stderr).toMatch(
      /^ {2}fix: move it out of the way .*; then `tessera doctor --fix` completes what it can$/m,
    );
    expect(await storedIds()).toEqual(["anthropic:b"]);
    const config = await sb.readJson<Config>(sb.configPath);
    expect(Object.keys(config.auth?.profiles ?? {})).toEqual(["anthropic:b"]);
    expect(config.auth?.order).toEqual({ anthropic: ["anthropic:b"] });
  });

  it("the config cannot be written: removed from the store, and doctor --fix removes the config entries", async () => {
    const blocked = await blockWrites(sb.configPath);
    const res = await remove();
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("Removed anthropic:a from agent main");
    expect(res.stdout).toContain(`Config ${sb.configPath} still names anthropic:a (see the error below)`);
    expect(res.stderr).toMatch(
      /^error: anthropic:a is removed from agent main's store and no longer used, but removing auth\.profiles\["anthropic:a"\] and its auth\.order entries from the config was not done \(.*config\.json\.lock/m,
    );
    expect(res.stderr).toMatch(/^ {2}fix: .*then `tessera doctor --fix` completes what it can$/m);
    expect(await storedIds()).toEqual(["anthropic:b"]);
    expect((await sb.readAudit()).map((l) => `${l.action} ${l.target}`)).toContain(
      "profile.remove anthropic:a",
    );
    await blocked.unblock();

    const before = await doctorJson();
    const leftover = before.findings.filter((f) => f.profileId === "anthropic:a");
    // One finding, with its repair: not also the orphaned-metadata and order warnings, which need a person.
    expect(leftover).toEqual([
      expect.objectContaining({
        check: "removed-profiles",
        severity: "warning",
        autoFix: expect.stringContaining(
          'remove anthropic:a from auth.profiles["anthropic:a"] and auth.order.anthropic',
        ),
      }),
    ]);
    const fixed = await sb.run(["doctor", "--fix"]);
    expect(fixed.stdout).toContain("removed anthropic:a from");
    const config = await sb.readJson<Config>(sb.configPath);
    expect(Object.keys(config.auth?.profiles ?? {})).toEqual(["anthropic:b"]);
    expect(config.auth?.order).toEqual({ anthropic: ["anthropic:b"] });
    expect((await doctorJson()).findings.filter((f) => f.profileId === "anthropic:a")).toEqual([]);
  });

  it("config metadata written ahead of a profile (no removal in the audit log) is only reported, never removed", async () => {
    await sb.writeProfiles({});
    const doctor = await doctorJson();
    const orphan = doctor.findings.find((f) => f.profileId === "anthropic:a" && f.check === "profiles");
    expect(orphan?.what).toContain("describes a profile that no agent stores");
    expect(orphan?.autoFix).toBeNull();
    await sb.run(["doctor", "--fix"]);
    expect(Object.keys((await sb.readJson<Config>(sb.configPath)).auth?.profiles ?? {})).toEqual([
      "anthropic:a",
      "anthropic:b",
    ]);
  });

  it("auth-state.json cannot be written: removed, the usage record left is reported and --fix drops it", async () => {
    await sb.writeAuthState({
      version: 1,
      usage: {
        "anthropic:a": { failureCounts: { rate_limit: 1 }, cooldownUntil: Date.now() + 60_000 },
        "anthropic:b": { failureCounts: {}, lastUsed: 1 },
        "env:ANTHROPIC_API_KEY": { failureCounts: {}, lastUsed: 2 },
      },
      lastGood: { anthropic: "anthropic:a" },
      notified: {},
    });
    const blocked = await blockWrites(sb.authStatePath());
    const res = await remove();
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^error: anthropic:a is removed from agent main's store and no longer used, but removing its usage record from .*auth-state\.json was not done/m,
    );
    // The steps after the failed one still ran.
    expect(Object.keys((await sb.readJson<Config>(sb.configPath)).auth?.profiles ?? {})).toEqual([
      "anthropic:b",
    ]);
    expect((await sb.readAudit()).map((l) => l.action)).toContain("profile.remove");
    await blocked.unblock();

    const stale = (await doctorJson()).findings.find((f) => f.check === "removed-profiles");
    expect(stale?.what).toMatch(
      /keeps usage records for 1 profile\(s\) the store no longer holds \(anthropic:a\)/,
    );
    expect(stale?.autoFix).toContain("drop the usage records");
    await sb.run(["doctor", "--fix"]);
    const state = await sb.readJson<{ usage: Record<string, unknown>; lastGood: Record<string, string> }>(
      sb.authStatePath(),
    );
    expect(Object.keys(state.usage).sort()).toEqual(["anthropic:b", "env:ANTHROPIC_API_KEY"]);
    expect(state.lastGood).toEqual({});
  });

  it("the store write itself fails: nothing is changed and the error is the plain one", async () => {
    const blocked = await blockWrites(sb.profilesPath());
    const res = await remove();
    await blocked.unblock();
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain("but");
    expect(res.stderr).toMatch(/^error: .*auth-profiles\.json\.lock/m);
    expect(await storedIds()).toEqual(["anthropic:a", "anthropic:b"]);
    expect(Object.keys((await sb.readJson<Config>(sb.configPath)).auth?.profiles ?? {})).toHaveLength(2);
  });
});
