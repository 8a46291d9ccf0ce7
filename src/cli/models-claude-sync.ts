import type { AuthSnapshot } from "../auth/auth-store.js";
import type { SyncOutcome } from "../auth/claude-code.js";
import { type AgentServices, loadSyncedAuth } from "../runtime/services.js";
import type { CliContext } from "./cli-context.js";

/**
 * The read views' load (`models status`, `models list`): the store read once and Claude Code synced
 * into it. A Claude Code credential that cannot be read is a warning on stderr, never a failure, so it
 * does not hide the rest of the view.
 */
export async function loadAuthForView(
  ctx: CliContext,
  services: AgentServices,
): Promise<{ auth: AuthSnapshot; claudeCode: SyncOutcome }> {
  const loaded = await loadSyncedAuth(services);
  if (loaded.claudeCode.status === "error") {
    ctx.stderr.write(`warning: Claude Code sync skipped: ${loaded.claudeCode.message}\n`);
    if (loaded.claudeCode.hint) ctx.stderr.write(`  fix: ${loaded.claudeCode.hint}\n`);
  }
  return loaded;
}
