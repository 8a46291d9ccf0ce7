import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { createSandbox, runInPty, type Sandbox, writeExecutable } from "./models-harness.js";

let sb: Sandbox;
let binDir: string;

beforeEach(async () => {
  sb = await createSandbox();
  binDir = join(sb.root, "bin");
});

afterEach(async () => {
  await sb.cleanup();
});

const NEEDS_TTY =
  "setup-token requires an interactive TTY; run `claude setup-token` elsewhere and pipe it into `tessera models auth paste-token --provider anthropic`";

/** A stand-in for Claude Code: reports whether it got the terminal, records its args, prints a token. */
async function fakeClaude(exitCode = 0): Promise<void> {
  await writeExecutable(
    binDir,
    "claude",
    `#!/bin/sh
if [ -t 0 ] && [ -t 1 ]; then echo "fake-claude: has the terminal"; else echo "fake-claude: no terminal"; fi
echo "$@" > "${join(sb.root, "claude-args")}"
echo "Your OAuth token (valid for 1 year):"
echo "sk-ant-oat01-this-is-what-claude-printed"
exit ${exitCode}
`,
  );
}

const ptyEnv = () => ({ ...sb.env, PATH: binDir });
const PROMPT = "input hidden): ";
/** What a terminal sends for a paste with bracketed paste on, line breaks included. */
const bracketedPaste = (text: string) => `\x1b[200~${text}\x1b[201~`;

describe("models auth setup-token", () => {
  it("without a TTY exits 1 with the message of PRODUCT §6.6", async () => {
    await fakeClaude();
    const res = await sb.run(["models", "auth", "setup-token", "--provider", "anthropic"], {
      env: { PATH: binDir },
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr.split("\n")[0]).toBe(`error: ${NEEDS_TTY}`);
    await expect(readFile(join(sb.root, "claude-args"))).rejects.toThrow(/ENOENT/);
  });

  it("hands the terminal to `claude setup-token`, then stores the pasted token as anthropic:claude-cli", async () => {
    await fakeClaude();
    const token = fakeSecret("sk-ant-oat01-", 108);
    // A token wrapped over two lines by the terminal it was copied from, pasted with bracketed paste.
    const res = await runInPty(["models", "auth", "setup-token"], {
      env: ptyEnv(),
      steps: [
        { waitFor: PROMPT, send: `${bracketedPaste(`${token.slice(0, 50)}\r\n${token.slice(50)}`)}\r` },
      ],
    });
    expect(res.output).toContain("fake-claude: has the terminal");
    expect(res.code).toBe(0);
    expect(await readFile(join(sb.root, "claude-args"), "utf8")).toBe("setup-token\n");
    expect(res.output).toContain("Added anthropic:claude-cli");
    expect(res.output).toContain(`…${token.slice(-4)} #`);
    // Nothing typed was echoed.
    expectNoSecretIn(res.output, [token]);

    const stored = await sb.readJson<{ profiles: Record<string, unknown> }>(sb.profilesPath());
    expect(stored.profiles["anthropic:claude-cli"]).toMatchObject({
      type: "token",
      provider: "anthropic",
      token,
      origin: "user",
    });
    expect(await sb.readJson(sb.configPath)).toEqual({
      auth: { profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "oauth" } } },
    });
  });

  it("a pasted profile in the claude-cli slot is never overwritten by Claude Code sync", async () => {
    await fakeClaude();
    const token = fakeSecret("sk-ant-oat01-", 108);
    const res = await runInPty(["models", "auth", "setup-token"], {
      env: ptyEnv(),
      steps: [{ waitFor: PROMPT, send: `${token}\r` }],
    });
    expect(res.code).toBe(0);
    await sb.writeClaudeCredentials({
      accessToken: fakeSecret("sk-ant-oat01-", 108),
      refreshToken: fakeSecret("sk-ant-ort01-", 108),
      expiresAt: Date.now() + 3_600_000,
    });
    const status = JSON.parse((await sb.run(["models", "status", "--json"])).stdout) as {
      claudeCode: { status: string };
    };
    expect(status.claudeCode.status).toBe("shadowed");
    const stored = await sb.readJson<{ profiles: Record<string, { token: string }> }>(sb.profilesPath());
    expect(stored.profiles["anthropic:claude-cli"]!.token).toBe(token);
  });

  it("backspace and Ctrl-U edit the hidden input", async () => {
    await fakeClaude();
    const token = fakeSecret("sk-ant-oat01-", 108);
    const res = await runInPty(["models", "auth", "setup-token"], {
      env: ptyEnv(),
      steps: [{ waitFor: PROMPT, send: `garbage\x15${token}xy\x7f\x7f\r` }],
    });
    expect(res.code).toBe(0);
    const stored = await sb.readJson<{ profiles: Record<string, { token: string }> }>(sb.profilesPath());
    expect(stored.profiles["anthropic:claude-cli"]!.token).toBe(token);
  });

  it("refuses what is not a setup-token, storing nothing", async () => {
    await fakeClaude();
    const key = fakeSecret("sk-ant-api03-", 108);
    const res = await runInPty(["models", "auth", "setup-token"], {
      env: ptyEnv(),
      steps: [{ waitFor: PROMPT, send: `${key}\r` }],
    });
    expect(res.code).toBe(1);
    expect(res.output).toContain("this is an Anthropic API key (sk-ant-api…), not a token");
    expectNoSecretIn(res.output, [key]);
    await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
  });

  it("Ctrl-C at the prompt cancels and stores nothing", async () => {
    await fakeClaude();
    const res = await runInPty(["models", "auth", "setup-token"], {
      env: ptyEnv(),
      steps: [{ waitFor: PROMPT, send: "sk-ant-oat01-abc\x03" }],
    });
    expect(res.code).toBe(1);
    expect(res.output).toContain("error: cancelled; nothing was stored");
    await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
  });

  it("a missing `claude` is a clear error with the install hint", async () => {
    const res = await runInPty(["models", "auth", "setup-token"], { env: ptyEnv() });
    expect(res.code).toBe(1);
    expect(res.output).toContain("error: the `claude` command (Claude Code) was not found on PATH");
    expect(res.output).toContain("fix: npm install -g @anthropic-ai/claude-code");
  });

  it("a failing `claude setup-token` stops before the prompt", async () => {
    await fakeClaude(3);
    const res = await runInPty(["models", "auth", "setup-token"], { env: ptyEnv() });
    expect(res.code).toBe(1);
    expect(res.output).toContain("`claude setup-token` exited with code 3; nothing was stored");
    expect(res.output).not.toContain(PROMPT);
  });

  it("refuses other providers", async () => {
    const res = await sb.run(["models", "auth", "setup-token", "--provider", "openai"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("setup-token is only for anthropic");
  });
});

describe("colour on a terminal", () => {
  it("models status is coloured on a TTY, and not with NO_COLOR set", async () => {
    await sb.writeProfiles({
      "anthropic:default": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-", 100) },
    });
    const coloured = await runInPty(["models", "status"], { env: sb.env });
    expect(coloured.code).toBe(0);
    expect(coloured.output).toContain("\x1b[32mok");
    const plain = await runInPty(["models", "status"], { env: { ...sb.env, NO_COLOR: "1" } });
    expect(plain.code).toBe(0);
    expect(plain.output).toContain("anthropic:default");
    expect(plain.output).not.toContain("\x1b[");
  });
});
