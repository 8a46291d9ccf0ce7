import { unknownProfileError } from "../auth/credentials.js";
import { byCodePoint } from "../code-point-order.js";
import { displayPath } from "../config/paths.js";
import { refuseControlChars, showControlChars } from "../control-chars.js";
import { ownEntry } from "../own-entry.js";
import { type CliContext, cliActor } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { assertKnownProvider } from "./models-store-profile.js";
import { StepLog } from "./partly-done.js";
import { writeTerminalJson } from "./terminal-output.js";

export interface OrderOptions {
  provider: string;
  agent?: string;
  json?: boolean;
}

const provider = (opts: OrderOptions) => opts.provider.trim().toLowerCase();

/** Writes lines that name what the user typed (the provider) or a file holds, control characters escaped. */
const write = (ctx: CliContext, text: string) =>
  ctx.stdout.write(showControlChars(text, { keepLayout: true }));

/**
 * `models auth order get`: the agent's own override, the config's `auth.order`, and which of the two
 * the resolver uses (the agent's wins). `--json` prints `{agent, provider, storePath, order,
 * configOrder, effective}` with `null` where none is set.
 */
export async function runOrderGet(ctx: CliContext, opts: OrderOptions): Promise<number> {
  const { services, auth } = await openSyncedServices(ctx, opts.agent);
  const p = provider(opts);
  const order = ownEntry(auth.profiles.order, p) ?? null;
  const configOrder = ownEntry(services.config.auth.order, p) ?? null;
  const effective = order ? "agent order" : configOrder ? "config order" : "default";
  if (opts.json) {
    writeTerminalJson(ctx, {
      agent: services.agentId,
      provider: p,
      storePath: services.store.path,
      order,
      configOrder,
      effective,
    });
    return 0;
  }
  const lines = [
    `Agent           ${services.agentId}`,
    `Provider        ${p}`,
    `Auth store      ${displayPath(services.store.path, ctx.env.HOME)}`,
    `Order override  ${order ? order.join(", ") : "(none)"}`,
    `Config order    ${configOrder ? configOrder.join(", ") : "(none)"}`,
    `In effect       ${
      effective === "default"
        ? "default order (oauth, then token, then api_key; least recently used first)"
        : effective === "agent order"
          ? "the agent's order override (only these profiles are tried)"
          : "config auth.order (only these profiles are tried)"
    }`,
  ];
  write(ctx, `${lines.join("\n")}\n`);
  return 0;
}

/**
 * `models auth order set`: every id must exist and belong to the provider (checked under the lock),
 * with Claude Code synced first so `anthropic:claude-cli` can be ordered on a fresh state dir.
 */
export async function runOrderSet(ctx: CliContext, ids: string[], opts: OrderOptions): Promise<number> {
  const { services, auth } = await openSyncedServices(ctx, opts.agent);
  const p = provider(opts);
  assertKnownProvider(services, p);
  const stored = auth.profiles.profiles;
  const ofProvider = Object.keys(stored)
    .filter((id) => stored[id]!.provider === p)
    .sort(byCodePoint);
  for (const id of ids) {
    refuseControlChars("PROFILE_INVALID", "profile id", id, "tessera models auth list shows the stored ids");
    // Checked again under the lock by the store; said here with the list kept short.
    if (!Object.hasOwn(stored, id.trim())) throw unknownProfileError(id.trim(), ofProvider);
  }
  const steps = new StepLog();
  const wanted = [...new Set(ids.map((id) => id.trim()).filter(Boolean))];
  let saved = wanted;
  try {
    saved = await services.store.setOrder(p, ids, cliActor(ctx));
  } catch (err) {
    // The order is written before its audit line: when it is in place, only the audit line failed.
    if (!sameIds(await services.store.getOrder(p).catch(() => undefined), wanted)) throw err;
    steps.record("its audit log entry", err);
  }
  write(
    ctx,
    `Order override for ${p} (agent ${services.agentId}): ${saved.join(", ")}\nOnly these profiles are tried, in this order; clear it with: tessera models auth order clear --provider ${p}\n`,
  );
  steps.throwIfAnyFailed(`the order override for ${p} is set and in effect`);
  return 0;
}

/** `models auth order clear`: drops the override; says so when there was none. */
export async function runOrderClear(ctx: CliContext, opts: OrderOptions): Promise<number> {
  const { services } = await openSyncedServices(ctx, opts.agent);
  const p = provider(opts);
  const steps = new StepLog();
  const before = await services.store.getOrder(p);
  let had = before !== undefined;
  try {
    had = await services.store.clearOrder(p, cliActor(ctx));
  } catch (err) {
    if ((await services.store.getOrder(p).catch(() => before)) !== undefined) throw err;
    steps.record("its audit log entry", err);
  }
  const fallback = ownEntry(services.config.auth.order, p) ? "config auth.order" : "the default order";
  write(
    ctx,
    had
      ? `Cleared the order override for ${p} (agent ${services.agentId}); ${fallback} applies now.\n`
      : `No order override was set for ${p} (agent ${services.agentId}); ${fallback} applies.\n`,
  );
  steps.throwIfAnyFailed(`the order override for ${p} is cleared`);
  return 0;
}

function sameIds(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((id, i) => id === b[i]);
}
