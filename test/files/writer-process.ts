import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The child-process script the race tests run; it imports the built modules from dist/. */
export const STORE_WRITER = fileURLToPath(new URL("../fixtures/store-writer.mjs", import.meta.url));
const BUILT_STORE = fileURLToPath(new URL("../../dist/src/auth/auth-store.js", import.meta.url));

/** A running `store-writer.mjs`, with its output lines as they arrive. */
export interface WriterProcess {
  child: ChildProcess;
  /** Complete stdout lines so far. */
  lines: string[];
  /** Everything the child printed (stdout and stderr), for leak checks and failure messages. */
  output(): string;
  /** Resolves once `ready(lines)` holds; rejects if the child exits first or `guardMs` passes. */
  waitFor(ready: (lines: string[]) => boolean, guardMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Fails early with the fix when dist/ has not been built (the children import it). */
export function assertBuilt(): void {
  if (!existsSync(BUILT_STORE)) {
    throw new Error(`${BUILT_STORE} is missing: run \`npx tsc -p tsconfig.json\` before these tests`);
  }
}

export function startWriter(args: string[]): WriterProcess {
  const child = spawn(process.execPath, [STORE_WRITER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const lines: string[] = [];
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  let closed = false;
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const parts = stdout.split("\n");
    stdout = parts.pop() ?? "";
    lines.push(...parts);
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  // "close", not "exit": by then every line the child wrote has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      closed = true;
      running.delete(child);
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });
  const output = () => `${lines.join("\n")}\n${stdout}\n${stderr}`;
  const waitFor = (ready: (lines: string[]) => boolean, guardMs: number) =>
    new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`writer ${args.join(" ")} did not get there within ${guardMs} ms:\n${output()}`));
      }, guardMs);
      function check() {
        if (ready(lines)) {
          clearTimeout(guard);
          listeners.delete(check);
          resolve();
        } else if (closed) {
          clearTimeout(guard);
          listeners.delete(check);
          reject(new Error(`writer ${args.join(" ")} exited early:\n${output()}`));
        }
      }
      listeners.add(check);
      check();
    });
  return { child, lines, output, waitFor, exited };
}

/** Kills every writer a test left running (after a failure), so none outlives the test run. */
export async function killStrayWriters(): Promise<void> {
  const waits = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once("close", () => resolve());
        child.kill("SIGKILL");
      }),
  );
  await Promise.all(waits);
}
