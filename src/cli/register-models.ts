import { type Command, Option } from "commander";
import { loadOneShotCommand } from "./load-command.js";
import type { Runner } from "./main.js";
import type { AuthListOptions } from "./models-auth-list.js";
import type { LoginOptions } from "./models-auth-login.js";
import type { OrderOptions } from "./models-auth-order.js";
import type { PasteOptions } from "./models-auth-paste.js";
import type { RemoveOptions } from "./models-auth-remove.js";
import type { SetupTokenOptions } from "./models-auth-setup-token.js";
import type { ListOptions } from "./models-list.js";
import type { StatusOptions } from "./models-status.js";

/** `--check` exit codes (PRODUCT §6.1), shown in `models status --help` and copied into the README. */
const CHECK_EXIT_CODES_HELP = `
Exit codes with --check (with any output mode):
  0  every provider a configured model uses has a usable credential
  1  a provider a configured model uses has no usable credential, a static token it
     would use has expired, or a credential needs re-authentication
  2  none of the above, but a credential it would use expires within the warn window
     (--warn-within, default auth.warnWithin = 24h) and cannot refresh itself
A refreshable oauth credential is never "expired"; providers no configured model uses
do not count. Without --check the exit code is 0 unless the command itself fails (1).`;

/**
 * Hidden `--token`/`--key`/`--api-key` flags exist only to refuse them with the right advice: a secret
 * in argv is visible in `ps` and shell history. Commander would otherwise echo the value back in its
 * "unknown option" error.
 */
function refuseSecretArgs(command: Command): Command {
  for (const flags of ["--token <secret>", "--key <secret>", "--api-key <secret>"]) {
    command.addOption(new Option(flags).hideHelp());
  }
  return command;
}

const agentOption = () =>
  new Option("--agent <id>", "agent whose credential store to use (default: agents.default)");

/**
 * Registers `tessera models …`. Flags are declared here so `--help` is complete without loading
 * anything; each action imports its implementation only when it runs, so `models status` does not
 * pay for undici, prompts or the OAuth code.
 */
export function registerModelsCommands(program: Command, run: Runner): void {
  const models = program
    .command("models")
    .description("model catalog and the credentials (auth profiles) used to call providers");

  models
    .command("status")
    .description("default model, aliases, and per provider every credential in the order it is tried")
    .addOption(agentOption())
    .addOption(new Option("--json", "print one JSON object (secrets masked)").conflicts("plain"))
    .option("--plain", "print only the default model ref")
    .option("--check", "exit 1 or 2 when credentials are broken or expiring (see below)")
    .option("--warn-within <duration>", "warn window for expiring credentials, e.g. 24h, 3d")
    .addHelpText("after", CHECK_EXIT_CODES_HELP)
    .action(
      run(async (ctx, opts: StatusOptions) =>
        (await loadOneShotCommand(() => import("./models-status.js"))).runModelsStatus(ctx, opts),
      ),
    );

  models
    .command("list")
    .description("the model catalog: provider/model, aliases, and whether a usable credential exists")
    .addOption(agentOption())
    .option("--json", "print JSON")
    .action(
      run(async (ctx, opts: ListOptions) =>
        (await loadOneShotCommand(() => import("./models-list.js"))).runModelsList(ctx, opts),
      ),
    );

  const auth = models
    .command("auth")
    .description("add, list, order and remove stored credentials (auth profiles)");

  auth
    .command("list")
    .description("stored profiles of the agent, secrets masked")
    .addOption(agentOption())
    .option("--json", "print JSON")
    .action(
      run(async (ctx, opts: AuthListOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-list.js"))).runAuthList(ctx, opts),
      ),
    );

  refuseSecretArgs(auth.command("paste-token"))
    .description("store a bearer token (Anthropic: the sk-ant-oat01-… setup-token from `claude setup-token`)")
    .requiredOption("--provider <provider>", "anthropic, openai, openrouter or a custom provider")
    .option("--profile-id <id>", "profile id <provider>:<name> (default: <provider>:default)")
    .option("--expires-in <duration>", "when the token stops working, e.g. 365d, 12h, 90m")
    .addOption(agentOption())
    .addHelpText(
      "after",
      `
The token is read from a hidden prompt on a terminal, or from stdin otherwise:
  echo "$TOKEN" | tessera models auth paste-token --provider anthropic
Line-wrapped pastes are joined. It is never accepted as an argument (argv is visible to other users).`,
    )
    .action(
      run(async (ctx, opts: PasteOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-paste.js"))).runPasteSecret(ctx, "token", opts),
      ),
    );

  refuseSecretArgs(auth.command("paste-api-key"))
    .description("store an API key")
    .requiredOption("--provider <provider>", "anthropic, openai, openrouter or a custom provider")
    .option("--profile-id <id>", "profile id <provider>:<name> (default: <provider>:default)")
    .addOption(agentOption())
    .addHelpText(
      "after",
      `
The key is read from a hidden prompt on a terminal, or from stdin otherwise:
  echo "$KEY" | tessera models auth paste-api-key --provider openai`,
    )
    .action(
      run(async (ctx, opts: PasteOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-paste.js"))).runPasteSecret(
          ctx,
          "api_key",
          opts,
        ),
      ),
    );

  auth
    .command("setup-token")
    .description("run `claude setup-token` on this terminal, then store the token it prints (needs a TTY)")
    .option("--provider <provider>", "only anthropic", "anthropic")
    .option("--expires-in <duration>", "record when the token stops working, e.g. 365d")
    .addOption(agentOption())
    .addHelpText(
      "after",
      `
Stores the token as anthropic:claude-cli (config mode "oauth"). Without a terminal, run
\`claude setup-token\` elsewhere and pipe the token into
\`tessera models auth paste-token --provider anthropic\`.`,
    )
    .action(
      run(async (ctx, opts: SetupTokenOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-setup-token.js"))).runSetupToken(ctx, opts),
      ),
    );

  auth
    .command("login")
    .description("log in with OAuth (PKCE) for headless hosts: open the URL anywhere, paste the code back")
    .option("--provider <provider>", "only anthropic", "anthropic")
    .option("--profile-id <id>", "profile id (default: anthropic:<email>, else anthropic:default)")
    .addOption(agentOption())
    .addHelpText(
      "after",
      `
Prints the authorize URL; after you log in, the page shows a code of the form code#state.
Paste it at the hidden prompt (or on stdin). Tokens are stored, never printed.`,
    )
    .action(
      run(async (ctx, opts: LoginOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-login.js"))).runLogin(ctx, opts),
      ),
    );

  const order = auth
    .command("order")
    .description("the agent's order override: which profiles of a provider are tried, in which order");
  order
    .command("get")
    .description("show the order override (and config auth.order) for a provider")
    .requiredOption("--provider <provider>", "provider id")
    .addOption(agentOption())
    .option("--json", "print JSON")
    .action(
      run(async (ctx, opts: OrderOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-order.js"))).runOrderGet(ctx, opts),
      ),
    );
  order
    .command("set")
    .description("try only these profiles, in this order (each must exist and belong to the provider)")
    .argument("<profileIds...>", "profile ids, first tried first")
    .requiredOption("--provider <provider>", "provider id")
    .addOption(agentOption())
    .action(
      run(async (ctx, ids: string[], opts: OrderOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-order.js"))).runOrderSet(ctx, ids, opts),
      ),
    );
  order
    .command("clear")
    .description("remove the override; config auth.order or the default order applies again")
    .requiredOption("--provider <provider>", "provider id")
    .addOption(agentOption())
    .action(
      run(async (ctx, opts: OrderOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-order.js"))).runOrderClear(ctx, opts),
      ),
    );

  auth
    .command("remove")
    .description("delete a stored profile, its order entries and its config metadata")
    .argument("<profileId>", "profile id, e.g. anthropic:work")
    .addOption(agentOption())
    .action(
      run(async (ctx, id: string, opts: RemoveOptions) =>
        (await loadOneShotCommand(() => import("./models-auth-remove.js"))).runAuthRemove(ctx, id, opts),
      ),
    );
}
