import { exchangeAuthCode, parseAuthCodePaste, startPkceLogin } from "../auth/oauth-login.js";
import { TesseraError } from "../errors.js";
import { ANTHROPIC_OAUTH_TOKEN_URL, providerInfo } from "../models/provider-catalog.js";
import type { CliContext } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { chooseProfileId, storeUserProfile } from "./models-store-profile.js";
import { readSecretInput } from "./token-input.js";

export interface LoginOptions {
  provider: string;
  profileId?: string;
  agent?: string;
}

/**
 * `models auth login --provider anthropic`: OAuth with PKCE for hosts without a browser. Prints the
 * authorize URL (stdout), reads the pasted `code#state` (hidden prompt, or a line on stdin), refuses
 * a code from another attempt, exchanges it at the configured token endpoint and stores the oauth
 * profile as `anthropic:<email>` (or `anthropic:default`). The tokens are never printed.
 */
export async function runLogin(ctx: CliContext, opts: LoginOptions): Promise<number> {
  if (opts.provider.trim().toLowerCase() !== "anthropic") {
    throw new TesseraError(
      "USAGE",
      `login supports only --provider anthropic (got ${opts.provider})`,
      `tessera models auth paste-api-key --provider ${opts.provider}`,
    );
  }
  const { services } = await openSyncedServices(ctx, opts.agent);
  // Checked before the user spends a login on it.
  if (opts.profileId !== undefined) chooseProfileId("anthropic", opts.profileId);
  const tokenUrl = providerInfo(services.config, "anthropic")?.oauthTokenUrl ?? ANTHROPIC_OAUTH_TOKEN_URL;
  const login = startPkceLogin();
  ctx.stdout.write(
    [
      "Open this URL in a browser (on any machine) and log in:",
      "",
      login.url,
      "",
      "The page then shows a code (code#state). Paste it here.",
      "",
    ].join("\n"),
  );
  const pasted = await readSecretInput(ctx, "Code (input hidden): ", { firstLine: true });
  const { code } = parseAuthCodePaste(pasted, login.state);
  ctx.stderr.write("Exchanging the code …\n");
  const credential = await exchangeAuthCode({ tokenUrl, code, state: login.state, verifier: login.verifier });
  const id = opts.profileId
    ? chooseProfileId("anthropic", opts.profileId)
    : chooseProfileId("anthropic", undefined, credential.email ?? "default");
  await storeUserProfile(ctx, services, id, credential, "oauth");
  return 0;
}
