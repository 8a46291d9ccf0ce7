import type { ClaudeCodeSyncResult } from "../auth/claude-code.js";
import { isTesseraError } from "../errors.js";
import { type AgentServices, syncClaudeCodeIfEnabled } from "../runtime/services.js";
import type { CliContext } from "./cli-context.js";

/** A sync outcome, or why Claude Code's file could not be read this time. */
export type ViewSyncResult = ClaudeCodeSyncResult | { status: "error"; message: string };

/**
 * Claude Code sync as the read views (`models status`, `models list`) run it: a Claude Code file
 * that cannot be read is a warning on stderr, not a failure, so it never hides the rest of the view.
 * Errors of our own store (corrupt, locked) still stop the command.
 */
export async function syncClaudeCodeForView(
  ctx: CliContext,
  services: AgentServices,
): Promise<ViewSyncResult> {
  try {
    return await syncClaudeCodeIfEnabled(services);
  } catch (err) {
    const foreign = isTesseraError(err) && (err.code === "FILE_CORRUPT" || err.code === "FILE_IO");
    if (!foreign || err.message.includes(services.store.path)) throw err;
    ctx.stderr.write(`warning: Claude Code sync skipped: ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`  fix: ${err.hint}\n`);
    return { status: "error", message: err.message };
  }
}
