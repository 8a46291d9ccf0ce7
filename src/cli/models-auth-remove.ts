import { CLAUDE_CLI_PROFILE_ID } from "../auth/claude-code.js";
import { providerOfProfileId } from "../auth/credentials.js";
import { updateConfigFile } from "../config/load.js";
import { isRecord } from "../config/migrations.js";
import type { SessionStore } from "../sessions/session-store.js";
import { type CliContext, cliActor } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";

export interface RemoveOptions {
  agent?: string;
}

/**
 * `models auth remove <profileId>`: deletes the profile from the agent's store together with its
 * order entries and usage (one locked write, audited), then its config metadata and its entries in
 * config `auth.order` — the config is rewritten only when it mentions the id. Sessions pinned to it
 * are named, and learn on their next message.
 */
export async function runAuthRemove(ctx: CliContext, rawId: string, opts: RemoveOptions): Promise<number> {
  const id = rawId.trim();
  // The synced read serves the notes below; removeProfile re-reads under the lock for the change itself.
  const { services, auth } = await openSyncedServices(ctx, opts.agent);
  const before = auth.profiles.profiles;
  await services.store.removeProfile(id, cliActor(ctx));
  const lines = [`Removed ${id} from agent ${services.agentId} (and its order entries).`];

  const provider = providerOfProfileId(id);
  const inConfig =
    id in services.config.auth.profiles ||
    Object.values(services.config.auth.order).some((ids) => ids.includes(id));
  if (inConfig) {
    await updateConfigFile(
      services.paths.configPath,
      (raw) => {
        const auth = raw.auth;
        if (!isRecord(auth)) return;
        if (isRecord(auth.profiles)) delete auth.profiles[id];
        if (isRecord(auth.order)) {
          for (const [p, ids] of Object.entries(auth.order)) {
            if (!Array.isArray(ids) || !ids.includes(id)) continue;
            const kept = ids.filter((x) => x !== id);
            if (kept.length === 0) delete auth.order[p];
            else auth.order[p] = kept;
          }
        }
      },
      { stateDir: services.paths.stateDir },
    );
    lines.push(`Removed ${id} from config auth.profiles / auth.order in ${services.paths.configPath}.`);
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
