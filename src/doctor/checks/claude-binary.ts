import { access, constants, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";
import type { DoctorCheck } from "../doctor-check.js";

/**
 * Whether the `claude` binary is on `PATH`. Information only: Tessera needs it just for
 * `tessera models auth setup-token`; a setup-token made on another machine works as well.
 */
export const claudeBinaryCheck: DoctorCheck = {
  name: "claude-binary",
  async run(scope) {
    const found = await findOnPath("claude", scope.processEnv.PATH ?? "");
    return [
      found
        ? {
            check: "claude-binary",
            key: "claude-binary:found",
            severity: "info",
            what: `claude (Claude Code) found at ${found}`,
            fix: "none needed",
          }
        : {
            check: "claude-binary",
            key: "claude-binary:missing",
            severity: "info",
            what: "claude (Claude Code) is not on PATH; only `tessera models auth setup-token` needs it",
            fix: "npm install -g @anthropic-ai/claude-code   (or run `claude setup-token` on another machine and paste the token: tessera models auth paste-token --provider anthropic)",
          },
    ];
  },
};

/** The first executable file named `name` in the `PATH` directories, or undefined. */
export async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    const info = await stat(candidate).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}
