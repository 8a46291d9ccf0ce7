/**
 * The processes a benchmark measures: spawning and stopping them, and reading their memory and CPU
 * from /proc (Linux), so every benchmark reads them the same way.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Spawns `node …args` with exactly `env`; keeps the last 20 kB of its output for error messages.
 * `onLine(line, at)` (optional) gets each complete line of stdout and stderr with the
 * `performance.now()` it was read at, for timing what a process prints.
 */
export function startProcess(label, args, env, onLine) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const reader = () => {
    let partial = "";
    return (d) => {
      tail = (tail + d).slice(-20_000);
      if (!onLine) return;
      const at = performance.now();
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line, at);
    };
  };
  child.stdout.setEncoding("utf8").on("data", reader());
  child.stderr.setEncoding("utf8").on("data", reader());
  const exited = new Promise((res) => child.on("close", (code, signal) => res({ code, signal })));
  return {
    label,
    child,
    t0,
    exited,
    get output() {
      return tail;
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
export async function stopProcess(p) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
  await p.exited;
  clearTimeout(timer);
}

/** VmRSS and VmHWM (peak) of a live process, in KiB. */
export function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** CPU time (user + system) a live process has used so far, in ms. */
export function cpuMs(pid) {
  // Fields after the command name (which may hold spaces, hence the split after ")"): utime is the
  // 12th, stime the 13th, both in clock ticks (100 per second on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
