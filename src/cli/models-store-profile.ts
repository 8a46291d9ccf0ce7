import { assertProfileId } from "../auth/auth-store.js";
import { CLAUDE_CLI_PROFILE_ID } from "../auth/claude-code.js";
import { type Credential, sameCredential, secretOf } from "../auth/credentials.js";
import { maskSecret } from "../auth/mask.js";
import { describeExpiry } from "../config/duration.js";
import { objectAt, updateConfigFile } from "../config/load.js";
import { displayPath } from "../config/paths.js";
import type { AuthProfileMeta } from "../config/schema.js";
import { hasControlChars, refuseControlChars, showControlChars } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import { providerInfo } from "../models/provider-catalog.js";
import { ownEntry } from "../own-entry.js";
import type { AgentServices } from "../runtime/services.js";
import { type CliContext, cliActor } from "./cli-context.js";
import { StepLog } from "./partly-done.js";

/** Refuses a provider Tessera cannot call, listing the ones it can. */
export function assertKnownProvider(services: AgentServices, provider: string): void {
  if (providerInfo(services.config, provider)) return;
  const known = ["anthropic", "openai", "openrouter", ...Object.keys(services.config.models.providers)];
  const shown = showControlChars(provider);
  throw new TesseraError(
    "PROVIDER_UNKNOWN",
    `unknown provider "${shown}" (known: ${[...new Set(known)].join(", ")})`,
    hasControlChars(provider)
      ? `use one of those`
      : `use one of those, or declare it under models.providers.${provider} in ${services.paths.configPath}`,
  );
}

/** `--profile-id`, else `<provider>:<default name>`; checked before any secret is asked for. */
export function chooseProfileId(provider: string, requested: string | undefined, name = "default"): string {
  const id = requested?.trim() || `${provider}:${name}`;
  refuseControlChars(
    "PROFILE_INVALID",
    "profile id",
    id,
    `--profile-id ${provider}:<name>, in letters, digits and punctuation`,
  );
  assertProfileId(id, provider);
  return id;
}

/**
 * Stores a credential the user gave us and records it everywhere it belongs: the agent's store (a
 * locked write plus an audit line), and the config's `auth.profiles[id]` metadata (`provider`,
 * `mode`, and `email` for logins) — that one key only, the rest of the user's config untouched.
 * Prints what was written: id, type, masked secret, expiry, and where.
 *
 * Steps, in this order: the store (if it fails, nothing was changed), then its bookkeeping (clearing
 * the old credential's marks, the audit line), then the config metadata. A step after the store that
 * fails does not undo or hide the stored credential: the output says what was written, and the
 * command ends with a `PARTLY_DONE` error naming each step that was not done and its fix. Missing
 * metadata (a failed or killed config write) is a doctor finding that `--fix` writes.
 */
export async function storeUserProfile(
  ctx: CliContext,
  services: AgentServices,
  id: string,
  credential: Credential,
  mode: AuthProfileMeta["mode"],
): Promise<void> {
  const steps = new StepLog();
  const existed = Object.hasOwn((await services.store.profilesFile.read()).profiles, id);
  let created = !existed;
  try {
    ({ created } = await services.store.upsertProfile(id, credential, cliActor(ctx)));
  } catch (err) {
    // The store call also clears old marks and appends the audit line: when the credential is in
    // the store now, only those failed, and the command goes on.
    if (!(await holds(services, id, credential))) throw err;
    const auditOnly = err instanceof Error && err.message.includes(services.paths.auditPath);
    steps.record(
      auditOnly ? "its audit log entry" : "clearing the old credential's marks and its audit log entry",
      err,
    );
  }
  // The Claude Code slot is always mode "oauth" (a "token" there is the legacy value doctor migrates).
  const meta: AuthProfileMeta = {
    provider: credential.provider,
    mode: id === CLAUDE_CLI_PROFILE_ID ? "oauth" : mode,
  };
  if (credential.email) meta.email = credential.email;
  const before = ownEntry(services.config.auth.profiles, id);
  const configChanged =
    before?.provider !== meta.provider || before?.mode !== meta.mode || before?.email !== meta.email;
  const configWritten =
    !configChanged ||
    (await steps.step(`the config metadata auth.profiles["${id}"]`, () =>
      updateConfigFile(
        services.paths.configPath,
        (raw) => {
          objectAt(raw, "auth", "profiles")[id] = meta;
        },
        { stateDir: services.paths.stateDir },
      ),
    ));
  const expires = credential.type === "api_key" ? undefined : credential.expires;
  const home = ctx.env.HOME;
  const lines = [
    `${created ? "Added" : "Replaced"} ${id}`,
    `  type     ${credential.type}${credential.email ? ` (${credential.email})` : ""}`,
    `  secret   ${maskSecret(secretOf(credential))}`,
    `  expires  ${describeExpiry(expires, Date.now()) ?? "no expiry recorded"}`,
    `  store    ${displayPath(services.store.path, home)} (agent ${services.agentId})`,
    configWritten
      ? `  config   auth.profiles["${id}"] = ${JSON.stringify(meta)}${configChanged ? "" : " (unchanged)"} in ${displayPath(services.paths.configPath, home)}`
      : `  config   not written (see the error below)`,
  ];
  ctx.stdout.write(`${lines.join("\n")}\n`);
  await warnIfOrderExcludes(ctx, services, id, credential.provider).catch(() => {});
  steps.throwIfAnyFailed(`${id} is stored and in use`);
}

/** Whether the store holds `credential` under `id` now (so a failed store call did land its write). */
async function holds(services: AgentServices, id: string, credential: Credential): Promise<boolean> {
  const stored = await services.store.profilesFile.read().then(
    (data) => ownEntry(data.profiles, id),
    () => undefined,
  );
  return stored !== undefined && sameCredential(stored, credential);
}

/**
 * An explicit order (the agent's override, else config `auth.order`) is a whitelist: a profile not on
 * it is never tried. Say so right away rather than let a new credential sit unused.
 */
async function warnIfOrderExcludes(
  ctx: CliContext,
  services: AgentServices,
  id: string,
  provider: string,
): Promise<void> {
  const agentOrder = await services.store.getOrder(provider);
  const order = agentOrder ?? ownEntry(services.config.auth.order, provider);
  if (!order || order.includes(id)) return;
  const fix = agentOrder
    ? `tessera models auth order set --provider ${provider} ${[...order, id].join(" ")}`
    : `add "${id}" to auth.order.${provider} in ${services.paths.configPath}`;
  ctx.stderr.write(
    `note: ${id} is not in the ${agentOrder ? "agent's order override" : "config auth.order"} for ${provider}, so it will not be used\n  fix: ${fix}\n`,
  );
}
