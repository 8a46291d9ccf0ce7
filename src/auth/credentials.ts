import { z } from "zod";
import { TesseraError } from "../errors.js";
import { storeAs } from "../files/disk-form.js";
import { formatIssues } from "../schema-issues.js";

/**
 * Credential records as stored in `auth-profiles.json`. The layout is the one Clawdbot-family gateways
 * write (`type`, `provider`, `key` | `token`+`expires` | `access`+`refresh`+`expires`, times in epoch
 * ms), so such a file can be brought over as is. Unknown fields are kept (loose objects) so that a
 * round-trip through Tessera never drops what another tool stored.
 */

/** Who wrote a profile. Claude Code sync only ever replaces profiles it wrote itself. */
export const CredentialOriginSchema = z.enum(["user", "claude-code", "login", "import", "onboard"]);

const common = {
  provider: z.string().min(1),
  email: z.string().optional(),
  origin: CredentialOriginSchema.optional(),
  updatedAt: z.number().optional(),
};

export const ApiKeyCredentialSchema = z.looseObject({
  type: z.literal("api_key"),
  key: z.string(),
  ...common,
});
export const TokenCredentialSchema = z.looseObject({
  type: z.literal("token"),
  token: z.string(),
  /** Epoch ms; absent means the token does not expire by itself. */
  expires: z.number().optional(),
  ...common,
});
export const OAuthCredentialSchema = z.looseObject({
  type: z.literal("oauth"),
  access: z.string(),
  refresh: z.string(),
  /** Epoch ms when `access` stops working. */
  expires: z.number().optional(),
  ...common,
});

export const CredentialSchema = z.discriminatedUnion("type", [
  ApiKeyCredentialSchema,
  TokenCredentialSchema,
  OAuthCredentialSchema,
]);

/**
 * A stored entry Tessera cannot use: a credential type it does not know (a newer Clawdbot-family
 * layout, say) or a known type with fields missing. One such entry must not make the whole store
 * unreadable (and `doctor --fix` move every credential aside), so it is kept apart: shown as
 * unsupported with the reason, never offered or used, and written back exactly as it was.
 */
export interface OpaqueProfile {
  /** The entry as stored, written back unchanged. */
  raw: unknown;
  /** Its `type` field, when it has one. */
  type?: string;
  /** Its `provider` field, else the provider part of its id. */
  provider: string;
  /** Why it cannot be used, for the views. */
  reason: string;
  /**
   * A type Tessera knows, with fields missing: most likely a hand edit gone wrong, so an error in
   * the views; an unknown type is a warning (another tool's, kept for it).
   */
  invalid: boolean;
}

const StoredFileSchema = z.looseObject({
  version: z.number().default(1),
  profiles: z.record(z.string().min(1), z.unknown()).default({}),
  /** Per-agent order override: provider → profile ids (`tessera models auth order set`). */
  order: z.record(z.string(), z.array(z.string())).default({}),
});

/** `auth-profiles.json` as Tessera works with it: usable credentials, and the entries it keeps aside. */
export type AuthProfilesFile = {
  version: number;
  profiles: Record<string, Credential>;
  order: Record<string, string[]>;
  /** Fields other tools wrote at the top level, kept. */
  [field: string]: unknown;
  /** Entries that are not usable credentials (see `OpaqueProfile`); preserved on every write. */
  unsupported?: Record<string, OpaqueProfile>;
};

export const AuthProfilesFileSchema: z.ZodType<AuthProfilesFile> = StoredFileSchema.transform((file) => {
  const profiles: Record<string, Credential> = {};
  const unsupported: Record<string, OpaqueProfile> = {};
  for (const [id, raw] of Object.entries(file.profiles)) {
    const parsed = CredentialSchema.safeParse(raw);
    if (parsed.success) {
      profiles[id] = parsed.data;
      continue;
    }
    const fields = isObject(raw) ? raw : {};
    const type = typeof fields.type === "string" ? fields.type : undefined;
    const provider =
      typeof fields.provider === "string" && fields.provider ? fields.provider : providerOfProfileId(id);
    const known = type !== undefined && (CREDENTIAL_TYPES as readonly string[]).includes(type);
    const reason = known
      ? `a stored ${type} entry with fields missing or of the wrong kind (${formatIssues(parsed.error).slice(0, 2).join("; ")})`
      : type === undefined
        ? "an entry without a credential type"
        : `credential type "${type}", which this version of Tessera does not support`;
    unsupported[id] = { raw, type, provider, reason, invalid: known };
  }
  const out: AuthProfilesFile = { ...file, profiles };
  if (Object.keys(unsupported).length > 0) out.unsupported = unsupported;
  return out;
});

/**
 * The file as it is written: the usable credentials and, after them, every kept-aside entry as it
 * was read (a credential stored under the same id since replaces it).
 */
export function authProfilesOnDisk(data: AuthProfilesFile): unknown {
  const { unsupported, ...rest } = data;
  if (!unsupported) return rest;
  const profiles: Record<string, unknown> = { ...rest.profiles };
  for (const [id, entry] of Object.entries(unsupported))
    if (!Object.hasOwn(profiles, id)) profiles[id] = entry.raw;
  return { ...rest, profiles };
}
storeAs(AuthProfilesFileSchema, authProfilesOnDisk);

const CREDENTIAL_TYPES = ["api_key", "token", "oauth"] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export type Credential = z.infer<typeof CredentialSchema>;
export type CredentialType = Credential["type"];
export type CredentialOrigin = z.infer<typeof CredentialOriginSchema>;
export type ApiKeyCredential = z.infer<typeof ApiKeyCredentialSchema>;
export type TokenCredential = z.infer<typeof TokenCredentialSchema>;
export type OAuthCredential = z.infer<typeof OAuthCredentialSchema>;

export const emptyAuthProfiles = (): AuthProfilesFile => ({ version: 1, profiles: {}, order: {} });

/** The secret string a credential authenticates with right now. */
export function secretOf(credential: Credential): string {
  switch (credential.type) {
    case "api_key":
      return credential.key;
    case "token":
      return credential.token;
    case "oauth":
      return credential.access;
  }
}

/** Every secret a credential holds (access and refresh for oauth), for leak checks and redaction. */
export function allSecretsOf(credential: Credential): string[] {
  return credential.type === "oauth" ? [credential.access, credential.refresh] : [secretOf(credential)];
}

/** `anthropic:work` → `anthropic`. Profile ids are `<provider>:<name>`. */
export function providerOfProfileId(id: string): string {
  const colon = id.indexOf(":");
  return colon > 0 ? id.slice(0, colon) : id;
}

/** Whether two credentials hold the same secrets and expiry (metadata such as `origin` aside). */
export function sameCredential(a: Credential, b: Credential): boolean {
  if (a.type !== b.type || a.provider !== b.provider) return false;
  if (a.type === "api_key" && b.type === "api_key") return a.key === b.key;
  if (a.type === "token" && b.type === "token") return a.token === b.token && a.expires === b.expires;
  if (a.type === "oauth" && b.type === "oauth")
    return a.access === b.access && a.refresh === b.refresh && a.expires === b.expires;
  return false;
}

/** How many profile ids an error lists before pointing at `tessera models auth list`. */
const LISTED_IDS = 10;

/**
 * Profile ids for a message: at most 10, then `… and N more; \`tessera models auth list\``, so an
 * error stays one readable line with hundreds of profiles stored.
 */
export function listProfileIds(ids: readonly string[]): string {
  if (ids.length <= LISTED_IDS) return ids.join(", ");
  return `${ids.slice(0, LISTED_IDS).join(", ")}, … and ${ids.length - LISTED_IDS} more; \`tessera models auth list\``;
}

/** The error for a profile id the store does not hold, naming the ones it does (see `listProfileIds`). */
export function unknownProfileError(id: string, known: readonly string[]): TesseraError {
  return new TesseraError(
    "PROFILE_NOT_FOUND",
    `no profile ${id}${known.length ? ` (known: ${listProfileIds(known)})` : " (the store has none)"}`,
    "tessera models auth list",
  );
}
