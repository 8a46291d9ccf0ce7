/**
 * Issue 12, item 13: two keys on two lines were joined into one key; a 60 KB "key" was stored;
 * "unknown profile" errors listed every profile; a read-only state dir did not say so. Now: two lines
 * that each start like a key are refused ("two lines — paste one key"), secrets are capped at a sane
 * length per provider, unknown-profile errors list at most 10 then "… and N more; `tessera models
 * auth list`", and a state dir that refuses writes is named with the fix.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listProfileIds } from "../../src/auth/credentials.js";
import { joinPastedSecret, validatePastedSecret } from "../../src/cli/token-validation.js";
import { createSandbox, orderSetArgs, type Sandbox } from "../cli/models-harness.js";
import { makeReadOnly } from "../support/read-only-dirs.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { chattrUnavailable } from "./step-failures.js";

describe("pasted secrets", () => {
  it("two keys on two lines are refused; one key wrapped over lines is joined", () => {
    const a = fakeSecret("sk-ant-api03-", 108);
    const b = fakeSecret("sk-ant-api03-", 108);
    expect(() => joinPastedSecret(`${a}\n${b}\n`)).toThrow(/two lines — paste one key/);
    expect(() => joinPastedSecret(`${a}\r\n\r\n  ${b}`)).toThrow(/two lines/);
    expect(joinPastedSecret(`${a.slice(0, 50)}\n${a.slice(50)}\n`)).toBe(a);
    expect(joinPastedSecret(`  ${a}  \n`)).toBe(a);
  });

  it.each([
    ["anthropic", "api_key", fakeSecret("sk-ant-api03-", 60_000)],
    ["openai", "api_key", fakeSecret("sk-proj-", 60_000)],
    ["openrouter", "api_key", fakeSecret("sk-or-v1-", 2_000)],
    ["mycorp", "token", fakeSecret("", 60_000)],
  ] as const)("a %s %s far longer than any real one is refused", (provider, kind, secret) => {
    let message = "";
    try {
      validatePastedSecret(provider, kind, secret);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/characters long, more than .* ever is \(at most \d+\)/);
    expectNoSecretIn(message, [secret]);
  });

  it("real lengths still pass", () => {
    validatePastedSecret("anthropic", "api_key", fakeSecret("sk-ant-api03-", 108));
    validatePastedSecret("openai", "api_key", fakeSecret("sk-proj-", 164));
    validatePastedSecret("mycorp", "token", fakeSecret("eyJ", 2_000));
  });
});

describe("through the CLI", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await createSandbox();
  });
  afterEach(async () => {
    try {
      execFileSync("chattr", ["-R", "-i", sb.stateDir], { stdio: "ignore" });
    } catch {}
    await sb.cleanup();
  });

  it("paste-api-key refuses two keys on two lines and stores nothing", async () => {
    const keys = [fakeSecret("sk-ant-api03-", 108), fakeSecret("sk-ant-api03-", 108)];
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], {
      input: `${keys.join("\n")}\n`,
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("two lines — paste one key");
    expectNoSecretIn(res.stderr, keys);
    await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
  });

  it("an unknown id in order set lists at most 10 known profiles, then how many more", async () => {
    const profiles: Record<string, unknown> = {};
    for (let i = 0; i < 25; i++)
      profiles[`anthropic:p${String(i).padStart(2, "0")}`] = {
        type: "api_key",
        provider: "anthropic",
        key: fakeSecret("sk-ant-api03-"),
      };
    await sb.writeProfiles(profiles);
    const res = await sb.run(orderSetArgs("anthropic", "anthropic:nope"));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      "no profile anthropic:nope (known: anthropic:p00, anthropic:p01, anthropic:p02, anthropic:p03, anthropic:p04, anthropic:p05, anthropic:p06, anthropic:p07, anthropic:p08, anthropic:p09, … and 15 more; `tessera models auth list`)",
    );
    expect(listProfileIds(["a:1", "a:2"])).toBe("a:1, a:2");
  });

  it("a state dir that refuses writes says so, with the fix, at once", async (ctx) => {
    await sb.writeConfig({});
    // A normal user: chmod a-w; root (which ignores modes): the immutable flag.
    const readOnly = await makeReadOnly([sb.stateDir]);
    ctx.skip(
      readOnly === undefined,
      `nothing can make a directory read-only here: running as root and ${chattrUnavailable}`,
    );
    const started = Date.now();
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", "anthropic"], {
      input: `${fakeSecret("sk-ant-api03-", 108)}\n`,
    });
    await readOnly!.restore();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      new RegExp(`^error: cannot .*${sb.stateDir}.*(not permitted|permission denied)`, "m"),
    );
    expect(res.stderr).toMatch(
      /^ {2}fix: .*(lsattr -d; clear an immutable flag with chattr -i|chmod|chown)/m,
    );
  });
});
