/**
 * Issue 12, item 12: one profile of a type Tessera does not know (a newer Clawdbot layout) made the
 * whole store unreadable, and the suggested `doctor --fix` moved every credential aside. Such an
 * entry is now kept as an opaque entry: shown as unsupported, never used, preserved on every write;
 * the store is never quarantined for one entry.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../cli/models-harness.js";
import { fakeSecret } from "../support/secrets.js";

const AWS_ENTRY = {
  type: "aws_sso",
  provider: "bedrock",
  sessionToken: "opaque-value",
  region: "eu-west-1",
  nested: { startUrl: "https://example.awsapps.com/start", scopes: ["a", "b"] },
};
const BROKEN_ENTRY = { type: "api_key", provider: "anthropic" };

let sb: Sandbox;
let key: string;
beforeEach(async () => {
  sb = await createSandbox();
  key = fakeSecret("sk-ant-api03-", 100);
  await sb.writeProfiles(
    {
      "anthropic:work": { type: "api_key", provider: "anthropic", key },
      "bedrock:sso": AWS_ENTRY,
      "anthropic:broken": BROKEN_ENTRY,
    },
    { anthropic: ["anthropic:work"] },
  );
});
afterEach(() => sb.cleanup());

interface StoreFile {
  profiles: Record<string, unknown>;
}

describe("a store with an entry Tessera cannot use", () => {
  it("still works: status uses the other profiles and shows the entry as unsupported", async () => {
    const status = await sb.run(["models", "status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      providers: { provider: string; next: string | null; profiles: { id: string }[] }[];
      problems: { severity: string; profileId?: string; what: string }[];
    };
    expect(report.providers.find((p) => p.provider === "anthropic")?.next).toBe("anthropic:work");
    // Never a candidate anywhere.
    const ids = report.providers.flatMap((p) => p.profiles.map((c) => c.id));
    expect(ids).not.toContain("bedrock:sso");
    expect(ids).not.toContain("anthropic:broken");
    const sso = report.problems.find((p) => p.profileId === "bedrock:sso");
    expect(sso?.severity).toBe("warning");
    expect(sso?.what).toContain('unsupported — credential type "aws_sso"');
    const list = await sb.run(["models", "auth", "list"]);
    expect(list.stdout).toMatch(/bedrock:sso\s+aws_sso\s+unsupported/);
    expect(list.stdout).toMatch(/anthropic:broken\s+api_key\s+unsupported/);
  });

  it("is written back exactly as it was when the store changes", async () => {
    const paste = await sb.run(
      ["models", "auth", "paste-api-key", "--provider", "anthropic", "--profile-id", "anthropic:two"],
      { input: `${fakeSecret("sk-ant-api03-", 100)}\n` },
    );
    expect(paste.code, paste.stderr).toBe(0);
    const order = await sb.run([
      "models",
      "auth",
      "order",
      "set",
      "--provider",
      "anthropic",
      "anthropic:two",
    ]);
    expect(order.code, order.stderr).toBe(0);
    const stored = await sb.readJson<StoreFile>(sb.profilesPath());
    expect(stored.profiles["bedrock:sso"]).toEqual(AWS_ENTRY);
    expect(stored.profiles["anthropic:broken"]).toEqual(BROKEN_ENTRY);
    expect(Object.keys(stored.profiles).sort()).toEqual(
      ["anthropic:broken", "anthropic:two", "anthropic:work", "bedrock:sso"].sort(),
    );
  });

  it("doctor reports it as a warning and --fix never moves the store aside", async () => {
    const fixed = await sb.run(["doctor", "--fix", "--json"]);
    const result = JSON.parse(fixed.stdout) as {
      findings: { check: string; severity: string; what: string; path?: string }[];
    };
    expect(result.findings.filter((f) => f.path === sb.profilesPath() && f.severity === "error")).toEqual([]);
    expect(result.findings.some((f) => f.severity === "warning" && f.what.includes("bedrock:sso"))).toBe(
      true,
    );
    const names = await readdir(dirname(sb.profilesPath()));
    expect(names.filter((n) => n.includes(".corrupt-"))).toEqual([]);
    expect(JSON.parse(await readFile(sb.profilesPath(), "utf8")).profiles["bedrock:sso"]).toEqual(AWS_ENTRY);
  });
});
