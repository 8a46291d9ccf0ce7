import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, REPO_ROOT, type Sandbox } from "./models-harness.js";

let sb: Sandbox;

beforeAll(async () => {
  sb = await createSandbox();
  // --help never reads the config: it works even when the config is broken.
  await sb.writeConfig({ models: { default: 42 } });
});

afterAll(async () => {
  await sb.cleanup();
});

const COMMANDS: { path: string[]; flags: string[] }[] = [
  { path: [], flags: ["--version", "--state-dir <dir>", "--config <path>", "models"] },
  { path: ["models"], flags: ["status", "list", "auth"] },
  {
    path: ["models", "status"],
    flags: ["--agent <id>", "--json", "--plain", "--check", "--warn-within <duration>"],
  },
  { path: ["models", "list"], flags: ["--agent <id>", "--json"] },
  {
    path: ["models", "auth"],
    flags: ["list", "paste-token", "paste-api-key", "setup-token", "login", "order", "remove"],
  },
  { path: ["models", "auth", "list"], flags: ["--agent <id>", "--json"] },
  {
    path: ["models", "auth", "paste-token"],
    flags: ["--provider <provider>", "--profile-id <id>", "--expires-in <duration>", "--agent <id>"],
  },
  {
    path: ["models", "auth", "paste-api-key"],
    flags: ["--provider <provider>", "--profile-id <id>", "--agent <id>"],
  },
  { path: ["models", "auth", "setup-token"], flags: ["--provider <provider>", "--agent <id>"] },
  { path: ["models", "auth", "login"], flags: ["--provider <provider>", "--agent <id>"] },
  { path: ["models", "auth", "order"], flags: ["get", "set", "clear"] },
  { path: ["models", "auth", "order", "get"], flags: ["--provider <provider>", "--agent <id>", "--json"] },
  {
    path: ["models", "auth", "order", "set"],
    flags: ["<profileIds...>", "--provider <provider>", "--agent <id>"],
  },
  { path: ["models", "auth", "order", "clear"], flags: ["--provider <provider>", "--agent <id>"] },
  { path: ["models", "auth", "remove"], flags: ["<profileId>", "--agent <id>"] },
];

describe("tessera --help and --version", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(await readFile(`${REPO_ROOT}/package.json`, "utf8")) as { version: string };
    const res = await sb.run(["--version"]);
    expect(res).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  for (const c of COMMANDS) {
    it(`tessera ${c.path.join(" ")} --help lists its flags and subcommands`, async () => {
      const res = await sb.run([...c.path, "--help"]);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^Usage: tessera${c.path.map((p) => ` ${p}`).join("")}`));
      for (const flag of c.flags) expect(res.stdout).toContain(flag);
    });
  }

  it("models status --help documents the --check exit codes", async () => {
    const res = await sb.run(["models", "status", "--help"]);
    expect(res.stdout).toMatch(
      /Exit codes with --check[\s\S]*\n {2}0 {2}[\s\S]*\n {2}1 {2}[\s\S]*\n {2}2 {2}/,
    );
    expect(res.stdout).toContain('A refreshable oauth credential is never "expired"');
  });

  it("paste-token --help shows the stdin form and never offers a secret flag", async () => {
    const res = await sb.run(["models", "auth", "paste-token", "--help"]);
    expect(res.stdout).toContain('echo "$TOKEN" | tessera models auth paste-token --provider anthropic');
    expect(res.stdout).not.toMatch(/--token|--key/);
  });

  it("an unknown command or flag is a usage error (exit 1) on stderr", async () => {
    const cmd = await sb.run(["models", "stauts"]);
    expect(cmd.code).toBe(1);
    expect(cmd.stderr).toContain("unknown command 'stauts'");
    const flag = await sb.run(["models", "list", "--jsn"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("unknown option '--jsn'");
  });

  it("global --state-dir and --config are honoured after the subcommand too", async () => {
    const other = await createSandbox();
    try {
      await other.writeConfig({ models: { default: "openai/gpt-5" } });
      const res = await sb.run(["models", "status", "--plain", "--state-dir", other.stateDir]);
      expect(res).toMatchObject({ code: 0, stdout: "openai/gpt-5\n" });
      const viaConfig = await sb.run(["--config", other.configPath, "models", "status", "--plain"]);
      expect(viaConfig).toMatchObject({ code: 0, stdout: "openai/gpt-5\n" });
    } finally {
      await other.cleanup();
    }
  });
});
