/**
 * Runs the built CLI (`node bin/tessera.js …`) as a real child process in a sandbox: a temp
 * `TESSERA_STATE_DIR`, a temp `HOME` (so the user's `~/.claude` and `~/.tessera` are never read) and
 * an environment without any provider key of the machine running the tests. Build first:
 * `npx tsc -p tsconfig.json`.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = join(REPO_ROOT, "bin", "tessera.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed; stdin is closed at once when omitted. */
  input?: string;
  /** Extra environment variables (e.g. `ANTHROPIC_API_KEY`, `PATH`). */
  env?: Record<string, string>;
}

export interface Sandbox {
  root: string;
  home: string;
  stateDir: string;
  configPath: string;
  /** `<state>/agents/<agent>/agent`. */
  agentDir(agent?: string): string;
  profilesPath(agent?: string): string;
  authStatePath(agent?: string): string;
  auditPath: string;
  /** The child's base environment (tests may add to it through `RunOptions.env`). */
  env: Record<string, string>;
  run(args: string[], opts?: RunOptions): Promise<CliResult>;
  writeConfig(config: unknown): Promise<void>;
  writeProfiles(
    profiles: Record<string, unknown>,
    order?: Record<string, string[]>,
    agent?: string,
  ): Promise<void>;
  writeAuthState(state: unknown, agent?: string): Promise<void>;
  /** Writes `~/.claude/.credentials.json` in the sandbox home. */
  writeClaudeCredentials(oauth: Record<string, unknown>): Promise<void>;
  readJson<T = Record<string, unknown>>(path: string): Promise<T>;
  /** The audit log's lines, parsed. */
  readAudit(): Promise<AuditLine[]>;
  cleanup(): Promise<void>;
}

/** One line of `<state>/audit.jsonl` as the CLI tests look at it. */
export interface AuditLine {
  actor: string;
  surface: string;
  action: string;
  agent?: string;
  target?: string;
  detail?: string;
}

/** argv of `tessera models auth order set --provider <provider> <ids…>`. */
export const orderSetArgs = (provider: string, ...ids: string[]) => [
  "models",
  "auth",
  "order",
  "set",
  "--provider",
  provider,
  ...ids,
];

/** Only what the CLI needs from the outer environment; provider keys of the host never leak in. */
function baseEnv(home: string, stateDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TESSERA_STATE_DIR: stateDir,
    USER: "tester",
    LANG: "C.UTF-8",
  };
}

export async function createSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), "tessera-cli-"));
  const home = join(root, "home");
  const stateDir = join(root, "state");
  await mkdir(home, { recursive: true });
  const agentDir = (agent = "main") => join(stateDir, "agents", agent, "agent");
  const env = baseEnv(home, stateDir);
  const writePrivate = async (path: string, value: unknown) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  };
  const sandbox: Sandbox = {
    root,
    home,
    stateDir,
    configPath: join(stateDir, "config.json"),
    agentDir,
    profilesPath: (agent) => join(agentDir(agent), "auth-profiles.json"),
    authStatePath: (agent) => join(agentDir(agent), "auth-state.json"),
    auditPath: join(stateDir, "audit.jsonl"),
    env,
    run: (args, opts = {}) => runCli(args, { ...opts, env: { ...env, ...opts.env } }),
    writeConfig: (config) => writePrivate(join(stateDir, "config.json"), config),
    writeProfiles: (profiles, order = {}, agent) =>
      writePrivate(join(agentDir(agent), "auth-profiles.json"), { version: 1, profiles, order }),
    writeAuthState: (state, agent) => writePrivate(join(agentDir(agent), "auth-state.json"), state),
    writeClaudeCredentials: (oauth) =>
      writePrivate(join(home, ".claude", ".credentials.json"), { claudeAiOauth: oauth }),
    readJson: async <T>(path: string) => JSON.parse(await readFile(path, "utf8")) as T,
    readAudit: async () =>
      (await readFile(join(stateDir, "audit.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as AuditLine),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  return sandbox;
}

/** Spawns `node bin/tessera.js …` with exactly `opts.env` and collects its output. */
export function runCli(
  args: string[],
  opts: RunOptions & { env: Record<string, string> },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: opts.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.on("error", () => {}); // the CLI may exit before reading stdin
    child.stdin.end(opts.input ?? "");
  });
}

/** File mode bits, e.g. `0o600`. */
export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Writes an executable shell script (a fake `claude`) into `dir`. */
export async function writeExecutable(dir: string, name: string, script: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

const HOUR = 3_600_000;
/** Epoch ms `hours` from now (negative for the past). */
export const inHours = (hours: number) => Date.now() + hours * HOUR;

/** One step of a terminal conversation: wait until the output shows `waitFor`, then type `send`. */
export interface PtyStep {
  waitFor: string | RegExp;
  send: string;
}

/** util-linux `script`, found on the test runner's PATH (the child's PATH may be a bare fake-bin dir). */
const SCRIPT =
  (process.env.PATH ?? "/usr/bin:/bin")
    .split(":")
    .map((dir) => join(dir, "script"))
    .find((path) => existsSync(path)) ?? "/usr/bin/script";

/** Single-quotes a word for `sh -c`. */
const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI on a real pseudo-terminal via util-linux `script -qec … /dev/null`, so stdin and
 * stdout are TTYs, and plays `steps` like a person at the keyboard. Input is only typed after the
 * awaited text appeared: typed earlier, the terminal (still in cooked mode) would echo it.
 * Returns everything the terminal showed (stdout and stderr are both the pty).
 */
export function runInPty(
  args: string[],
  opts: { env: Record<string, string>; steps?: PtyStep[] },
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(" ");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(SCRIPT, ["-qec", command, "/dev/null"], {
      cwd: REPO_ROOT,
      env: opts.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const steps = [...(opts.steps ?? [])];
    let output = "";
    let seen = 0;
    const advance = () => {
      const step = steps[0];
      if (!step) return;
      const rest = output.slice(seen);
      const hit =
        typeof step.waitFor === "string"
          ? rest.indexOf(step.waitFor)
          : (step.waitFor.exec(rest)?.index ?? -1);
      if (hit < 0) return;
      seen += hit + 1;
      steps.shift();
      child.stdin.write(step.send);
      advance();
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
      advance();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
    child.stdin.on("error", () => {});
  });
}

/** A CLI child the test talks to while it runs (e.g. reads the login URL, then pastes the code). */
export interface LiveCli {
  /** Resolves with the first match of `pattern` in stdout, waiting for more output as needed. */
  waitForStdout(pattern: RegExp): Promise<RegExpExecArray>;
  write(text: string): void;
  end(text?: string): void;
  result: Promise<CliResult>;
}

export function startCli(args: string[], env: Record<string, string>): LiveCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.on("error", () => {});
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  let closed = false;
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      closed = true;
      resolvePromise({ code, stdout, stderr });
      for (const w of waiters.splice(0)) w();
    });
  });
  return {
    waitForStdout(pattern) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) resolvePromise(match);
          else if (closed) reject(new Error(`CLI exited before printing ${pattern}; stderr: ${stderr}`));
          else waiters.push(check);
        };
        check();
      });
    },
    write: (text) => child.stdin.write(text),
    end: (text) => child.stdin.end(text ?? ""),
    result,
  };
}
