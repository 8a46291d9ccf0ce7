/**
 * src/cli/main.ts declares only the commands `argv` can reach (none for a bare `--version`, the
 * `models` group for `tessera models …`): what a person sees must be what the fully declared program
 * shows. The built CLI as a real child process; flags and help texts of each command are covered by
 * models-help.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "./models-harness.js";

let sb: Sandbox;
beforeAll(async () => {
  sb = await createSandbox();
  await sb.writeProfiles({
    "anthropic:work": { type: "api_key", provider: "anthropic", key: "sk-ant-api03-abcdefghijklmnop" },
  });
});
afterAll(() => sb.cleanup());

describe("the program declares what argv reaches", () => {
  it("prints the version for --version and -V, alone or not", async () => {
    for (const args of [["--version"], ["-V"], ["--version", "models"], ["--state-dir", sb.stateDir, "-V"]]) {
      expect(await sb.run(args)).toMatchObject({ code: 0, stdout: "0.1.0\n", stderr: "" });
    }
  });

  it("lists every top-level command in tessera --help", async () => {
    const res = await sb.run(["--help"]);
    expect(res.code).toBe(0);
    for (const command of ["models", "doctor", "onboard", "import", "audit", "chat", "gateway"]) {
      expect(res.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, "m"));
    }
  });

  it("still suggests, refuses and runs models commands as before", async () => {
    expect(await sb.run(["models", "stat"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("(Did you mean status?)"),
    });
    expect(await sb.run(["models", "status", "--verbose"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("unknown option '--verbose'"),
    });
    const status = await sb.run(["models", "status", "--plain"]);
    expect(status).toEqual({ code: 0, stdout: "anthropic/claude-sonnet-4-5\n", stderr: "" });
    // A global option before the command: every command is declared, the result is the same.
    expect(await sb.run(["--state-dir", sb.stateDir, "models", "status", "--plain"])).toEqual(status);
  });

  it("reaches the other commands when the first argument is not models", async () => {
    expect(await sb.run(["modles", "status"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("(Did you mean models?)"),
    });
    const audit = await sb.run(["audit"]);
    expect(audit).toMatchObject({ code: 0, stderr: "" });
  });
});
