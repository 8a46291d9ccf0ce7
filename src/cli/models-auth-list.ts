import { secretOf } from "../auth/credentials.js";
import { fingerprint, maskSecret } from "../auth/mask.js";
import { judge } from "../auth/resolver.js";
import { byCodePoint } from "../code-point-order.js";
import { describeExpiry, parseDuration } from "../config/duration.js";
import { displayPath } from "../config/paths.js";
import { showControlChars, showControlCharsIn } from "../control-chars.js";
import { ownEntry } from "../own-entry.js";
import type { CliContext } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { alignRows, painter, stateStyle } from "./status-render.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface AuthListOptions {
  agent?: string;
  json?: boolean;
}

/**
 * `tessera models auth list`: what the agent's store holds, one row per profile with its type, state
 * (judged by the resolver's own rules), expiry, origin and masked secret, plus the order overrides.
 * Claude Code is synced first, as by every command that loads the store; unlike `models status` it
 * shows stored profiles only, no environment credentials.
 */
export async function runAuthList(ctx: CliContext, opts: AuthListOptions): Promise<number> {
  const { services, auth } = await openSyncedServices(ctx, opts.agent);
  const { state } = auth;
  // Ids, emails and reasons come from a file people edit: shown with control characters escaped.
  const profiles = showControlCharsIn(auth.profiles);
  const now = Date.now();
  const warnWithinMs = parseDuration(services.config.auth.warnWithin, "auth.warnWithin");
  const rows = Object.entries(profiles.profiles)
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([id, credential]) => {
      const judged = judge(credential, ownEntry(state.usage, id), now, warnWithinMs);
      const reason = showControlChars(judged.reason);
      const expiresAt = credential.type === "api_key" ? undefined : credential.expires;
      return {
        id,
        provider: credential.provider,
        type: credential.type,
        state: judged.state,
        reason,
        expiresAt: expiresAt ?? null,
        expires: describeExpiry(expiresAt, now) ?? null,
        origin: credential.origin ?? null,
        email: credential.email ?? null,
        masked: maskSecret(secretOf(credential)),
        fingerprint: `#${fingerprint(secretOf(credential))}`,
        updatedAt: credential.updatedAt ?? null,
      };
    });
  // Entries Tessera keeps but cannot use (an unknown credential type): listed, marked unsupported.
  const kept = Object.entries(profiles.unsupported ?? {})
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([id, entry]) => ({
      id,
      provider: entry.provider,
      type: entry.type ?? "(none)",
      state: "unsupported" as const,
      reason: entry.reason,
      expiresAt: null,
      expires: null,
      origin: null,
      email: null,
      masked: null,
      fingerprint: null,
      updatedAt: null,
    }));
  if (opts.json) {
    writeTerminalJson(ctx, {
      agent: services.agentId,
      storePath: services.store.path,
      profiles: [...rows, ...kept],
      order: profiles.order,
    });
    return 0;
  }
  const paint = painter(ctx.color);
  const lines = [
    `${paint("bold", "Auth store")}  ${displayPath(services.store.path, ctx.env.HOME)}  (agent ${services.agentId})`,
  ];
  if (rows.length === 0 && kept.length === 0) {
    lines.push(
      "",
      "No stored profiles. Add one with:",
      "  tessera models auth paste-api-key --provider <provider>",
    );
  } else {
    const table = [
      ["PROFILE", "TYPE", "STATE", "EXPIRES", "ORIGIN", "SECRET"],
      ...rows.map((r) => [
        r.email && !r.id.includes(r.email) ? `${r.id} (${r.email})` : r.id,
        r.type,
        r.state,
        r.expires ?? (r.type === "api_key" ? "-" : "no expiry"),
        r.origin ?? "-",
        r.masked,
      ]),
      ...kept.map((r) => [r.id, r.type, r.state, "-", "-", "-"]),
    ];
    lines.push(
      "",
      ...alignRows(table, (r, c, t) =>
        r === 0
          ? paint("dim", t)
          : c === 2
            ? paint(r > rows.length ? "red" : stateStyle(rows[r - 1]!.state), t)
            : t,
      ),
    );
    for (const r of kept) lines.push(`  ${r.id}: ${r.reason}; kept as it is, never used`);
  }
  const orders = Object.entries(profiles.order);
  if (orders.length) {
    lines.push("", paint("bold", "Order overrides"));
    for (const [provider, ids] of orders) lines.push(`  ${provider}: ${ids.join(", ")}`);
  }
  ctx.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
