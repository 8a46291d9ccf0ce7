import { CLAUDE_CLI_PROFILE_ID } from "../auth/claude-code.js";
import { providerOfProfileId } from "../auth/credentials.js";
import { updateConfigFile } from "../config/load.js";
import { removeProfileFromConfig } from "../config/profile-entries.js";
import type { SessionStore } from "../sessions/session-store.js";
import { type CliContext, cliActor } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { StepLog } from "./partly-done.js";

export interface RemoveOptions {
  agent?: string;
}

/**
 * `models auth remove <profileId>`: deletes the profile from the agent's store together with its
 * order entries and usage (one locked write, audited), then its config metadata and its entries in
 * config `auth.order` — the config is rewritten only when it mentions the id. Sessions pinned to it
 * are named, and learn on their next message.
 *
 * The store write comes first: if it fails, nothing was changed. Every step after it (the usage
 * record, the audit line, the config entries) runs even when an earlier one failed, and the command
 * then ends with one `PARTLY_DONE` error naming each step that was not done; what those leave on
 * disk is a doctor finding, and `--fix` removes the config entries of a profile the audit log shows
 * was removed (`checks/removed-profiles.ts`).
 */
export async function runAuthRemove(ctx: CliContext, rawId: string, opts: RemoveOptions): Promise<number> {
  const id = rawId.trim();
  // The synced read serves the notes below; removeProfile re-reads under the lock for the change itself.
  const { services, auth } = await openSyncedServices(ctx, opts.agent);
  const before = auth.profiles.profiles;
  const steps = new StepLog();
  await services.store.removeProfile(id, cliActor(ctx), steps);
  const lines = [`Removed ${id} from agent ${services.agentId} (and its order entries).`];

  const provider = providerOfProfileId(id);
  const inConfig =
    Object.hasOwn(services.config.auth.profiles, id) ||
    Object.values(services.config.auth.order).some((ids) => ids.includes(id));
  if (inConfig) {
    const removed = await steps.step(
      `removing auth.profiles["${id}"] and its auth.order entries from the config`,
      () =>
        updateConfigFile(services.paths.configPath, (raw) => removeProfileFromConfig(raw, id), {
          stateDir: services.paths.stateDir,
        }),
    );
    lines.push(
      removed
        ? `Removed ${id} from config auth.profiles / auth.order in ${services.paths.configPath}.`
        : `Config ${services.paths.configPath} still names ${id} (see the error below).`,
    );
  }
  if (
    id === CLAUDE_CLI_PROFILE_ID &&
    before[id]?.origin === "claude-code" &&
    services.config.auth.claudeCode.sync
  ) {
    lines.push(
      `note: Claude Code is still logged in, so the next command that loads the store (\`tessera models status\`, the gateway, …) syncs ${id} back; set auth.claudeCode.sync to false to stop that.`,
    );
  }
  if (provider && !Object.entries(before).some(([other, c]) => other !== id && c.provider === provider)) {
    lines.push(
      `note: no ${provider} profile is left; \`tessera models status\` shows what ${provider} would use now.`,
    );
  }
  lines.push(...(await pinnedSessionsNote(services.sessions, id)));
  ctx.stdout.write(`${lines.join("\n")}\n`);
  steps.throwIfAnyFailed(`${id} is removed from agent ${services.agentId}'s store and no longer used`);
  return 0;
}

/** Sessions shown by name in the note about pinned sessions; the rest are counted. */
const PINNED_SHOWN = 5;

/**
 * Which sessions pinned the removed profile. Nothing is changed here: each of them is told on its
 * next message and falls back to the default credential order (the router clears the pin then),
 * and `doctor --fix` clears such pins at once. The only listing of every session on this path, so
 * it is read after the removal has landed and a failure only costs the note.
 */
async function pinnedSessionsNote(sessions: SessionStore, id: string): Promise<string[]> {
  try {
    const { keys, unreadable } = await sessions.pinnedToProfile(id);
    const lines: string[] = [];
    if (keys.length > 0) {
      const shown = keys.slice(0, PINNED_SHOWN).join(", ");
      const more = keys.length > PINNED_SHOWN ? ` and ${keys.length - PINNED_SHOWN} more` : "";
      lines.push(
        `note: ${keys.length} session(s) pinned ${id} (${shown}${more}); each is told on its next message and uses the default credential order from then on (\`tessera doctor --fix\` clears those pins now)`,
      );
    }
    if (unreadable > 0) {
      lines.push(
        `note: ${unreadable} session file(s) could not be read to check their pins; \`tessera doctor\` names them`,
      );
    }
    return lines;
  } catch (err) {
    return [`note: could not list the sessions pinned to ${id}: ${(err as Error).message}`];
  }
}
