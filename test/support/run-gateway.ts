import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "tessera.js");

/** A `tessera gateway` child process, with what it printed so far and ways to wait for it. */
export interface GatewayProcess {
  child: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  readonly stderr: string;
  /** stderr parsed as JSON log lines (lines that are not JSON are skipped). */
  logs(): { level: number; msg: string; [key: string]: unknown }[];
  /** Resolves once a log line's `msg` matches; rejects after `timeoutMs` with what was logged. */
  waitForLog(match: RegExp, timeoutMs?: number): Promise<void>;
  waitForStdout(match: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Starts `tessera gateway …args` with `env` (and nothing else from the test's environment). */
export function startGateway(env: NodeJS.ProcessEnv, args: string[] = []): GatewayProcess {
  const child = spawn(process.execPath, [BIN, "gateway", ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const waitFor = (read: () => string, match: RegExp, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (match.test(read())) return resolve();
        if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          return reject(new Error(`gave up waiting for ${match}; stderr:\n${stderr}\nstdout:\n${stdout}`));
        }
        setTimeout(check, 20);
      };
      check();
    });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    logs: () => logsOf(stderr),
    waitForLog: (match, timeoutMs = 10_000) =>
      waitFor(
        () => (logsOf(stderr).some((l) => match.test(String(l.msg))) ? "\u0000found" : ""),
        /\u0000found/,
        timeoutMs,
      ),
    waitForStdout: (match, timeoutMs = 10_000) => waitFor(() => stdout, match, timeoutMs),
    exited,
  };
}

function logsOf(stderr: string): { level: number; msg: string; [key: string]: unknown }[] {
  return stderr.split("\n").flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed && typeof parsed === "object" ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
