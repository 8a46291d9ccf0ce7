import { type Command, Option } from "commander";
import type { AuditFlags } from "./audit-command.js";
import type { DoctorFlags } from "./doctor-command.js";
import type { ImportFlags } from "./import-command.js";
import { loadOneShotCommand } from "./load-command.js";
import type { Runner } from "./main.js";
import type { OnboardFlags } from "./onboard-flags.js";

/**
 * Registers `doctor`, `onboard`, `import`, `audit`. Each implementation is imported inside its
 * action, so none of them (nor @clack/prompts) loads for other commands.
 */
export function registerAdminCommands(program: Command, run: Runner): void {
  program
    .command("doctor")
    .description("check config, file modes, corrupt files, credentials, pins and channels; --fix repairs")
    .option(
      "--fix",
      "apply safe repairs (modes, config migrations, move corrupt files aside, refresh oauth, clear dangling pins), then check again",
    )
    .option("--json", "print {findings, fixed, failed, exitCode} as JSON")
    .addHelpText(
      "after",
      `
Runs even when the config is invalid, and reports each problem as path: message.
Every finding has a severity (error, warning, info), what is wrong and the exact fix.
--fix never deletes: a corrupt file is renamed to <file>.corrupt-<time>.

Exit codes:
  0  no error remains (warnings and info may)
  1  an error remains (after --fix: one it could not repair)`,
    )
    .action(
      run(async (ctx, flags: DoctorFlags) => {
        const { runDoctorCommand } = await loadOneShotCommand(() => import("./doctor-command.js"));
        return runDoctorCommand(ctx, flags);
      }),
    );

  const onboard = program
    .command("onboard")
    .description("set up a provider credential, Telegram/Discord bots and who may use them")
    .option("--non-interactive", "take every answer from flags (for scripts); without it, a wizard asks")
    .option(
      "--agent <id>",
      "agent to set up (added to agents.list when new; default: the configured default)",
    )
    .option("--provider <provider>", "anthropic | openai | openrouter")
    .option("--auth <method>", "api-key | setup-token (anthropic) | skip; default: whichever secret is given")
    .option("--profile-id <id>", "profile id for the credential (default <provider>:default)")
    .option("--expires-in <duration>", "setup-token lifetime, e.g. 365d")
    .option(
      "--model <ref>",
      "default model (default: a model of --provider when the current default is another provider's)",
    )
    .option("--secrets-stdin", "read secrets as KEY=value lines from stdin (see below)");
  for (const [channel, name] of [
    ["telegram", "Telegram"],
    ["discord", "Discord"],
  ] as const) {
    onboard
      .option(`--${channel}`, `enable the ${name} bot`)
      .option(`--no-${channel}`, `disable the ${name} bot`)
      .option(`--${channel}-allow <ids...>`, `${name} user ids allowed to use the bot (added)`);
  }
  onboard
    .option("--owner <ids...>", "owners to add, as telegram:<id> or discord:<id>")
    .option("--json", "print what changed as JSON");
  // Declared (hidden) only so that onboard can refuse them by name without echoing the value.
  for (const flag of ["--api-key", "--token", "--telegram-token", "--discord-token"]) {
    onboard.addOption(new Option(`${flag} <secret>`).hideHelp());
  }
  onboard
    .addHelpText(
      "after",
      `
Secrets are never taken from the command line: argv is visible to every user of the host (ps)
and stays in shell history. With --non-interactive, each secret is read by its variable name,
first from stdin lines (--secrets-stdin), then from the environment:
  ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY   API key for --provider
  CLAUDE_CODE_OAUTH_TOKEN                                 setup-token (--auth setup-token)
  TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN                   bot tokens (from the environment only with --telegram/--discord)
Credentials go to the agent's auth store; bot tokens to <state>/.env (0600); the config gets only
non-secret settings. Running it again with the same answers changes nothing; lists are only added to.

Example:
  printf 'ANTHROPIC_API_KEY=%s\\nTELEGRAM_BOT_TOKEN=%s\\n' "$KEY" "$BOT" |
    tessera onboard --non-interactive --provider anthropic --telegram --owner telegram:123456789 --secrets-stdin

Exit codes: 0 done (or nothing to change), 1 refused or cancelled (nothing written).`,
    )
    .action(
      run(async (ctx, flags: OnboardFlags) => {
        const { runOnboardCommand } = await loadOneShotCommand(() => import("./onboard-command.js"));
        return runOnboardCommand(ctx, flags);
      }),
    );

  program
    .command("import")
    .description(
      "bring profiles and order from a Clawdbot-family state dir (~/.clawdbot, ~/.openclaw, …); dry run unless --apply",
    )
    .argument("<dir>", "the other gateway's state dir")
    .option("--apply", "write (without it nothing is written anywhere)")
    .option("--agent <id>", "target agent for the source's main agent (default: the configured default)")
    .option("--from-agent <id>", "import only this source agent (into --agent, or the agent of the same id)")
    .option(
      "--replace",
      "overwrite profiles and orders stored here under the same id with different contents",
    )
    .option("--json", "print the plan or result as JSON")
    .addHelpText(
      "after",
      `
Reads agents/*/agent/auth-profiles.json, the legacy agents/*/agent/auth.json (provider-keyed;
becomes <provider>:default), agent/ (pre-multi-agent) and credentials/oauth.json. The source is only
read, never changed. Source agent main goes to --agent or the default agent; another source agent
goes to the agent of the same id if configured, else it is skipped (use --from-agent X --agent Y).
Each profile is imported, or skipped with the reason: identical already, a different credential
under that id (kept unless --replace), unsupported provider, invalid entry. Usage stats are not
imported. Running --apply again imports nothing new.

Exit codes: 0 completed (skips included), 1 error (no such dir, nothing found, invalid config, lock).`,
    )
    .action(
      run(async (ctx, dir: string, flags: ImportFlags) => {
        const { runImportCommand } = await loadOneShotCommand(() => import("./import-command.js"));
        return runImportCommand(ctx, dir, flags);
      }),
    );

  program
    .command("audit")
    .description("show the audit log: who changed credentials, orders, pins and defaults, and when")
    .option("--since <when>", "only entries newer than a duration (7d, 12h) or a date (2025-01-31)")
    .option("--agent <id>", "only entries of this agent")
    .option("--json", "print {path, since, entries, badLines} as JSON")
    .action(
      run(async (ctx, flags: AuditFlags) => {
        const { runAuditCommand } = await loadOneShotCommand(() => import("./audit-command.js"));
        return runAuditCommand(ctx, flags);
      }),
    );
}
