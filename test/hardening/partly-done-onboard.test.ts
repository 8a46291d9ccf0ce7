/**
 * Issue 12, item 6, `tessera onboard`: it wrote the config, then the credential, then `.env`, and
 * the first failure ended it with a bare errno — with a directory at audit.jsonl the key was stored
 * but the bot token never reached `.env`. Now the config goes first (a failure there changes
 * nothing), every later write still runs, the list shows what was and was not done, and one
 * `PARTLY_DONE` error says why with the fix; running onboard again completes it.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../cli/models-harness.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { blockWrites } from "./step-failures.js";

let sb: Sandbox;
let apiKey: string;
let botToken: string;
beforeEach(async () => {
  sb = await createSandbox();
  apiKey = fakeSecret("sk-ant-api03-", 100);
  botToken = `5550001234:${fakeSecret("", 35)}`;
});
afterEach(() => sb.cleanup());

const ONBOARD = [
  "onboard",
  "--non-interactive",
  "--provider",
  "anthropic",
  "--telegram",
  "--telegram-allow",
  "111222333",
  "--secrets-stdin",
];
const onboard = (token = botToken, extra: string[] = []) =>
  sb.run([...ONBOARD, ...extra], { input: `ANTHROPIC_API_KEY=${apiKey}\nTELEGRAM_BOT_TOKEN=${token}\n` });
const envPath = () => join(sb.stateDir, ".env");
const stored = async () =>
  (await sb.readJson<{ profiles: Record<string, { key?: string }> }>(sb.profilesPath())).profiles;
const configProfiles = async () =>
  Object.keys((await sb.readJson<{ auth?: { profiles?: object } }>(sb.configPath)).auth?.profiles ?? {});

describe("onboard when a write after the config fails", () => {
  it("a directory in place of audit.jsonl: config, key and .env all written, the missing audit line said", async () => {
    await mkdir(sb.auditPath, { recursive: true });
    const res = await onboard();
    expectNoSecretIn(res.stdout + res.stderr, [apiKey, botToken]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/changed {2}\s*store\s+anthropic:default added/);
    expect(res.stdout).toMatch(/changed {2}\s*\.env\s+TELEGRAM_BOT_TOKEN set/);
    expect(res.stdout).not.toContain("done. Next");
    expect(res.stderr).toMatch(
      /^error: onboard made the changes listed as changed \(config, store, \.env\), but its audit log entry was not done \(.*audit\.jsonl is a directory/m,
    );
    expect(res.stderr).toMatch(/^ {2}fix: move it out of the way .*tessera doctor --fix/m);
    expect((await stored())["anthropic:default"]?.key).toBe(apiKey);
    expect(await configProfiles()).toEqual(["anthropic:default"]);
    expect(await readFile(envPath(), "utf8")).toBe(`TELEGRAM_BOT_TOKEN=${botToken}\n`);
  });

  it("the store cannot be written: config and .env written, the credential listed as not done; a re-run completes it", async () => {
    await mkdir(sb.agentDir(), { recursive: true, mode: 0o700 });
    const blocked = await blockWrites(sb.profilesPath());
    const res = await onboard();
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/not done\s+store\s+anthropic:default not stored \(see the error below\)/);
    expect(res.stdout).toMatch(/changed {2}\s*\.env\s+TELEGRAM_BOT_TOKEN set/);
    expect(res.stderr).toMatch(
      /^error: onboard made the changes listed as changed \(config, \.env\), but storing anthropic:default in agent main's store was not done \(.*auth-profiles\.json\.lock/m,
    );
    expect(await configProfiles()).toEqual(["anthropic:default"]);
    expect(await readFile(envPath(), "utf8")).toBe(`TELEGRAM_BOT_TOKEN=${botToken}\n`);
    // What is left is a doctor finding that says how to finish.
    const doctor = JSON.parse((await sb.run(["doctor", "--json"])).stdout) as {
      findings: { profileId?: string; what: string }[];
    };
    expect(doctor.findings.find((f) => f.profileId === "anthropic:default")?.what).toContain(
      "describes a profile that no agent stores",
    );
    await blocked.unblock();
    const again = await onboard();
    expect(again.code).toBe(0);
    expect((await stored())["anthropic:default"]?.key).toBe(apiKey);
  });

  it(".env cannot be written: config and key written, the token listed as not done", async () => {
    await mkdir(sb.stateDir, { recursive: true, mode: 0o700 });
    const blocked = await blockWrites(envPath());
    const res = await onboard();
    await blocked.unblock();
    expectNoSecretIn(res.stdout + res.stderr, [apiKey, botToken]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      /not done\s+\.env\s+TELEGRAM_BOT_TOKEN not set in .*\.env \(see the error below\)/,
    );
    expect(res.stderr).toMatch(
      /^error: onboard made the changes listed as changed \(config, store\), but setting TELEGRAM_BOT_TOKEN in .*\.env was not done/m,
    );
    expect((await stored())["anthropic:default"]?.key).toBe(apiKey);
    expect(await readFile(envPath(), "utf8").catch(() => "missing")).toBe("missing");
  });

  it("when the one write it had to do fails, the error is the plain one", async () => {
    expect((await onboard()).code).toBe(0);
    const blocked = await blockWrites(envPath());
    const newToken = `5550001234:${fakeSecret("", 35)}`;
    const res = await onboard(newToken);
    await blocked.unblock();
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain("onboard made the changes");
    expect(res.stderr).toMatch(/^error: .*\.env\.lock/m);
    expect(await readFile(envPath(), "utf8")).toBe(`TELEGRAM_BOT_TOKEN=${botToken}\n`);
  });

  it("the config cannot be written: nothing else is written either", async () => {
    await sb.writeConfig({});
    const blocked = await blockWrites(sb.configPath);
    const res = await onboard();
    await blocked.unblock();
    expect(res.code).toBe(1);
    expect(res.stderr).not.toContain("onboard made the changes");
    expect(await readFile(sb.profilesPath(), "utf8").catch(() => "missing")).toBe("missing");
    expect(await readFile(envPath(), "utf8").catch(() => "missing")).toBe("missing");
  });
});
