import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyAuthState } from "../../src/auth/auth-state.js";
import { emptyAuthProfiles } from "../../src/auth/credentials.js";
import { credentialOf, resolveCandidates } from "../../src/auth/resolver.js";
import {
  defaultWantedKeys,
  envSnapshotOf,
  loadEnvironment,
  parseEnvZero,
  readLoginShellEnv,
} from "../../src/config/env.js";
import { type Config, ConfigSchema } from "../../src/config/schema.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

let dir: string;
let envPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-env-"));
  envPath = join(dir, ".env");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A fake login shell: a `#!/bin/sh` script that ignores its arguments (`-l -c 'env -0'`) and runs
 * `body`. It also records that it ran, so tests can tell whether the import happened at all.
 */
async function fakeShell(body: string): Promise<{ shell: string; ran: () => Promise<boolean> }> {
  const shell = join(dir, "fake-shell");
  const marker = join(dir, "shell-ran");
  await writeFile(shell, `#!/bin/sh\n: > '${marker}'\n${body}\n`, { mode: 0o755 });
  return {
    shell,
    ran: () =>
      access(marker).then(
        () => true,
        () => false,
      ),
  };
}

function configWith(env: unknown = {}, extra: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({ env, ...extra });
}

const shellOn = (timeoutMs = 20_000) => ({ shellEnv: { enabled: true, timeoutMs } });
/** A process env with nothing Tessera looks for, so the host's own variables cannot leak into a test. */
const baseEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, ...extra });

/**
 * Whether `pid` has exited (or is a zombie waiting for its new parent to reap it) within a few
 * seconds; a killed process goes at once, a `sleep 30` that was left alone does not.
 */
async function becomesGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (/^\d+ \(.*\) Z/.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe("precedence: process env → <state>/.env → config env.vars → login shell", () => {
  it("takes each value from the first source that sets it, and never overrides a set value", async () => {
    await writeFile(envPath, "A=dotenv\nB=dotenv\nC=dotenv\n");
    const { shell } = await fakeShell(`printf 'A=shell\\0B=shell\\0C=shell\\0D=shell\\0E=shell\\0'`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ A: "process", SHELL: shell }),
      envPath,
      config: configWith({ ...shellOn(), vars: { A: "config", B: "config", D: "config" } }),
      wantedKeys: ["A", "B", "C", "D", "E"],
    });
    expect(env.get("A")).toEqual({ value: "process", origin: "process" });
    expect(env.get("B")).toEqual({ value: "dotenv", origin: "dotenv" });
    expect(env.get("C")).toEqual({ value: "dotenv", origin: "dotenv" });
    expect(env.get("D")).toEqual({ value: "config", origin: "config" });
    expect(env.get("E")).toEqual({ value: "shell", origin: "shell" });
    expect(env.shellImported).toEqual(["E"]);
    expect(env.shellError).toBeUndefined();
  });

  it("does not count empty (or blank) values as set", async () => {
    await writeFile(envPath, "A=\nB=dotenv\nC=   \n");
    const { shell } = await fakeShell(`printf 'C=shell\\0'`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ A: "", B: "", SHELL: shell }),
      envPath,
      config: configWith({ ...shellOn(), vars: { A: "config", C: "" } }),
      wantedKeys: ["A", "B", "C"],
    });
    expect(env.get("A")).toEqual({ value: "config", origin: "config" });
    expect(env.get("B")).toEqual({ value: "dotenv", origin: "dotenv" });
    expect(env.get("C")).toEqual({ value: "shell", origin: "shell" });
  });

  it("reads .env quoting and comments the usual way", async () => {
    await writeFile(envPath, '# keys for the daemon\nA="with spaces"\nB=plain # trailing comment\n');
    const env = await loadEnvironment({ processEnv: baseEnv(), envPath, config: configWith() });
    expect(env.get("A")?.value).toBe("with spaces");
    expect(env.get("B")?.value).toBe("plain");
  });

  it("works without a .env file", async () => {
    const env = await loadEnvironment({ processEnv: baseEnv({ A: "1" }), envPath, config: configWith() });
    expect(env.get("A")).toEqual({ value: "1", origin: "process" });
    expect(env.get("B")).toBeUndefined();
  });

  it("never writes process.env", async () => {
    await writeFile(envPath, "TESSERA_TEST_ONLY_VAR=x\n");
    await loadEnvironment({ processEnv: baseEnv(), envPath, config: configWith() });
    expect(process.env.TESSERA_TEST_ONLY_VAR).toBeUndefined();
  });
});

describe("login-shell import", () => {
  it("imports each wanted key that is still missing, per key (not all-or-nothing)", async () => {
    const { shell } = await fakeShell(
      `printf 'ANTHROPIC_API_KEY=from-shell\\0OPENAI_API_KEY=sk-openai-shell\\0OPENROUTER_API_KEY=sk-or-shell\\0UNWANTED=1\\0'`,
    );
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell, ANTHROPIC_API_KEY: "from-process" }),
      envPath,
      config: configWith(shellOn()),
    });
    expect(env.get("ANTHROPIC_API_KEY")).toEqual({ value: "from-process", origin: "process" });
    expect(env.get("OPENAI_API_KEY")).toEqual({ value: "sk-openai-shell", origin: "shell" });
    expect(env.get("OPENROUTER_API_KEY")).toEqual({ value: "sk-or-shell", origin: "shell" });
    expect(env.get("UNWANTED")).toBeUndefined();
    expect(env.shellImported).toEqual(["OPENAI_API_KEY", "OPENROUTER_API_KEY"]);
  });

  it("looks for custom providers' apiKeyEnv too", async () => {
    const config = configWith(shellOn(), {
      models: { providers: { local: { baseUrl: "http://127.0.0.1:1/v1", apiKeyEnv: "LOCAL_LLM_KEY" } } },
    });
    expect(defaultWantedKeys(config)).toContain("LOCAL_LLM_KEY");
    const { shell } = await fakeShell(`printf 'LOCAL_LLM_KEY=abc\\0'`);
    const env = await loadEnvironment({ processEnv: baseEnv({ SHELL: shell }), envPath, config });
    expect(env.get("LOCAL_LLM_KEY")).toEqual({ value: "abc", origin: "shell" });
    expect(env.shellImported).toEqual(["LOCAL_LLM_KEY"]);
  });

  it("keeps values with newlines and '=' intact", async () => {
    const { shell } = await fakeShell(`printf 'A=line1\\nline2\\0B=x=y\\0'`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn()),
      wantedKeys: ["A", "B"],
    });
    expect(env.get("A")?.value).toBe("line1\nline2");
    expect(env.get("B")?.value).toBe("x=y");
  });

  it("is not run when disabled", async () => {
    const { shell, ran } = await fakeShell(`printf 'A=shell\\0'`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith({ shellEnv: { enabled: false } }),
      wantedKeys: ["A"],
    });
    expect(await ran()).toBe(false);
    expect(env.get("A")).toBeUndefined();
    expect(env.shellImported).toEqual([]);
    expect(env.shellError).toBeUndefined();
  });

  it("is not run when no wanted key is missing", async () => {
    const { shell, ran } = await fakeShell(`printf 'A=shell\\0'`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell, A: "process" }),
      envPath,
      config: configWith(shellOn()),
      wantedKeys: ["A"],
    });
    expect(await ran()).toBe(false);
    expect(env.shellImported).toEqual([]);
  });

  it("gives a shellError mentioning the timeout, without throwing, when the shell hangs", async () => {
    const secret = fakeSecret("sk-ant-api03-");
    const { shell, ran } = await fakeShell(`printf 'A=${secret}\\0'\nsleep 30`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn(300)),
      wantedKeys: ["A"],
    });
    expect(await ran()).toBe(true);
    expect(env.shellError).toMatch(/timed out after 300ms/);
    expect(env.shellError).toContain("env.shellEnv.timeoutMs");
    expect(env.shellError).toContain(shell);
    expectNoSecretIn(env.shellError ?? "", [secret]);
    expect(env.get("A")).toBeUndefined();
    expect(env.shellImported).toEqual([]);
  });

  it("kills what a hung shell started, so nothing is left behind", async () => {
    const pidFile = join(dir, "child.pid");
    const { shell } = await fakeShell(`sleep 30 &\necho $! > '${pidFile}'\nwait`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn(300)),
      wantedKeys: ["A"],
    });
    expect(env.shellError).toMatch(/timed out/);
    expect(await becomesGone(Number(await readFile(pidFile, "utf8")))).toBe(true);
  });

  it("does not keep a process the profile left running in the background", async () => {
    // `sleep` inherits the shell's stdout: a reader that waits for the pipe to close would sit there
    // until the timeout, and the orphan would outlive us.
    const pidFile = join(dir, "child.pid");
    const { shell } = await fakeShell(`sleep 30 &\necho $! > '${pidFile}'\nprintf 'A=1\\0'`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn(20_000)),
      wantedKeys: ["A"],
    });
    expect(env.shellError).toBeUndefined();
    expect(env.get("A")).toEqual({ value: "1", origin: "shell" });
    expect(await becomesGone(Number(await readFile(pidFile, "utf8")))).toBe(true);
  });

  it("reads past a banner the profile prints before `env -0`", async () => {
    const { shell } = await fakeShell(
      `echo 'Welcome to host!'\necho 'Last login: today'\nprintf 'A=1\\0B=2\\0'`,
    );
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn()),
      wantedKeys: ["A", "B"],
    });
    expect(env.shellImported).toEqual(["A", "B"]);
    expect(env.get("A")?.value).toBe("1");
  });

  it("reports a shell that fails, and keeps what other sources gave", async () => {
    await writeFile(envPath, "A=dotenv\n");
    const { shell } = await fakeShell(`printf 'B=2\\0'\nexit 3`);
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn()),
      wantedKeys: ["A", "B"],
    });
    expect(env.shellError).toMatch(/exited with status 3/);
    expect(env.get("A")).toEqual({ value: "dotenv", origin: "dotenv" });
    expect(env.get("B")).toBeUndefined();
  });

  it("reports a $SHELL that does not exist", async () => {
    const shell = join(dir, "no-such-shell");
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell }),
      envPath,
      config: configWith(shellOn()),
      wantedKeys: ["A"],
    });
    expect(env.shellError).toContain(shell);
    expect(env.shellError).toMatch(/ENOENT/);
  });

  it("passes the process env to the shell", async () => {
    const { shell } = await fakeShell(`printf 'SEEN=%s\\0' "$TESSERA_PROBE"`);
    const map = await readLoginShellEnv(shell, 20_000, baseEnv({ TESSERA_PROBE: "hello" }));
    expect(map.get("SEEN")).toBe("hello");
  });
});

describe("parseEnvZero", () => {
  it("drops entries that are not variables", () => {
    const map = parseEnvZero("A=1\0junk\0=x\0BAD NAME=2\0B=\0");
    expect([...map.entries()]).toEqual([
      ["A", "1"],
      ["B", ""],
    ]);
  });
});

describe("origins in the resolver's candidate source", () => {
  it("shows `env: NAME` for process, .env and config values and `shell env: NAME` for the shell", async () => {
    const oauth = fakeSecret("sk-ant-oat01-", 100);
    const setup = fakeSecret("sk-ant-oat01-", 100);
    const apiKey = fakeSecret("sk-ant-api03-");
    await writeFile(envPath, `CLAUDE_CODE_OAUTH_TOKEN=${setup}\n`);
    const { shell } = await fakeShell(`printf 'ANTHROPIC_API_KEY=${apiKey}\\0'`);
    const config = configWith(shellOn());
    const env = await loadEnvironment({
      processEnv: baseEnv({ SHELL: shell, ANTHROPIC_OAUTH_TOKEN: oauth }),
      envPath,
      config,
    });
    const resolution = resolveCandidates({
      provider: "anthropic",
      auth: { profiles: emptyAuthProfiles(), state: emptyAuthState() },
      config,
      env,
      now: Date.now(),
      warnWithinMs: 86_400_000,
    });
    expect(resolution.candidates.map((c) => [c.id, c.type, c.source])).toEqual([
      ["env:ANTHROPIC_OAUTH_TOKEN", "token", "env: ANTHROPIC_OAUTH_TOKEN"],
      ["env:CLAUDE_CODE_OAUTH_TOKEN", "token", "env: CLAUDE_CODE_OAUTH_TOKEN"],
      ["env:ANTHROPIC_API_KEY", "api_key", "shell env: ANTHROPIC_API_KEY"],
    ]);
    expect(credentialOf(resolution.candidates[2]!)).toMatchObject({ type: "api_key", key: apiKey });
    expectNoSecretIn(JSON.stringify(resolution), [oauth, setup, apiKey]);
  });

  it("envSnapshotOf gives one origin to every value and ignores empty ones", () => {
    const env = envSnapshotOf({ A: "1", B: "" }, "shell");
    expect(env.get("A")).toEqual({ value: "1", origin: "shell" });
    expect(env.get("B")).toBeUndefined();
    expect(env.shellImported).toEqual([]);
  });
});
