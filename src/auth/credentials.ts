import { z } from "zod";

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

export const AuthProfilesFileSchema = z.looseObject({
  version: z.number().default(1),
  profiles: z.record(z.string().min(1), CredentialSchema).default({}),
  /** Per-agent order override: provider → profile ids (`tessera models auth order set`). */
  order: z.record(z.string(), z.array(z.string())).default({}),
});

export type Credential = z.infer<typeof CredentialSchema>;
export type CredentialType = Credential["type"];
export type CredentialOrigin = z.infer<typeof CredentialOriginSchema>;
export type ApiKeyCredential = z.infer<typeof ApiKeyCredentialSchema>;
export type TokenCredential = z.infer<typeof TokenCredentialSchema>;
export type OAuthCredential = z.infer<typeof OAuthCredentialSchema>;
export type AuthProfilesFile = z.infer<typeof AuthProfilesFileSchema>;

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
