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

/** One line of what onboarding did (or found already done). Never holds a secret, only masks. */
export interface OnboardChange {
  area: "config" | "store" | ".env";
  what: string;
  changed: boolean;
}

type ConfigEdit = { describe: string; apply: (raw: Record<string, unknown>) => void };

/**
 * Writes the answers: config keys (only those that differ from what is in effect, in one locked
 * edit that must validate), the credential to the agent's store (origin `onboard`, audited), bot
 * tokens to `<state>/.env`. Everything is compared first, so running it again with the same answers
 * writes nothing. The config goes first: if it would not validate, nothing else is written either.
 * `config` is the config in effect now, which the edits are decided against.
 */
export async function applyOnboarding(
  paths: StatePaths,
  config: Config,
  answers: OnboardAnswers,
  who: { actor: string; surface: string },
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
    const { provider, profileId, type, secret, expires, oauth } = answers.credential;
    const store = new AuthStore(paths.stateDir, answers.agent, new AuditLog(paths.auditPath));
    const existing = ownEntry((await store.profilesFile.read()).profiles, profileId);
    if (oauth) {
      // A login just happened: its tokens are new by definition.
      const { created } = await store.upsertProfile(profileId, { ...oauth, origin: "onboard" }, who);
      changes.push({
        area: "store",
        what: `${profileId} ${created ? "added" : "replaced"} (${describe(oauth)}) for agent ${answers.agent}`,
        changed: true,
      });
    } else if (secret === undefined) {
      changes.push({ area: "store", what: `${profileId} kept (${describe(existing)})`, changed: false });
    } else if (existing && existing.type === type && secretOf(existing) === secret) {
      changes.push({ area: "store", what: `${profileId} unchanged (${describe(existing)})`, changed: false });
    } else {
      const credential: Credential =
        type === "api_key"
          ? { type, provider, key: secret, origin: "onboard" }
          : { type: "token", provider, token: secret, ...(expires ? { expires } : {}), origin: "onboard" };
      const { created } = await store.upsertProfile(profileId, credential, who);
      changes.push({
        area: "store",
        what: `${profileId} ${created ? "added" : "replaced"} (${describe(credential)}) for agent ${answers.agent}`,
        changed: true,
      });
    }
  }

  const dotenv: Record<string, string> = {};
  if (answers.telegram?.token) dotenv.TELEGRAM_BOT_TOKEN = answers.telegram.token;
  if (answers.discord?.token) dotenv.DISCORD_BOT_TOKEN = answers.discord.token;
  if (Object.keys(dotenv).length > 0) {
    const changed = new Set(await setDotenvValues(paths.envPath, dotenv));
    for (const [key, value] of Object.entries(dotenv)) {
      changes.push({
        area: ".env",
        what: `${key} ${changed.has(key) ? "set" : "unchanged"} (${maskSecret(value)}) in ${paths.envPath}`,
        changed: changed.has(key),
      });
    }
  }
  return changes;
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
