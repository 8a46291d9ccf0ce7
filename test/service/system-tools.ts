/**
 * Checkers of service files that only some machines have: `systemd-analyze verify` (Linux with
 * systemd), `plutil -lint` (macOS), Python's `plistlib` (a real plist parser). Tests that use one skip
 * with the reason when it is missing; they run the real program, never an imitation.
 */
import { spawnSync } from "node:child_process";

function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

export const HAS_SYSTEMD_ANALYZE = hasCommand("systemd-analyze");
export const HAS_PLUTIL = hasCommand("plutil");
export const HAS_PLISTLIB =
  hasCommand("python3") && spawnSync("python3", ["-c", "import plistlib"], { stdio: "ignore" }).status === 0;

/**
 * `systemd-analyze verify <unit file>`: parses the unit as systemd would and checks that the executables
 * it names exist. System mode (`--user` needs a running user manager, which a test box lacks); a user
 * unit verifies the same way.
 */
export function systemdVerify(unitPath: string): { status: number | null; output: string } {
  const result = spawnSync("systemd-analyze", ["verify", unitPath], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Parses a plist with Python's plistlib and returns it as JSON (throws on malformed XML). */
export function parsePlist(text: string): Record<string, unknown> {
  const result = spawnSync(
    "python3",
    ["-c", "import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"],
    { input: text, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`plistlib refused the plist: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
