import type { AuthSnapshot } from "../auth/auth-store.js";
import type { SyncOutcome } from "../auth/claude-code.js";
import { type AgentServices, loadSyncedAuth } from "../runtime/services.js";
import { type CliContext, openServices } from "./cli-context.js";

/**
 * The CLI's load of an agent's credentials: the store read once and Claude Code synced into it (when
 * `auth.claudeCode.sync` is on). A Claude Code credential that cannot be read is a warning on
 * stderr, never a failure, so it does not hide the rest of the command (stdout stays clean for
 * `--json`). Errors of Tessera's own store still throw.
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

/**
 * Opens the agent an admin command works on, with Claude Code's login synced into its store first
 * (PRODUCT §3.4). Every `models …` command that reads or validates profiles starts here, so
 * `anthropic:claude-cli` exists for `order set`, `auth list`, `remove` and the rest exactly as it
 * does for `models status` — not only after a view happened to run once.
 */
export async function openSyncedServices(
  ctx: CliContext,
  agent: string | undefined,
): Promise<{ services: AgentServices; auth: AuthSnapshot; claudeCode: SyncOutcome }> {
  const services = await openServices(ctx, agent);
  return { services, ...(await loadAuthForView(ctx, services)) };
}
