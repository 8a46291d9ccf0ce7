import { resolve } from "node:path";
import { AuthStore } from "../auth/auth-store.js";
import type { AuthProfilesFile } from "../auth/credentials.js";
import { expandHome } from "../config/paths.js";
import { showControlCharsIn } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import { KNOWN_SOURCE_DIRS, scanClawdbotDir } from "../import/clawdbot-source.js";
import { applyImportToAgent } from "../import/import-apply.js";
import {
  type ImportOptions,
  type OrderDecision,
  type ProfileDecision,
  planImport,
  targetAgentFor,
} from "../import/import-plan.js";
import { type CliContext, cliActor, openServices } from "./cli-context.js";
import { StepLog } from "./partly-done.js";
import { alignRows } from "./status-render.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface ImportFlags {
  apply?: boolean;
  agent?: string;
  fromAgent?: string;
  replace?: boolean;
  json?: boolean;
}

/**
 * `tessera import <dir> [--apply] [--agent id] [--from-agent id] [--replace] [--json]`: brings
 * profiles and order overrides from a Clawdbot-family state dir. A dry run by default (reads only,
 * writes nothing anywhere); `--apply` writes through each target agent's store under its lock. The
 * source is only ever read. Exit 0 when the run completed (skips included), 1 on errors.
 */
export async function runImportCommand(ctx: CliContext, dir: string, flags: ImportFlags): Promise<number> {
  const services = await openServices(ctx, flags.agent);
  const { config } = services;
  const root = resolve(expandHome(dir, ctx.env.HOME));
  const scan = await scanClawdbotDir(root);
  if (scan.agents.length === 0 && scan.unreadable.length === 0) {
    throw new TesseraError(
      "FILE_IO",
      `no Clawdbot-family credentials in ${root} (looked for agents/*/agent/auth-profiles.json, agents/*/agent/auth.json, agent/, credentials/oauth.json)`,
      `point it at the gateway's state dir, e.g. tessera import ${KNOWN_SOURCE_DIRS[0]}`,
    );
  }
  const opts: ImportOptions = { agent: flags.agent, fromAgent: flags.fromAgent, replace: flags.replace };
  if (opts.fromAgent !== undefined && !scan.agents.some((a) => a.id === opts.fromAgent)) {
    throw new TesseraError(
      "AGENT_UNKNOWN",
      `the source has no agent "${opts.fromAgent}" (it has: ${scan.agents.map((a) => a.id).join(", ") || "none"})`,
      "--from-agent <one of those>",
    );
  }

  const targetIds = new Set<string>();
  for (const source of scan.agents) {
    const target = targetAgentFor(source.id, config, opts).agent;
    if (target) targetIds.add(target);
  }
  const storeOf = (agent: string) => new AuthStore(services.paths.stateDir, agent, services.audit);
  const targets = new Map<string, AuthProfilesFile>();
  for (const agent of targetIds) targets.set(agent, await storeOf(agent).profilesFile.read());
  let { profiles, orders } = planImport(scan, config, targets, opts);
  let steps: StepLog | undefined;

  if (flags.apply) {
    const who = { ...cliActor(ctx), surface: "import" };
    const done: { profiles: ProfileDecision[]; orders: OrderDecision[] } = { profiles: [], orders: [] };
    steps = new StepLog();
    for (const agent of targetIds) {
      const mine = profiles.filter((p) => p.targetAgent === agent);
      const myOrders = orders.filter((o) => o.targetAgent === agent);
      // Nothing to write for this agent: do not even take its lock (which would create its dir).
      if (![...mine, ...myOrders].some((d) => d.action !== "skip")) {
        done.profiles.push(...mine);
        done.orders.push(...myOrders);
        continue;
      }
      const result = await applyImportToAgent(storeOf(agent), config, mine, myOrders, opts, who);
      for (const failure of result.bookkeeping) steps.record(failure.what, failure.err);
      done.profiles.push(...result.profiles);
      done.orders.push(...result.orders);
    }
    const untargeted = (d: { targetAgent?: string }) => d.targetAgent === undefined;
    profiles = [...done.profiles, ...profiles.filter(untargeted)];
    orders = [...done.orders, ...orders.filter(untargeted)];
  }

  const written = profiles.filter((p) => p.action !== "skip").length;
  const ordersWritten = orders.filter((o) => o.action !== "skip").length;
  if (flags.json) {
    writeTerminalJson(ctx, {
      source: root,
      apply: Boolean(flags.apply),
      agents: scan.agents.map((a) => a.id),
      profiles: profiles.map(({ credential: _c, ...rest }) => rest),
      orders,
      unreadable: scan.unreadable,
      summary: {
        profiles: written,
        orders: ordersWritten,
        skipped: profiles.length - written,
      },
    });
    steps?.throwIfAnyFailed(`imported ${written} profile(s) and ${ordersWritten} order(s)`);
    return 0;
  }
  // Ids and file names come from another tool's directory: shown with control characters escaped.
  const shown = showControlCharsIn({
    root,
    profiles: profiles.map(({ credential: _c, ...rest }) => rest),
    orders,
    unreadable: scan.unreadable,
  });
  ctx.stdout.write(
    renderImport(shown.root, Boolean(flags.apply), shown.profiles, shown.orders, shown.unreadable),
  );
  steps?.throwIfAnyFailed(`imported ${written} profile(s) and ${ordersWritten} order(s)`);
  return 0;
}

function renderImport(
  root: string,
  apply: boolean,
  profiles: ProfileDecision[],
  orders: OrderDecision[],
  unreadable: { file: string; problem: string }[],
): string {
  const verb = (action: string) =>
    (apply
      ? { import: "imported", replace: "replaced", skip: "skipped" }
      : { import: "import", replace: "replace", skip: "skip" })[action as "skip"];
  const lines = [
    apply
      ? `import from ${root}`
      : `import from ${root} — dry run: nothing is written (add --apply to import)`,
    "",
  ];
  const rows = profiles.map((p) => [
    p.file,
    p.targetAgent ? `→ ${p.targetAgent}` : "",
    p.profileId,
    p.type ?? "?",
    p.masked ?? "",
    verb(p.action),
    p.reason,
  ]);
  if (rows.length > 0)
    lines.push(...alignRows([["source", "agent", "profile", "type", "secret", "action", "why"], ...rows]));
  else lines.push("no profiles found");
  if (orders.length > 0) {
    lines.push("", "order overrides:");
    lines.push(
      ...alignRows([
        ["source", "agent", "provider", "order", "action", "why"],
        ...orders.map((o) => [
          o.file,
          o.targetAgent ? `→ ${o.targetAgent}` : "",
          o.provider,
          o.ids.join(", "),
          verb(o.action),
          o.reason,
        ]),
      ]),
    );
  }
  for (const u of unreadable) lines.push(`skipped file ${u.file}: ${u.problem}`);
  const written = profiles.filter((p) => p.action !== "skip").length;
  const skipped = profiles.length - written;
  lines.push(
    "",
    `${apply ? "imported" : "would import"} ${written} profile(s) and ${orders.filter((o) => o.action !== "skip").length} order(s); ${skipped} skipped. The source was not changed.`,
  );
  if (profiles.some((p) => p.action !== "skip" && p.type === "oauth")) {
    lines.push(
      "note: oauth refresh tokens rotate — stop the old gateway (or log it out), or both will refresh the same token and one of them will be logged out.",
    );
  }
  return `${lines.join("\n")}\n`;
}
