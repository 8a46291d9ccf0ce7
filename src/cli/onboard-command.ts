import { parseEnv } from "node:util";
import { AuthStore } from "../auth/auth-store.js";
import { loadConfig } from "../config/load.js";
import { TesseraError } from "../errors.js";
import { readTextIfExists } from "../files/json-state-file.js";
import { type CliContext, cliActor, writeJson } from "./cli-context.js";
import { applyOnboarding } from "./onboard-apply.js";
import {
  answersFromFlags,
  type OnboardFlags,
  type OnboardState,
  readSecretsFromStdin,
  refuseArgvSecrets,
} from "./onboard-flags.js";
import { StepLog } from "./partly-done.js";
import { statePathsOf } from "./state-paths.js";

/**
 * `tessera onboard`: the wizard on a terminal, or `--non-interactive` with flags (secrets from stdin
 * `KEY=value` lines or the environment, never argv). Prints what it changed; exit 0 on success, 1
 * on any refusal (nothing is written then), when the wizard is cancelled, or when a write after the
 * first one failed (`PARTLY_DONE`, after the list of what was and was not done).
 */
export async function runOnboardCommand(ctx: CliContext, flags: OnboardFlags): Promise<number> {
  refuseArgvSecrets(flags);
  const paths = statePathsOf(ctx);
  const { config } = await loadConfig(paths.configPath);
  const profilesOf = async (agent: string) =>
    (await new AuthStore(paths.stateDir, agent).profilesFile.read()).profiles;
  const state: OnboardState = {
    config,
    storedProfiles: await profilesOf(flags.agent ?? config.agents.default),
    dotenv: parseEnv((await readTextIfExists(paths.envPath)) ?? "") as Record<string, string>,
  };
  const who = { ...cliActor(ctx), surface: "onboard" };

  let answers: Awaited<ReturnType<typeof answersFromFlags>>;
  if (flags.nonInteractive) {
    const secrets = flags.secretsStdin ? await readSecretsFromStdin(ctx) : new Map<string, string>();
    answers = answersFromFlags(flags, secrets, ctx.env, state);
  } else {
    if (!ctx.stdin.isTTY || !ctx.stdout.isTTY) {
      throw new TesseraError(
        "NEEDS_TTY",
        "tessera onboard asks questions and needs a terminal",
        "run it in a terminal, or script it: tessera onboard --non-interactive --provider anthropic --secrets-stdin … (see tessera onboard --help)",
      );
    }
    const { runOnboardWizard, OnboardCancelled } = await import("./onboard-wizard.js");
    try {
      answers = await runOnboardWizard(ctx, state, profilesOf);
    } catch (err) {
      if (err instanceof OnboardCancelled) {
        ctx.stderr.write("onboarding cancelled; nothing was written\n");
        return 1;
      }
      throw err;
    }
  }

  // The wizard may have taken minutes: decide the config edits against the file as it is now.
  const current = flags.nonInteractive ? config : (await loadConfig(paths.configPath)).config;
  // A failed write after the first one is recorded, not thrown: the list below shows what landed.
  const steps = new StepLog();
  const changes = await applyOnboarding(paths, current, answers, who, steps);
  const changed = changes.some((c) => c.changed);
  if (!changed) steps.throwFirstFailure();
  if (flags.json) {
    writeJson(ctx, { agent: answers.agent, changed, changes });
  } else {
    const out = [`onboard: agent ${answers.agent}`];
    for (const c of changes) {
      const status = c.failed ? "not done " : c.changed ? "changed  " : "unchanged";
      out.push(`  ${status}  ${c.area.padEnd(6)}  ${c.what}`);
    }
    if (!steps.anyFailed) {
      out.push(
        changed
          ? "done. Next: `tessera doctor` to check the setup, then `tessera gateway` (or `tessera chat` to try it here)."
          : "nothing changed: everything was already as asked.",
      );
    }
    ctx.stdout.write(`${out.join("\n")}\n`);
  }
  const areas = [...new Set(changes.filter((c) => c.changed).map((c) => c.area))];
  steps.throwIfAnyFailed(`onboard made the changes listed as changed (${areas.join(", ")})`);
  return 0;
}
