/**
 * A reader that stops early closes the CLI's stdout: `tessera audit | head -1`, `tessera chat | head`
 * (issue 11 item 4, issue 12 item 9). The command must end quietly — exit 0, no EPIPE stack trace —
 * and a chat must stop answering rather than keep calling models nobody reads.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, createSandbox, type Sandbox } from "./models-harness.js";

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

/** Runs the CLI, reads stdout until `enough` holds, then closes the pipe as `head` does. */
function runUntilEnough(args: string[], input: string, enough: (stdout: string) => boolean) {
  const child = spawn(process.execPath, [CLI, ...args], { env: sb.env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (enough(stdout)) child.stdout.destroy();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {}); // the child may be gone before it read everything
  child.stdin.end(input);
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

describe("a closed stdout", () => {
  it("ends `tessera audit | head -1` quietly", async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) =>
      JSON.stringify({
        ts: new Date().toISOString(),
        actor: "cli:t",
        surface: "cli",
        action: "pin.model",
        target: `k${i}`,
      }),
    );
    await mkdir(sb.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(sb.auditPath, `${lines.join("\n")}\n`, { mode: 0o600 });
    const result = await runUntilEnough(["audit"], "", (out) => out.includes("\n"));
    expect(result.stderr).toBe("");
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
  });

  it("ends `tessera chat | head` quietly", async () => {
    const input = "/model list\n".repeat(2_000);
    const result = await runUntilEnough(["chat"], input, (out) => out.split("\n").length > 3);
    expect(result.stderr).not.toMatch(/EPIPE|Error|at /);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
  });
});
