import { spawn } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type OAuthFake, startOAuthFake } from "../fakes/anthropic-oauth-server.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { CLI, type CliResult, createSandbox, modeOf, REPO_ROOT, type Sandbox } from "./models-harness.js";

/**
 * `tessera onboard` through the built CLI: `--non-interactive` writes config, store and `.env`
 * (0600), is idempotent, takes secrets from stdin or the environment and never from argv, and
 * prints no secret. Build first.
 */

let sb: Sandbox;
let apiKey: string;
let botToken: string;
let discordToken: string;

beforeEach(async () => {
  sb = await createSandbox();
  apiKey = fakeSecret("sk-ant-api03-", 100);
  botToken = `5550001234:${fakeSecret("", 35)}`;
  discordToken = `${fakeSecret("", 26)}.${fakeSecret("", 6)}.${fakeSecret("", 38)}`;
});
afterEach(async () => {
  await sb.cleanup();
});

const envPath = () => join(sb.stateDir, ".env");

function clean(result: CliResult, extra: string[] = []) {
  expectNoSecretIn(result.stdout + result.stderr, [apiKey, botToken, discordToken, ...extra]);
}

const ONBOARD = [
  "onboard",
  "--non-interactive",
  "--provider",
  "anthropic",
  "--telegram",
  "--telegram-allow",
  "111222333",
  "--owner",
  "telegram:111222333",
  "--secrets-stdin",
];

describe("tessera onboard --non-interactive", () => {
  it("writes config, the credential and .env (0600), then changes nothing when run again", async () => {
    const input = `ANTHROPIC_API_KEY=${apiKey}\nTELEGRAM_BOT_TOKEN=${botToken}\n`;
    const first = await sb.run(ONBOARD, { input });
    clean(first);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("anthropic:default added (api_key …");
    expect(first.stdout).toContain(`TELEGRAM_BOT_TOKEN set (…${botToken.slice(-4)}`);

    expect(await sb.readJson(sb.configPath)).toEqual({
      auth: { profiles: { "anthropic:default": { provider: "anthropic", mode: "api_key" } } },
      channels: { telegram: { enabled: true, allowFrom: ["111222333"] } },
      access: { owners: ["telegram:111222333"] },
    });
    const store = await sb.readJson<{ profiles: Record<string, Record<string, unknown>> }>(sb.profilesPath());
    expect(store.profiles["anthropic:default"]).toMatchObject({
      type: "api_key",
      provider: "anthropic",
      key: apiKey,
      origin: "onboard",
    });
    expect(await readFile(envPath(), "utf8")).toBe(`TELEGRAM_BOT_TOKEN=${botToken}\n`);
    for (const path of [sb.configPath, sb.profilesPath(), envPath(), sb.auditPath])
      expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(sb.stateDir)).toBe(0o700);
    // Secrets live in the store and .env only.
    expect(await readFile(sb.configPath, "utf8")).not.toContain(botToken.slice(12, 30));
    const audit = await readFile(sb.auditPath, "utf8");
    expect(audit).toMatch(
      /"surface":"onboard","action":"profile.add","agent":"main","target":"anthropic:default"/,
    );
    expectNoSecretIn(audit, [apiKey]);

    const files = [sb.configPath, sb.profilesPath(), envPath(), sb.auditPath];
    const before = await Promise.all(files.map(snapshot));
    const second = await sb.run(ONBOARD, { input });
    clean(second);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("nothing changed: everything was already as asked.");
    expect(await Promise.all(files.map(snapshot))).toEqual(before);
  });

  it("takes secrets from the environment when stdin is not used, and prints them as JSON masks only", async () => {
    const result = await sb.run(
      [
        "onboard",
        "--non-interactive",
        "--provider",
        "anthropic",
        "--discord",
        "--discord-allow",
        "998877665544",
        "--json",
      ],
      { env: { ANTHROPIC_API_KEY: apiKey, DISCORD_BOT_TOKEN: discordToken } },
    );
    clean(result);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      agent: string;
      changed: boolean;
      changes: { area: string }[];
    };
    expect(json).toMatchObject({ agent: "main", changed: true });
    expect(json.changes.map((c) => c.area)).toEqual(["config", "config", "config", "store", ".env"]);
    expect(await readFile(envPath(), "utf8")).toBe(`DISCORD_BOT_TOKEN=${discordToken}\n`);
  });

  it("refuses secrets in argv without echoing them, and writes nothing", async () => {
    for (const flag of ["--api-key", "--token", "--telegram-token", "--discord-token"]) {
      const result = await sb.run([
        "onboard",
        "--non-interactive",
        "--provider",
        "anthropic",
        `${flag}=${apiKey}`,
      ]);
      clean(result);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `error: ${flag} is not accepted: secrets on the command line are visible`,
      );
      expect(result.stderr).toMatch(/fix: pipe them as KEY=value lines/);
    }
    await expect(stat(sb.stateDir)).rejects.toThrow(/ENOENT/);
  });

  it("keeps other .env lines, replaces the key in place and never duplicates it", async () => {
    await sb.writeConfig({});
    const old = `123456789:${fakeSecret("", 35)}`;
    const original = `# bot settings\nexport TELEGRAM_BOT_TOKEN=${old}\nOPENAI_API_KEY=keep-me\nTELEGRAM_BOT_TOKEN=${old}\n`;
    await writeFile(envPath(), original, { mode: 0o644 });
    const args = ["onboard", "--non-interactive", "--telegram", "--secrets-stdin"];
    const result = await sb.run(args, { input: `TELEGRAM_BOT_TOKEN=${botToken}\n` });
    clean(result, [old]);
    expect(result.code).toBe(0);
    expect(await readFile(envPath(), "utf8")).toBe(
      `# bot settings\nexport TELEGRAM_BOT_TOKEN=${botToken}\nOPENAI_API_KEY=keep-me\n`,
    );
    expect(await modeOf(envPath())).toBe(0o600);
    const again = await sb.run(args, { input: `TELEGRAM_BOT_TOKEN=${botToken}\n` });
    expect(again.stdout).toContain("nothing changed");
    expect((await readFile(envPath(), "utf8")).match(/TELEGRAM_BOT_TOKEN/g)).toHaveLength(1);
  });

  it("refuses to touch a line that belongs to another key's multi-line value", async () => {
    await sb.writeConfig({});
    const old = `123456789:${fakeSecret("", 35)}`;
    // The second TELEGRAM_BOT_TOKEN line is inside NOTES; folding it away would cut NOTES short.
    const original = `TELEGRAM_BOT_TOKEN=${old}\nNOTES="moved the bot:\nTELEGRAM_BOT_TOKEN=${old}\n"\n`;
    await writeFile(envPath(), original, { mode: 0o600 });
    const result = await sb.run(["onboard", "--non-interactive", "--telegram", "--secrets-stdin"], {
      input: `TELEGRAM_BOT_TOKEN=${botToken}\n`,
    });
    clean(result, [old]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("without changing NOTES");
    expect(await readFile(envPath(), "utf8")).toBe(original);
  });

  it("refuses a pasted code#state or a wrong bot token before writing anything", async () => {
    const codeState = `${fakeSecret("", 40)}#${fakeSecret("", 40)}`;
    const bad = await sb.run(["onboard", "--non-interactive", "--provider", "anthropic", "--secrets-stdin"], {
      input: `ANTHROPIC_API_KEY="${codeState}"\n`,
    });
    clean(bad, [codeState]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/looks like an OAuth authorization code \(code#state\)/);

    const badBot = await sb.run(["onboard", "--non-interactive", "--telegram", "--secrets-stdin"], {
      input: `ANTHROPIC_API_KEY=${apiKey}\nTELEGRAM_BOT_TOKEN=not-a-token\n`,
    });
    expect(badBot.code).toBe(1);
    expect(badBot.stderr).toContain("TELEGRAM_BOT_TOKEN does not look like a telegram bot token");

    const typo = await sb.run(["onboard", "--non-interactive", "--secrets-stdin"], {
      input: `ANTROPIC_API_KEY=${apiKey}\n`,
    });
    clean(typo);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("--secrets-stdin: unknown name(s) ANTROPIC_API_KEY");
    await expect(stat(sb.stateDir)).rejects.toThrow(/ENOENT/);
  });

  it("needs a secret for a new profile, but keeps a stored one when re-run without it", async () => {
    const missing = await sb.run(["onboard", "--non-interactive", "--provider", "openai"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      "no API key given for openai (looked for OPENAI_API_KEY on stdin and in the environment)",
    );

    const key = fakeSecret("sk-proj-", 80);
    const first = await sb.run(["onboard", "--non-interactive", "--provider", "openai", "--secrets-stdin"], {
      input: `OPENAI_API_KEY=${key}\n`,
    });
    clean(first, [key]);
    expect(first.code).toBe(0);
    // The default model moves to the chosen provider when it used another one.
    expect(first.stdout).toContain("models.default = openai/gpt-5 (was anthropic/claude-sonnet-4-5)");
    const rerun = await sb.run(["onboard", "--non-interactive", "--provider", "openai"]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain("openai:default kept (api_key …");
    expect(rerun.stdout).toContain("nothing changed");
  });

  it("stores an Anthropic setup-token for a new agent, adding the agent to the config", async () => {
    const token = fakeSecret("sk-ant-oat01-", 108);
    const result = await sb.run(
      [
        "onboard",
        "--non-interactive",
        "--agent",
        "work",
        "--provider",
        "anthropic",
        "--expires-in",
        "365d",
        "--secrets-stdin",
      ],
      { input: `CLAUDE_CODE_OAUTH_TOKEN=${token}\n` },
    );
    clean(result, [token]);
    expect(result.code).toBe(0);
    expect(await sb.readJson(sb.configPath)).toMatchObject({
      agents: { list: [{ id: "main" }, { id: "work" }] },
      auth: { profiles: { "anthropic:default": { provider: "anthropic", mode: "token" } } },
    });
    const store = await sb.readJson<{ profiles: Record<string, { type: string; expires: number }> }>(
      sb.profilesPath("work"),
    );
    expect(store.profiles["anthropic:default"]!.type).toBe("token");
    expect(store.profiles["anthropic:default"]!.expires).toBeGreaterThan(Date.now() + 364 * 86_400_000);
  });

  it("asks for a terminal without --non-interactive", async () => {
    const result = await sb.run(["onboard"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: tessera onboard asks questions and needs a terminal");
    expect(result.stderr).toContain("tessera onboard --non-interactive");
  });
});

describe("tessera onboard (wizard)", () => {
  it("walks through the questions on a terminal and writes the same files", async () => {
    const steps = [
      { waitFor: "Which agent", send: "\r" },
      { waitFor: "Which model provider", send: "\r" }, // anthropic
      { waitFor: "How does Tessera authenticate", send: "\r" }, // API key
      { waitFor: "Paste the anthropic API key", send: `${apiKey}\r` },
      { waitFor: "Default model", send: "\r" },
      { waitFor: "Use telegram?", send: "y" },
      { waitFor: "telegram bot token", send: `${botToken}\r` },
      { waitFor: "telegram user ids to allow", send: "111222333\r" },
      { waitFor: "Use discord?", send: "\r" },
      { waitFor: "Owners to add", send: "telegram:111222333\r" },
      { waitFor: "Write these settings?", send: "\r" },
    ];
    const result = await runWizard(sb.env, steps);
    expectNoSecretIn(result.output, [apiKey, botToken]);
    expect(result.code).toBe(0);
    expect(await sb.readJson(sb.configPath)).toEqual({
      auth: { profiles: { "anthropic:default": { provider: "anthropic", mode: "api_key" } } },
      channels: { telegram: { enabled: true, allowFrom: ["111222333"] } },
      access: { owners: ["telegram:111222333"] },
    });
    expect(await readFile(envPath(), "utf8")).toBe(`TELEGRAM_BOT_TOKEN=${botToken}\n`);
  });
});

describe("tessera onboard (wizard) with an OAuth login", () => {
  let oauth: OAuthFake;
  beforeEach(async () => {
    oauth = await startOAuthFake();
  });
  afterEach(() => oauth.close());

  it("logs in with PKCE: the pasted code#state is exchanged and stored as anthropic:<email>", async () => {
    await sb.writeConfig({ models: { providers: { anthropic: { oauthTokenUrl: oauth.tokenUrl } } } });
    const code = fakeSecret("code-", 40);
    const answerWithCode = (output: string) => {
      // The URL is printed inside a box; take its query from the raw terminal output.
      const flat = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[│\s]+/g, "");
      const state = /[?&]state=([A-Za-z0-9_-]+)/.exec(flat)?.[1] ?? "";
      const challenge = /[?&]code_challenge=([A-Za-z0-9_-]+)/.exec(flat)?.[1] ?? "";
      oauth.registerAuthCode({ code, codeChallenge: challenge, state, email: "me@example.com" });
      return `${code}#${state}\r`;
    };
    const steps = [
      { waitFor: "Which agent", send: "\r" },
      { waitFor: "Which model provider", send: "\r" }, // anthropic
      { waitFor: "How does Tessera authenticate", send: "\x1b[B\x1b[B\r" }, // log in (OAuth)
      { waitFor: "Paste the code", send: answerWithCode },
      { waitFor: "Default model", send: "\r" },
      { waitFor: "Use telegram?", send: "n" },
      { waitFor: "Use discord?", send: "n" },
      { waitFor: "Owners to add", send: "\r" },
      { waitFor: "Write these settings?", send: "\r" },
    ];
    const result = await runWizard(sb.env, steps);
    expect(result.code, result.output).toBe(0);
    expect(oauth.countCalls("authorization_code")).toBe(1);
    const issued = oauth.issued.at(-1)!;
    const store = await sb.readJson<{ profiles: Record<string, Record<string, unknown>> }>(sb.profilesPath());
    expect(store.profiles["anthropic:me@example.com"]).toMatchObject({
      type: "oauth",
      access: issued.accessToken,
      refresh: issued.refreshToken,
      origin: "onboard",
    });
    expect(await sb.readJson(sb.configPath)).toMatchObject({
      auth: { profiles: { "anthropic:me@example.com": { provider: "anthropic", mode: "oauth" } } },
    });
    expectNoSecretIn(result.output, [issued.accessToken, issued.refreshToken]);
  });
});

async function snapshot(path: string) {
  const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
  return { path, text, mtime: info.mtimeMs };
}

/**
 * Runs `tessera onboard` on a pseudo-terminal (util-linux `script`) sized 120×40 — a pty made without
 * a parent terminal is 0×0, and the prompts would wrap every character — and answers each prompt once
 * its text has appeared, like a person typing.
 */
function runWizard(
  env: Record<string, string>,
  steps: { waitFor: string; send: string | ((output: string) => string) }[],
): Promise<{ code: number | null; output: string }> {
  const command = `stty cols 120 rows 40; exec '${process.execPath}' '${CLI}' onboard`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: REPO_ROOT, env, stdio: "pipe" });
    const pending = [...steps];
    let output = "";
    let seen = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      for (let at = output.indexOf(pending[0]?.waitFor ?? "\0", seen); at >= 0 && pending.length > 0; ) {
        seen = at + 1;
        const { send } = pending.shift()!;
        child.stdin.write(typeof send === "string" ? send : send(output));
        at = pending.length > 0 ? output.indexOf(pending[0]!.waitFor, seen) : -1;
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        output: pending.length ? `${output}\n[still waiting for: ${pending[0]!.waitFor}]` : output,
      });
    });
  });
}
