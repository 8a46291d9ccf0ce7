import type { Credential } from "../auth/credentials.js";
import { TesseraError } from "../errors.js";
import type { CliContext } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { assertKnownProvider, chooseProfileId, storeUserProfile } from "./models-store-profile.js";
import { readSecretInput } from "./token-input.js";
import {
  joinPastedSecret,
  parseExpiresIn,
  type SecretKind,
  validatePastedSecret,
} from "./token-validation.js";

export interface PasteOptions {
  provider: string;
  /** Hidden flags, accepted only to be refused (see register-models.ts). */
  token?: string;
  key?: string;
  apiKey?: string;
  profileId?: string;
  expiresIn?: string;
  agent?: string;
}

/**
 * `models auth paste-token` and `paste-api-key`: checks the flags first (provider, profile id,
 * duration), then reads the secret (hidden prompt on a TTY, stdin otherwise), joins a wrapped paste,
 * validates it for the provider and stores it as a `user` profile with its config metadata.
 */
export async function runPasteSecret(ctx: CliContext, kind: SecretKind, opts: PasteOptions): Promise<number> {
  const provider = opts.provider.trim().toLowerCase();
  if (opts.token !== undefined || opts.key !== undefined || opts.apiKey !== undefined) {
    const cmd = kind === "token" ? "paste-token" : "paste-api-key";
    throw new TesseraError(
      "USAGE",
      "secrets are not accepted as arguments (other users see them in `ps`, and shell history keeps them); nothing was stored",
      `echo "$SECRET" | tessera models auth ${cmd} --provider ${provider}   (or run it on a terminal for a hidden prompt)`,
    );
  }
  const expiresInMs = parseExpiresIn(opts.expiresIn);
  const { services } = await openSyncedServices(ctx, opts.agent);
  assertKnownProvider(services, provider);
  const id = chooseProfileId(provider, opts.profileId);
  const what = kind === "token" ? "token" : "API key";
  const secret = joinPastedSecret(
    await readSecretInput(ctx, `Paste the ${provider} ${what} for ${id} (input hidden): `),
  );
  validatePastedSecret(provider, kind, secret);
  const credential: Credential =
    kind === "token"
      ? {
          type: "token",
          provider,
          token: secret,
          ...(expiresInMs === undefined ? {} : { expires: Date.now() + expiresInMs }),
          origin: "user",
        }
      : { type: "api_key", provider, key: secret, origin: "user" };
  await storeUserProfile(ctx, services, id, credential, kind);
  return 0;
}
