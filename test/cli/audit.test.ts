import { mkdir, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { createSandbox, type Sandbox } from "./models-harness.js";

/** `tessera audit` through the built CLI: listing, `--since`, `--agent`, `--json`, bad lines. */

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const DAY = 86_400_000;
const line = (daysAgo: number, action: string, fields: Record<string, string> = {}) =>
  JSON.stringify({
    ts: new Date(Date.now() - daysAgo * DAY).toISOString(),
    actor: "cli:alice",
    surface: "cli",
    action,
    agent: "main",
    ...fields,
  });

async function writeAudit(lines: string[]) {
  await mkdir(sb.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(sb.auditPath, `${lines.join("\n")}\n`, { mode: 0o600 });
}

describe("tessera audit", () => {
  it("lists entries oldest first in columns, and filters with --since and --agent", async () => {
    await writeAudit([
      line(30, "profile.add", { target: "anthropic:old", detail: "api_key #aaaaaa" }),
      line(2, "order.set", { target: "anthropic", detail: "anthropic:work,anthropic:default" }),
      line(1, "pin.profile", {
        actor: "telegram:42",
        surface: "chat",
        agent: "work",
        target: "telegram:dm:42",
      }),
    ]);
    const all = await sb.run(["audit"]);
    expect(all.code).toBe(0);
    const rows = all.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^time +actor +surface +action +agent +target +detail$/);
    expect(rows.slice(1).map((r) => r.split(/ {2,}/)[3])).toEqual([
      "profile.add",
      "order.set",
      "pin.profile",
    ]);
    expect(rows[1]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +cli:alice +cli +profile\.add +main +anthropic:old +api_key #aaaaaa$/,
    );

    const recent = await sb.run(["audit", "--since", "7d"]);
    expect(recent.stdout).not.toContain("profile.add");
    expect(recent.stdout).toContain("order.set");
    const work = await sb.run(["audit", "--since", "7d", "--agent", "work"]);
    expect(work.stdout.trim().split("\n")).toHaveLength(2);
    expect(work.stdout).toContain("telegram:dm:42");
  });

  it("prints JSON with the entries, the cut-off and unreadable lines", async () => {
    await writeAudit([
      line(3, "profile.remove", { target: "openai:default" }),
      "{not json",
      line(0, "profile.add"),
    ]);
    const since = new Date(Date.now() - 5 * DAY).toISOString().slice(0, 10);
    const result = await sb.run(["audit", "--since", since, "--json"]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      path: string;
      since: string;
      entries: { action: string }[];
      badLines: number[];
    };
    expect(json.path).toBe(sb.auditPath);
    expect(json.since).toBe(`${since}T00:00:00.000Z`);
    expect(json.entries.map((e) => e.action)).toEqual(["profile.remove", "profile.add"]);
    expect(json.badLines).toEqual([2]);
    expect(result.stderr).toMatch(
      /^warning: 1 unreadable line\(s\) in .*audit\.jsonl \(line 2\); skipped\n$/,
    );
  });

  it("says so when there is nothing, refuses a bad --since, and masks a secret that slipped into the log", async () => {
    const empty = await sb.run(["audit", "--since", "1h"]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^no audit entries since \d{4}-.* in .*audit\.jsonl\n$/);
    const bad = await sb.run(["audit", "--since", "yesterday"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: invalid --since "yesterday"');

    const secret = fakeSecret("sk-ant-api03-", 100);
    await writeAudit([line(0, "profile.add", { detail: `written by an old version: ${secret}` })]);
    for (const args of [["audit"], ["audit", "--json"]]) {
      const result = await sb.run(args);
      expect(result.code).toBe(0);
      expectNoSecretIn(result.stdout + result.stderr, [secret]);
    }
  });

  it("works on top of the log the other commands write", async () => {
    const key = fakeSecret("sk-ant-api03-", 100);
    const onboard = await sb.run(
      ["onboard", "--non-interactive", "--provider", "anthropic", "--secrets-stdin"],
      {
        input: `ANTHROPIC_API_KEY=${key}\n`,
      },
    );
    expect(onboard.code).toBe(0);
    const result = await sb.run(["audit", "--json"]);
    const json = JSON.parse(result.stdout) as { entries: Record<string, string>[] };
    expect(json.entries).toEqual([
      expect.objectContaining({
        actor: "cli:tester",
        surface: "onboard",
        action: "profile.add",
        target: "anthropic:default",
      }),
    ]);
    expectNoSecretIn(result.stdout, [key]);
  });
});
