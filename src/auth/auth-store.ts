import type { Actor, AuditLog } from "../audit/audit-log.js";
import { authProfilesPath, authStatePath } from "../config/paths.js";
import { refuseControlChars } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import { JsonStateFile } from "../files/json-state-file.js";
import {
  type AuthStateFile,
  AuthStateFileSchema,
  applyFailure,
  emptyAuthState,
  type FailureReason,
  hasMarks,
  type ReauthKind,
  withoutMarks,
} from "./auth-state.js";
import {
  type AuthProfilesFile,
  AuthProfilesFileSchema,
  allSecretsOf,
  type Credential,
  emptyAuthProfiles,
  listProfileIds,
  providerOfProfileId,
  secretOf,
  unknownProfileError,
} from "./credentials.js";
import { type DeferredSuccesses, deferredSuccessesFor } from "./deferred-successes.js";
import { fingerprint, redactSecrets } from "./mask.js";

/**
 * Where a store call puts the steps after its main write (clearing old marks, the usage record, the
 * audit line) so that one failing does not hide that the change landed: each runs, a failure is
 * recorded rather than thrown, and the caller reports what was not done (`StepLog` in
 * `src/cli/partly-done.ts` is one). Without it, the first failure is thrown, as before.
 */
export interface AfterWriteSteps {
  step(step: string, run: () => Promise<unknown>): Promise<boolean>;
}

/** Runs a step after the main write: through `steps` when given, else throwing its failure. */
async function afterWrite(
  steps: AfterWriteSteps | undefined,
  step: string,
  run: () => Promise<unknown>,
): Promise<void> {
  if (steps) await steps.step(step, run);
  else await run();
}

/** What the resolver and the views read: the credentials and their hot state, as one snapshot. */
export interface AuthSnapshot {
  profiles: AuthProfilesFile;
  state: AuthStateFile;
}

/**
 * An agent's credential store: `auth-profiles.json` (secrets, order) and `auth-state.json` (usage,
 * cooldowns, marks) under `<state>/agents/<agentId>/agent/`. Every mutation is a locked
 * read-modify-write through the files layer; credential and order changes are audited.
 */
export class AuthStore {
  readonly profilesFile: JsonStateFile<AuthProfilesFile>;
  readonly stateFile: JsonStateFile<AuthStateFile>;
  /** Successes recorded but not yet written (see `markSuccess`). */
  private readonly successes: DeferredSuccesses;

  constructor(
    readonly stateDir: string,
    readonly agentId: string,
    readonly auditLog?: AuditLog,
  ) {
    this.profilesFile = new JsonStateFile(
      authProfilesPath(stateDir, agentId),
      AuthProfilesFileSchema,
      emptyAuthProfiles,
    );
    this.stateFile = new JsonStateFile(authStatePath(stateDir, agentId), AuthStateFileSchema, emptyAuthState);
    this.successes = deferredSuccessesFor(this.stateFile, stateDir);
  }

  get path(): string {
    return this.profilesFile.path;
  }

  async load(): Promise<AuthSnapshot> {
    const [profiles, state] = await Promise.all([this.profilesFile.read(), this.stateFile.read()]);
    return { profiles, state: this.successes.overlay(state) };
  }

  /**
   * Adds or replaces a profile. The id must be `<provider>:<name>` of the credential's provider. A new
   * credential starts clean: cooldowns and needs-reauth marks of the old one are cleared. The profile
   * write comes first; with `steps`, clearing the marks and the audit line are steps after it.
   */
  async upsertProfile(
    id: string,
    credential: Credential,
    who: Actor,
    steps?: AfterWriteSteps,
  ): Promise<{ created: boolean }> {
    assertProfileId(id, credential.provider);
    const created = await this.profilesFile.update((data) => {
      const existed = Object.hasOwn(data.profiles, id);
      data.profiles[id] = { ...credential, updatedAt: Date.now() };
      return !existed;
    });
    await afterWrite(steps, "clearing the old credential's marks", () => this.clearUsageMarks(id));
    await afterWrite(steps, "its audit log entry", async () =>
      this.auditLog?.append(who, created ? "profile.add" : "profile.replace", {
        agent: this.agentId,
        target: id,
        detail: `${credential.type} #${fingerprint(secretOf(credential))}`,
      }),
    );
    return { created };
  }

  /**
   * Deletes a profile and its order entries and usage. Unknown ids are an error listing the known
   * ones. The profile and its order entries go in one write, first; with `steps`, dropping its usage
   * record (auth-state.json) and the audit line are steps after it. A usage record left behind is a
   * doctor finding that `--fix` removes.
   */
  async removeProfile(id: string, who: Actor, steps?: AfterWriteSteps): Promise<void> {
    await this.profilesFile.update((data) => {
      if (!Object.hasOwn(data.profiles, id)) throw unknownProfileError(id, Object.keys(data.profiles));
      delete data.profiles[id];
      for (const [provider, ids] of Object.entries(data.order)) {
        const kept = ids.filter((x) => x !== id);
        if (kept.length === 0) delete data.order[provider];
        else data.order[provider] = kept;
      }
    });
    this.successes.forget(id);
    await afterWrite(steps, `removing its usage record from ${this.stateFile.path}`, () =>
      this.stateFile.update((state) => forgetUsage(state, id)),
    );
    await afterWrite(steps, "its audit log entry", async () =>
      this.auditLog?.append(who, "profile.remove", { agent: this.agentId, target: id }),
    );
  }

  async getOrder(provider: string): Promise<string[] | undefined> {
    return (await this.profilesFile.read()).order[provider];
  }

  /** Sets the agent's order override; every id must exist and belong to `provider`. */
  async setOrder(provider: string, ids: string[], who: Actor): Promise<string[]> {
    const unique = [...new Set(ids.map((id) => id.trim()).filter(Boolean))];
    if (unique.length === 0) {
      throw new TesseraError(
        "USAGE",
        "no profile ids given",
        `tessera models auth order set --provider ${provider} <profileId>...`,
      );
    }
    await this.profilesFile.update((data) => {
      for (const id of unique) {
        const credential = Object.hasOwn(data.profiles, id) ? data.profiles[id] : undefined;
        if (!credential) throw unknownProfileError(id, profilesOf(data, provider));
        if (credential.provider !== provider) {
          throw new TesseraError(
            "PROFILE_PROVIDER_MISMATCH",
            `profile ${id} is for ${credential.provider}, not ${provider}`,
            `use ${provider} profiles: ${listProfileIds(profilesOf(data, provider)) || "(none stored)"}`,
          );
        }
      }
      data.order[provider] = unique;
    });
    await this.auditLog?.append(who, "order.set", {
      agent: this.agentId,
      target: provider,
      detail: unique.join(","),
    });
    return unique;
  }

  async clearOrder(provider: string, who: Actor): Promise<boolean> {
    const had = await this.profilesFile.update((data) => {
      const existed = Object.hasOwn(data.order, provider);
      delete data.order[provider];
      return existed;
    });
    if (had) await this.auditLog?.append(who, "order.clear", { agent: this.agentId, target: provider });
    return had;
  }

  /**
   * Records a successful request: last used, last good for the provider, marks cleared. Coalesced
   * (see `DeferredSuccesses`): this process's `load()` sees it at once, the file gets it within a
   * second in one locked write with every other success of that second, so a model answer never
   * waits for this write and never fails because of it. `flushUsage` writes it now.
   */
  async markSuccess(id: string, provider: string, now = Date.now()): Promise<void> {
    this.successes.add(id, provider, now);
  }

  /** Writes the successes recorded by `markSuccess` now; rejects when that write fails. */
  flushUsage(): Promise<void> {
    return this.successes.flush();
  }

  /**
   * The error of a background usage write that failed since the last call (read-only state dir,
   * full disk), for the caller to report; the write is retried on its own.
   */
  takeUsageWriteFailure(): Error | undefined {
    return this.successes.takeFailure();
  }

  /**
   * Records a failure that counts against the credential (rate limit, billing, auth). `message` (a
   * provider's error text, kept for needs-reauth) is stored with the profile's own secrets and any
   * key- or bearer-shaped text masked: auth-state.json is the non-secret file. `kind` says what an
   * auth failure's mark means (see `ReauthKind`), so the views can give the right fix.
   */
  async markFailure(
    id: string,
    reason: FailureReason,
    opts: { retryAfterMs?: number; message?: string; kind?: ReauthKind; now?: number } = {},
  ): Promise<void> {
    const now = opts.now ?? Date.now();
    const message =
      opts.message === undefined ? undefined : redactSecrets(opts.message, await this.secretsOf(id));
    await this.stateFile.update((state) => {
      state.usage[id] = applyFailure(state.usage[id] ?? { failureCounts: {} }, reason, now, {
        ...opts,
        message,
      });
    });
  }

  /** The profile's secrets for redaction; none when the store cannot be read (redaction by shape still applies). */
  private async secretsOf(id: string): Promise<string[]> {
    const credential = await this.profilesFile.read().then(
      (data) => (Object.hasOwn(data.profiles, id) ? data.profiles[id] : undefined),
      () => undefined,
    );
    return credential ? allSecretsOf(credential) : [];
  }

  /** Clears cooldown, disabled and needs-reauth marks (a new credential was stored for this id). */
  async clearUsageMarks(id: string): Promise<void> {
    // A plain read first: most stores have nothing to clear, and then no lock is taken.
    if (!hasMarks((await this.stateFile.read()).usage[id])) return;
    await this.stateFile.update((state) => {
      const usage = state.usage[id];
      if (usage) state.usage[id] = { ...withoutMarks(usage), failureCounts: {} };
    });
  }
}

/**
 * Drops what auth-state.json keeps about profile `id`: usage and marks, owner notices (a re-added
 * credential gets its own) and `lastGood`. For a removed profile; doctor uses it for leftovers.
 */
export function forgetUsage(state: AuthStateFile, id: string): void {
  delete state.usage[id];
  for (const key of Object.keys(state.notified)) if (key.startsWith(`${id}:`)) delete state.notified[key];
  for (const [provider, good] of Object.entries(state.lastGood))
    if (good === id) delete state.lastGood[provider];
}

function profilesOf(data: AuthProfilesFile, provider: string): string[] {
  return Object.entries(data.profiles)
    .filter(([, c]) => c.provider === provider)
    .map(([id]) => id);
}

/**
 * Profile ids are `<provider>:<name>`, and the provider part must match the credential's provider.
 * An id is shown back in every view, the audit log and chat, so one holding a control or invisible
 * character (an escape sequence, a bidi override) is refused rather than stored.
 */
export function assertProfileId(id: string, provider: string): void {
  refuseControlChars(
    "PROFILE_INVALID",
    "profile id",
    id,
    `--profile-id ${provider}:<name>, in letters, digits and punctuation`,
  );
  if (!/^[a-z0-9][a-z0-9._-]*:[^\s]+$/.test(id)) {
    throw new TesseraError(
      "PROFILE_INVALID",
      `invalid profile id "${id}": profile ids look like <provider>:<name>, e.g. ${provider}:work`,
      `--profile-id ${provider}:<name>`,
    );
  }
  if (providerOfProfileId(id) !== provider) {
    throw new TesseraError(
      "PROFILE_PROVIDER_MISMATCH",
      `profile id ${id} does not start with the provider ${provider}:`,
      `--profile-id ${provider}:${id.slice(id.indexOf(":") + 1)}`,
    );
  }
}
