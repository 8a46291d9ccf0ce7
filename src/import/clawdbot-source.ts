import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { CLAUDE_CLI_PROFILE_ID } from "../auth/claude-code.js";
import { type Credential, CredentialSchema } from "../auth/credentials.js";
import { byCodePoint } from "../code-point-order.js";
import { isRecord } from "../config/migrations.js";
import { hasControlChars } from "../control-chars.js";
import { TesseraError } from "../errors.js";
import { readTextFollowingLinks } from "../files/json-state-file.js";
import { describeJsonSyntaxError } from "../files/json-syntax-error.js";
import { formatIssues } from "../schema-issues.js";

/** Where a Clawdbot-family gateway keeps one agent's credentials. */
export interface SourceAgent {
  /** The agent id in the source (`main` for the pre-multi-agent `agent/` dir). */
  id: string;
  dir: string;
}

/** One credential found in the source, normalized to our layout, or the reason it cannot be. */
export interface SourceProfile {
  sourceAgent: string;
  /** Path relative to the source dir, e.g. `agents/main/agent/auth-profiles.json`. */
  file: string;
  /** The id as the source stored it (for legacy files: the provider key). */
  sourceId: string;
  /** The id it gets here: `<provider>:<name>`. */
  profileId: string;
  provider?: string;
  type?: string;
  credential?: Credential;
  /** Why it cannot be imported (invalid, unsupported); decided before looking at the target. */
  problem?: string;
}

/** An order override found in a source store: provider → profile ids (already renamed to ours). */
export interface SourceOrder {
  sourceAgent: string;
  file: string;
  provider: string;
  ids: string[];
}

export interface SourceScan {
  root: string;
  agents: SourceAgent[];
  profiles: SourceProfile[];
  orders: SourceOrder[];
  /** Files that exist but could not be read as JSON objects, with the reason (never their contents). */
  unreadable: { file: string; problem: string }[];
  /** Every file read, for the report (and for tests proving they were left alone). */
  files: string[];
}

/** The state dirs of Clawdbot-family gateways, for "did you mean" when the given dir has nothing. */
export const KNOWN_SOURCE_DIRS = ["~/.clawdbot", "~/.openclaw", "~/.moltbot", "~/.equabot"];

const STORE = "auth-profiles.json";
const LEGACY = "auth.json";

/**
 * Reads a Clawdbot-family state dir without changing anything in it: every
 * `agents/<id>/agent/auth-profiles.json` (and the legacy `auth.json` next to it), the
 * pre-multi-agent `agent/` dir, and `credentials/oauth.json`. A dir that is itself an agent dir
 * (holds `auth-profiles.json`) works too. Entries are normalized and checked here; whether they
 * clash with what we already store is the plan's business.
 */
export async function scanClawdbotDir(root: string): Promise<SourceScan> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new TesseraError(
      "FILE_IO",
      `${root} is not a directory`,
      `point tessera import at a Clawdbot-family state dir, e.g. ${KNOWN_SOURCE_DIRS.join(", ")}`,
    );
  }
  const scan: SourceScan = {
    root,
    agents: await findAgents(root),
    profiles: [],
    orders: [],
    unreadable: [],
    files: [],
  };
  const rel = (path: string) => relative(root, path) || basename(path);
  for (const agent of scan.agents) {
    const storePath = join(agent.dir, STORE);
    const store = await readJsonObject(storePath, rel, scan);
    const fromStore = new Set<string>();
    if (store) {
      const profiles = isRecord(store.profiles) ? store.profiles : {};
      if (!isRecord(store.profiles))
        scan.unreadable.push({ file: rel(storePath), problem: "has no profiles object" });
      const renamed = new Map<string, string>();
      for (const [id, raw] of Object.entries(profiles)) {
        const profile = normalize(agent.id, rel(storePath), id, raw, undefined);
        renamed.set(id, profile.profileId);
        fromStore.add(profile.profileId);
        scan.profiles.push(profile);
      }
      if (isRecord(store.order)) {
        for (const [provider, ids] of Object.entries(store.order)) {
          if (!Array.isArray(ids)) continue;
          const list = ids.filter((id): id is string => typeof id === "string" && id.trim() !== "");
          scan.orders.push({
            sourceAgent: agent.id,
            file: rel(storePath),
            provider: provider.trim().toLowerCase(),
            ids: [...new Set(list.map((id) => renamed.get(id) ?? id))],
          });
        }
      }
    }
    const legacyPath = join(agent.dir, LEGACY);
    const legacy = await readJsonObject(legacyPath, rel, scan);
    if (legacy) {
      if ("profiles" in legacy) {
        scan.unreadable.push({
          file: rel(legacyPath),
          problem: "is not the legacy provider-keyed layout (skipped)",
        });
      } else {
        for (const [provider, raw] of Object.entries(legacy)) {
          const profile = normalize(agent.id, rel(legacyPath), provider, raw, provider);
          if (!profile.problem && fromStore.has(profile.profileId)) {
            profile.problem = `superseded by ${rel(storePath)} (the legacy file is older)`;
          }
          scan.profiles.push(profile);
        }
      }
    }
    if (agent.id === "main") {
      const oauthPath = join(root, "credentials", "oauth.json");
      const oauth = await readJsonObject(oauthPath, rel, scan);
      for (const [provider, raw] of Object.entries(oauth ?? {})) {
        const withType = isRecord(raw) && raw.type === undefined ? { ...raw, type: "oauth" } : raw;
        const profile = normalize("main", rel(oauthPath), provider, withType, provider);
        if (!profile.problem && fromStore.has(profile.profileId)) {
          profile.problem = `superseded by ${rel(storePath)}`;
        }
        scan.profiles.push(profile);
      }
    }
  }
  return scan;
}

async function findAgents(root: string): Promise<SourceAgent[]> {
  const agents: SourceAgent[] = [];
  const entries = await readdir(join(root, "agents"), { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => byCodePoint(a.name, b.name))) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, "agents", entry.name, "agent");
    if (await holdsCredentials(dir)) agents.push({ id: entry.name, dir });
  }
  // The single-agent layout before multi-agent support: `<state>/agent/`.
  const legacyDir = join(root, "agent");
  if (!agents.some((a) => a.id === "main") && (await holdsCredentials(legacyDir))) {
    agents.push({ id: "main", dir: legacyDir });
  }
  // Pointed at an agent dir itself (`…/agents/work/agent`).
  if (agents.length === 0 && (await holdsCredentials(root))) {
    const id =
      basename(root) === "agent" && basename(dirname(dirname(root))) === "agents"
        ? basename(dirname(root))
        : "main";
    agents.push({ id, dir: root });
  }
  // oauth.json alone still belongs to `main`.
  if (!agents.some((a) => a.id === "main") && (await exists(join(root, "credentials", "oauth.json")))) {
    agents.push({ id: "main", dir: join(root, "agents", "main", "agent") });
  }
  return agents;
}

async function holdsCredentials(dir: string): Promise<boolean> {
  return (await exists(join(dir, STORE))) || (await exists(join(dir, LEGACY)));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readJsonObject(
  path: string,
  rel: (p: string) => string,
  scan: SourceScan,
): Promise<Record<string, unknown> | undefined> {
  const text = await readTextFollowingLinks(path);
  if (text === undefined) return undefined;
  scan.files.push(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    scan.unreadable.push({
      file: rel(path),
      problem: `is not valid JSON (${describeJsonSyntaxError(err, text)})`,
    });
    return undefined;
  }
  if (!isRecord(value)) {
    scan.unreadable.push({ file: rel(path), problem: "is not a JSON object" });
    return undefined;
  }
  return value;
}

/**
 * One source entry in our layout. Providers are lower-cased (Clawdbot compared them normalized); an
 * id without a `<provider>:` prefix matching the credential becomes `<provider>:<name>`. Unknown
 * fields are kept, as everywhere in the store. `anthropic:claude-cli` keeps origin `claude-code` so
 * our own Claude Code sync may keep updating it; everything else gets origin `import`.
 */
function normalize(
  sourceAgent: string,
  file: string,
  sourceId: string,
  raw: unknown,
  providerKey: string | undefined,
): SourceProfile {
  const base = { sourceAgent, file, sourceId, profileId: sourceId };
  if (!isRecord(raw)) return { ...base, problem: "invalid entry: not an object" };
  // The id is shown, audited and typed back by people: no control or invisible characters in it.
  if (hasControlChars(sourceId) || (typeof raw.provider === "string" && hasControlChars(raw.provider)))
    return { ...base, problem: "invalid entry: its id or provider contains control or invisible characters" };
  const providerRaw = typeof raw.provider === "string" ? raw.provider : providerKey;
  if (!providerRaw?.trim()) return { ...base, problem: "invalid entry: no provider" };
  const provider = providerRaw.trim().toLowerCase();
  const type = typeof raw.type === "string" ? raw.type : undefined;
  const name = providerKey !== undefined ? "default" : nameOf(sourceId, provider);
  const profileId = `${provider}:${name}`;
  const origin = profileId === CLAUDE_CLI_PROFILE_ID ? "claude-code" : "import";
  const parsed = CredentialSchema.safeParse({ ...raw, provider, origin });
  if (!parsed.success) {
    return {
      ...base,
      profileId,
      provider,
      type,
      problem: `invalid entry: ${formatIssues(parsed.error).join("; ")}`,
    };
  }
  return { ...base, profileId, provider, type: parsed.data.type, credential: parsed.data };
}

/** The `<name>` part: the id after its provider prefix, or the whole id made safe. */
function nameOf(id: string, provider: string): string {
  const colon = id.indexOf(":");
  const name = colon > 0 && id.slice(0, colon).toLowerCase() === provider ? id.slice(colon + 1) : id;
  return name.trim().replace(/\s+/g, "-") || "default";
}
