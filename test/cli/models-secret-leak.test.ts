import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OAuthFake, startOAuthFake } from "../fakes/anthropic-oauth-server.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import {
  type CliResult,
  createSandbox,
  inHours,
  orderSetArgs,
  runInPty,
  type Sandbox,
  startCli,
} from "./models-harness.js";

/**
 * Every `models` command, in every output mode, against a store full of known secrets: no output
 * (stdout or stderr), and no file that is not a secret store, may reveal more than the last 4
 * characters of any of them.
 */

let sb: Sandbox;
let fake: OAuthFake;
const secrets: string[] = [];
const remember = (secret: string) => {
  secrets.push(secret);
  return secret;
};
const outputs: { label: string; text: string }[] = [];
const record = (label: string, res: CliResult) =>
  outputs.push({ label, text: `${res.stdout}\n${res.stderr}` });

beforeAll(async () => {
  sb = await createSandbox();
  fake = await startOAuthFake();
  await sb.writeConfig({
    models: {
      default: "anthropic/claude-sonnet-4-5",
      aliases: { gpt: "openai/gpt-5", or: "openrouter/openai/gpt-5" },
      providers: { anthropic: { oauthTokenUrl: fake.tokenUrl } },
    },
  });
  await sb.writeProfiles(
    {
      "anthropic:oauth": {
        type: "oauth",
        provider: "anthropic",
        access: remember(fakeSecret("sk-ant-oat01-", 108)),
        refresh: remember(fakeSecret("sk-ant-ort01-", 108)),
        expires: inHours(-1),
        email: "owner@example.com",
      },
      "anthropic:token": {
        type: "token",
        provider: "anthropic",
        token: remember(fakeSecret("sk-ant-oat01-", 108)),
        expires: inHours(3),
      },
      "anthropic:key": {
        type: "api_key",
        provider: "anthropic",
        key: remember(fakeSecret("sk-ant-api03-", 108)),
      },
      "openai:key": { type: "api_key", provider: "openai", key: remember(fakeSecret("sk-proj-", 164)) },
      "openai:dead": {
        type: "token",
        provider: "openai",
        token: remember(fakeSecret("tok-", 48)),
        expires: inHours(-100),
      },
      "openrouter:key": {
        type: "api_key",
        provider: "openrouter",
        key: remember(fakeSecret("sk-or-v1-", 73)),
      },
    },
    { openai: ["openai:dead", "openai:key"] },
  );
  await sb.writeAuthState({
    version: 1,
    usage: { "openai:key": { failureCounts: { rate_limit: 1 }, cooldownUntil: inHours(0.5) } },
    lastGood: { anthropic: "anthropic:key" },
  });
  await sb.writeClaudeCredentials({
    accessToken: remember(fakeSecret("sk-ant-oat01-", 108)),
    refreshToken: remember(fakeSecret("sk-ant-ort01-", 108)),
    expiresAt: inHours(5),
    subscriptionType: "max",
  });
  await writeFile(
    join(sb.stateDir, ".env"),
    `ANTHROPIC_API_KEY=${remember(fakeSecret("sk-ant-api03-", 108))}\n`,
    {
      mode: 0o600,
    },
  );
  sb.env.CLAUDE_CODE_OAUTH_TOKEN = remember(fakeSecret("sk-ant-oat01-", 108));
});

afterAll(async () => {
  await fake.close();
  await sb.cleanup();
});

describe("no command reveals a secret", () => {
  it("read views in every output mode", async () => {
    const views = [
      ["models", "status"],
      ["models", "status", "--json"],
      ["models", "status", "--plain"],
      ["models", "status", "--check"],
      ["models", "status", "--json", "--check", "--warn-within", "48h"],
      ["models", "status", "--warn-within", "nonsense"],
      ["models", "list"],
      ["models", "list", "--json"],
      ["models", "auth", "list"],
      ["models", "auth", "list", "--json"],
      ["models", "auth", "order", "get", "--provider", "openai"],
      ["models", "auth", "order", "get", "--provider", "openai", "--json"],
    ];
    for (const args of views) {
      const res = await sb.run(args);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).not.toBeNull();
      record(args.join(" "), res);
    }
    const tty = await runInPty(["models", "status"], { env: sb.env });
    outputs.push({ label: "models status (tty)", text: tty.output });
  });

  it("writes, refusals and errors", async () => {
    const pasted = remember(fakeSecret("sk-ant-oat01-", 108));
    record(
      "paste-token",
      await sb.run(
        ["models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:new"],
        { input: pasted },
      ),
    );
    const key = remember(fakeSecret("sk-proj-", 164));
    record(
      "paste-api-key",
      await sb.run(
        ["models", "auth", "paste-api-key", "--provider", "openai", "--profile-id", "openai:new"],
        { input: key },
      ),
    );
    const wrongKind = remember(fakeSecret("sk-ant-api03-", 108));
    record(
      "paste-token refusal",
      await sb.run(["models", "auth", "paste-token", "--provider", "anthropic"], { input: wrongKind }),
    );
    const wrongProvider = remember(fakeSecret("sk-ant-oat01-", 108));
    record(
      "paste-api-key refusal",
      await sb.run(["models", "auth", "paste-api-key", "--provider", "openai"], { input: wrongProvider }),
    );
    const code = remember(`${fakeSecret("", 40)}#${fakeSecret("", 43)}`);
    record(
      "code#state refusal",
      await sb.run(["models", "auth", "paste-token", "--provider", "anthropic"], { input: code }),
    );
    const inArgv = remember(fakeSecret("sk-ant-oat01-", 108));
    record(
      "secret in argv",
      await sb.run(["models", "auth", "paste-token", "--provider", "anthropic", "--token", inArgv]),
    );
    record("setup-token no tty", await sb.run(["models", "auth", "setup-token"]));
    record("order set", await sb.run(orderSetArgs("anthropic", "anthropic:key", "anthropic:new")));
    record("order clear", await sb.run(["models", "auth", "order", "clear", "--provider", "anthropic"]));
    record("remove", await sb.run(["models", "auth", "remove", "anthropic:token"]));
    record("remove unknown", await sb.run(["models", "auth", "remove", "anthropic:nope"]));

    const cli = startCli(["models", "auth", "login", "--provider", "anthropic"], sb.env);
    const [urlText] = await cli.waitForStdout(/https:\/\/claude\.ai\/oauth\/authorize\?\S+/);
    const url = new URL(urlText);
    const authCode = remember(fakeSecret("code-", 48));
    fake.registerAuthCode({
      code: authCode,
      codeChallenge: url.searchParams.get("code_challenge")!,
      email: "me@example.com",
    });
    cli.end(`${authCode}#${url.searchParams.get("state")}\n`);
    const login = await cli.result;
    expect(login.code, login.stderr).toBe(0);
    record("login", login);
    for (const issued of fake.issued) {
      remember(issued.accessToken);
      remember(issued.refreshToken);
    }

    // The views again, now that the store also holds what was pasted and logged in.
    for (const args of [
      ["models", "status", "--json"],
      ["models", "status"],
      ["models", "auth", "list", "--json"],
    ]) {
      record(`${args.join(" ")} (after)`, await sb.run(args));
    }
  });

  it("outputs, the config and the audit log hold no secret", async () => {
    expect(outputs.length).toBeGreaterThan(25);
    for (const { label, text } of outputs) {
      try {
        expectNoSecretIn(text, secrets);
      } catch (err) {
        throw new Error(`${label}: ${(err as Error).message}`);
      }
    }
    expectNoSecretIn(await readFile(sb.configPath, "utf8"), secrets);
    expectNoSecretIn(await readFile(sb.auditPath, "utf8"), secrets);
    // The test is only meaningful if the views really showed these credentials (masked).
    const all = outputs.map((o) => o.text).join("\n");
    for (const shown of [0, 2, 3, 4].map((i) => secrets[i]!)) expect(all).toContain(`…${shown.slice(-4)} #`);
    expect(await readFile(sb.profilesPath(), "utf8")).toContain(secrets[0]);
  });
});
