import { listCatalog } from "../models/catalog.js";
import { statusReportFor } from "../runtime/services.js";
import type { CliContext } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { alignRows, painter } from "./status-render.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface ListOptions {
  agent?: string;
  json?: boolean;
}

/**
 * `tessera models list`: every model Tessera can address, its aliases, whether `models.allow` lets
 * it be chosen, and whether its provider has a usable credential right now — answered by the same
 * status report (and so the same resolver) as `models status`. Claude Code is synced first, as for
 * `models status`, so both commands agree about `anthropic:claude-cli`.
 */
export async function runModelsList(ctx: CliContext, opts: ListOptions): Promise<number> {
  const { services, auth } = await openSyncedServices(ctx, opts.agent);
  const report = await statusReportFor(services, { auth });
  const next = new Map(report.providers.map((p) => [p.provider, p.next]));
  const models = listCatalog(services.config).map((entry) => ({
    ref: entry.ref,
    provider: entry.provider,
    model: entry.model,
    aliases: entry.aliases,
    allowed: entry.allowed,
    default: entry.ref === report.defaultModel || entry.aliases.includes(report.defaultModel),
    credential: (next.get(entry.provider) ?? null) !== null,
    next: next.get(entry.provider) ?? null,
  }));
  if (opts.json) {
    writeTerminalJson(ctx, { agent: report.agent, defaultModel: report.defaultModel, models });
    return 0;
  }
  const paint = painter(ctx.color);
  const rows = [
    ["MODEL", "ALIASES", "ALLOWED", "CREDENTIAL"],
    ...models.map((m) => [
      m.default ? `${m.ref} (default)` : m.ref,
      m.aliases.join(", ") || "-",
      m.allowed ? "yes" : "no",
      m.next ? `yes (${m.next})` : "none",
    ]),
  ];
  const lines = alignRows(rows, (r, c, t) => {
    if (r === 0) return paint("dim", t);
    const m = models[r - 1]!;
    if (c === 3) return paint(m.credential ? "green" : "red", t);
    if (c === 2 && !m.allowed) return paint("yellow", t);
    return t;
  });
  const missing = [...new Set(models.filter((m) => m.allowed && !m.credential).map((m) => m.provider))];
  if (missing.length) {
    lines.push(
      "",
      `No usable credential for ${missing.join(", ")}; \`tessera models status\` shows why and the fix.`,
    );
  }
  ctx.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
