import { spawn } from "node:child_process";
import { CLAUDE_CLI_PROFILE_ID, CLAUDE_INSTALL_HINT } from "../auth/claude-code.js";
import { TesseraError } from "../errors.js";
import { findOnPath } from "../executable-on-path.js";
import type { CliContext } from "./cli-context.js";
import { openSyncedServices } from "./models-claude-sync.js";
import { storeUserProfile } from "./models-store-profile.js";
import { readSecretInput } from "./token-input.js";
import { joinPastedSecret, parseExpiresIn, validatePastedSecret } from "./token-validation.js";

export interface SetupTokenOptions {
  provider: string;
  expiresIn?: string;
  agent?: string;
}

/** PRODUCT §6.6, word for word: what to do on a host without a terminal. */
const SETUP_TOKEN_NEEDS_TTY =
  "setup-token requires an interactive TTY; run `claude setup-token` elsewhere and pipe it into `tessera models auth paste-token --provider anthropic`";

/** Where `npm` puts Claude Code; named in the error when `claude` is not on PATH. */

/**
 * `models auth setup-token`: hands the terminal to `claude setup-token` (Claude Code's own login
 * for a long-lived token), then asks for the token it printed with the hidden prompt and stores it
 * as `anthropic:claude-cli` — a `user` profile, so Claude Code sync never overwrites it.
 */
export async function runSetupToken(ctx: CliContext, opts: SetupTokenOptions): Promise<number> {
  if (opts.provider.trim().toLowerCase() !== "anthropic") {
    throw new TesseraError(
      "USAGE",
      `setup-token is only for anthropic (got --provider ${opts.provider})`,
      `tessera models auth paste-token --provider ${opts.provider}`,
    );
  }
  if (!ctx.stdin.isTTY) throw new TesseraError("NEEDS_TTY", SETUP_TOKEN_NEEDS_TTY);
  const expiresInMs = parseExpiresIn(opts.expiresIn);
  const { services } = await openSyncedServices(ctx, opts.agent);
  const claude = await findOnPath("claude", ctx.env.PATH ?? "");
  if (!claude) {
    throw new TesseraError(
      "CLAUDE_MISSING",
      "the `claude` command (Claude Code) was not found on PATH",
      `${CLAUDE_INSTALL_HINT}   (or run \`claude setup-token\` on another machine and use \`tessera models auth paste-token --provider anthropic\`)`,
    );
  }
  ctx.stderr.write(`Running ${claude} setup-token …\n`);
  const exit = await runInTerminal(claude, ["setup-token"], ctx.env);
  if (exit !== 0) {
    throw new TesseraError(
      "PROVIDER_ERROR",
      `\`claude setup-token\` ${typeof exit === "string" ? `was killed by ${exit}` : `exited with code ${exit}`}; nothing was stored`,
      "run `claude setup-token` by hand to see what went wrong, then: tessera models auth paste-token --provider anthropic",
    );
  }
  const secret = joinPastedSecret(
    await readSecretInput(
      ctx,
      "Paste the token `claude setup-token` printed (sk-ant-oat01-…, input hidden): ",
    ),
  );
  validatePastedSecret("anthropic", "token", secret);
  await storeUserProfile(
    ctx,
    services,
    CLAUDE_CLI_PROFILE_ID,
    {
      type: "token",
      provider: "anthropic",
      token: secret,
      ...(expiresInMs === undefined ? {} : { expires: Date.now() + expiresInMs }),
      origin: "user",
    },
    "oauth",
  );
  return 0;
}

/** Runs a program on our terminal (stdio inherited) and resolves with its exit code or signal. */
function runInTerminal(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.on("error", (err) =>
      reject(
        new TesseraError(
          "CLAUDE_MISSING",
          `could not start ${command}: ${err.message}`,
          CLAUDE_INSTALL_HINT,
          {
            cause: err,
          },
        ),
      ),
    );
    child.on("exit", (code, signal) => resolve(code ?? signal ?? 1));
  });
}
