import { AuditLog } from "../audit/audit-log.js";
import { AuthStore } from "../auth/auth-store.js";
import { type Credential, secretOf } from "../auth/credentials.js";
import { maskSecret } from "../auth/mask.js";
import { objectAt, updateConfigFile } from "../config/load.js";
import { isRecord } from "../config/migrations.js";
import type { StatePaths } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import { ownEntry } from "../own-entry.js";
import type { OnboardAnswers } from "./onboard-answers.js";
import { setDotenvValues } from "./onboard-dotenv.js";
import type { StepLog } from "./partly-done.js";

/** One line of what onboarding did (or found already done). Never holds a secret, only masks. */
export interface OnboardChange {
  area: "config" | "store" | ".env";
  what: string;
  changed: boolean;
  /** A step that was not done; the command ends with a `PARTLY_DONE` error saying why. */
  failed?: true;
}

type ConfigEdit = { describe: string; apply: (raw: Record<string, unknown>) => void };

/**
 * Writes the answers: config keys (only those that differ from what is in effect, in one locked
 * edit that must validate), the credential to the agent's store (origin `onboard`, audited), bot
 * tokens to `<state>/.env`. Everything is compared first, so running it again with the same answers
 * writes nothing. `config` is the config in effect now, which the edits are decided against.
 *
 * The config goes first: if it fails (or would not validate), it is thrown and nothing is written.
 * The store write, its bookkeeping (old marks, the audit line) and `.env` follow as `steps`: each
 * runs even when an earlier one failed, and a failed one is listed as not done, for the command to
 * end with one `PARTLY_DONE` error. What that leaves (config metadata of a profile not stored, a
 * channel enabled without its token) is a doctor finding; running onboard again completes it.
 */
export async function applyOnboarding(
  paths: StatePaths,
  config: Config,
  answers: OnboardAnswers,
  who: { actor: string; surface: string },
  steps: StepLog,
): Promise<OnboardChange[]> {
  const changes: OnboardChange[] = [];
  const edits = configEdits(config, answers);
  if (edits.length > 0) {
    await updateConfigFile(
      paths.configPath,
      (raw) => {
        for (const edit of edits) edit.apply(raw);
      },
      { stateDir: paths.stateDir },
    );
  }
  for (const edit of edits) changes.push({ area: "config", what: edit.describe, changed: true });

  if (answers.credential) {
    const { profileId } = answers.credential;
    const stored = await steps.step(`storing ${profileId} in agent ${answers.agent}'s store`, async () => {
      changes.push(await storeCredential(paths, answers, who, steps));
    });
    if (!stored) {
      changes.push({
        area: "store",
        what: `${profileId} not stored (see the error below)`,
        changed: false,
        failed: true,
      });
    }
  }

  const dotenv: Record<string, string> = {};
  if (answers.telegram?.token) dotenv.TELEGRAM_BOT_TOKEN = answers.telegram.token;
  if (answers.discord?.token) dotenv.DISCORD_BOT_TOKEN = answers.discord.token;
  const keys = Object.keys(dotenv);
  if (keys.length > 0) {
    let changed: Set<string> | undefined;
    await steps.step(`setting ${keys.join(" and ")} in ${paths.envPath}`, async () => {
      changed = new Set(await setDotenvValues(paths.envPath, dotenv));
    });
    for (const [key, value] of Object.entries(dotenv)) {
      changes.push(
        changed
          ? {
              area: ".env",
              what: `${key} ${changed.has(key) ? "set" : "unchanged"} (${maskSecret(value)}) in ${paths.envPath}`,
              changed: changed.has(key),
            }
          : {
              area: ".env",
              what: `${key} not set in ${paths.envPath} (see the error below)`,
              changed: false,
              failed: true,
            },
      );
    }
  }
  return changes;
}

/**
 * The credential step: stores the answer's credential unless the store already holds it. The
 * profile write is what this step is; clearing the old marks and the audit line go to `steps`.
 */
async function storeCredential(
  paths: StatePaths,
  answers: OnboardAnswers,
  who: { actor: string; surface: string },
  steps: StepLog,
): Promise<OnboardChange> {
  const { provider, profileId, type, secret, expires, oauth } = answers.credential!;
  const store = new AuthStore(paths.stateDir, answers.agent, new AuditLog(paths.auditPath));
  const existing = ownEntry((await store.profilesFile.read()).profiles, profileId);
  let credential: Credential;
  if (oauth) {
    // A login just happened: its tokens are new by definition.
    credential = { ...oauth, origin: "onboard" };
  } else if (secret === undefined) {
    return { area: "store", what: `${profileId} kept (${describe(existing)})`, changed: false };
  } else if (existing && existing.type === type && secretOf(existing) === secret) {
    return { area: "store", what: `${profileId} unchanged (${describe(existing)})`, changed: false };
  } else {
    credential =
      type === "api_key"
        ? { type, provider, key: secret, origin: "onboard" }
        : { type: "token", provider, token: secret, ...(expires ? { expires } : {}), origin: "onboard" };
  }
  const { created } = await store.upsertProfile(profileId, credential, who, steps);
  return {
    area: "store",
    what: `${profileId} ${created ? "added" : "replaced"} (${describe(credential)}) for agent ${answers.agent}`,
    changed: true,
  };
}

function describe(credential: Credential | undefined): string {
  return credential ? `${credential.type} ${maskSecret(secretOf(credential))}` : "none";
}

/** The config edits the answers need, each only when the value in effect differs. */
function configEdits(config: Config, answers: OnboardAnswers): ConfigEdit[] {
  const edits: ConfigEdit[] = [];
  const knownAgents = new Set([config.agents.default, ...config.agents.list.map((a) => a.id)]);
  if (!knownAgents.has(answers.agent)) {
    edits.push({
      describe: `agents.list: added ${answers.agent}`,
      apply(raw) {
        const agents = objectAt(raw, "agents");
        // Without a list in the file the default list is in effect; keep its entries when adding.
        if (!Array.isArray(agents.list)) agents.list = config.agents.list.map((a) => ({ ...a }));
        (agents.list as unknown[]).push({ id: answers.agent });
      },
    });
  }
  if (answers.model !== undefined && config.models.default !== answers.model) {
    const model = answers.model;
    edits.push({
      describe: `models.default = ${model} (was ${config.models.default})`,
      apply: (raw) => {
        objectAt(raw, "models").default = model;
      },
    });
  }
  if (answers.credential) {
    const { profileId, provider, type } = answers.credential;
    const meta = ownEntry(config.auth.profiles, profileId);
    if (!meta || meta.provider !== provider || meta.mode !== type) {
      edits.push({
        describe: `auth.profiles["${profileId}"] = { provider: ${provider}, mode: ${type} }`,
        apply: (raw) => {
          const profiles = objectAt(raw, "auth", "profiles");
          const previous = ownEntry(profiles, profileId);
          profiles[profileId] = { ...(isRecord(previous) ? previous : {}), provider, mode: type };
        },
      });
    }
  }
  for (const channel of ["telegram", "discord"] as const) {
    const answer = answers[channel];
    if (!answer) continue;
    const current = config.channels[channel];
    if (current.enabled !== answer.enabled) {
      edits.push({
        describe: `channels.${channel}.enabled = ${answer.enabled}`,
        apply: (raw) => {
          objectAt(raw, "channels", channel).enabled = answer.enabled;
        },
      });
    }
    const added = answer.allowFrom.filter((id) => !current.allowFrom.includes(id));
    if (added.length > 0) {
      edits.push({
        describe: `channels.${channel}.allowFrom: added ${added.join(", ")}`,
        apply: (raw) => addToList(objectAt(raw, "channels", channel), "allowFrom", added),
      });
    }
    const tokenKey = channel === "telegram" ? "botToken" : "token";
    const inConfig =
      channel === "telegram" ? config.channels.telegram.botToken : config.channels.discord.token;
    if (answer.token && inConfig) {
      edits.push({
        describe: `channels.${channel}.${tokenKey} removed (the new token is in .env; a token left in the config would take precedence)`,
        apply: (raw) => {
          delete objectAt(raw, "channels", channel)[tokenKey];
        },
      });
    }
  }
  const newOwners = answers.owners.filter((o) => !config.access.owners.includes(o));
  if (newOwners.length > 0) {
    edits.push({
      describe: `access.owners: added ${newOwners.join(", ")}`,
      apply: (raw) => addToList(objectAt(raw, "access"), "owners", newOwners),
    });
  }
  return edits;
}

function addToList(node: Record<string, unknown>, key: string, values: string[]): void {
  const list = Array.isArray(node[key]) ? (node[key] as unknown[]) : [];
  for (const value of values) if (!list.includes(value)) list.push(value);
  node[key] = list;
}
