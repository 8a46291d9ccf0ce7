import { ConsoleAdapter } from "../../adapters/console/console-adapter.js";
import { allSecretsOf } from "../auth/credentials.js";
import { redactSecrets } from "../auth/mask.js";
import { KNOWN_ENV_KEYS } from "../config/env.js";
import { displayPath } from "../config/paths.js";
import { TesseraError } from "../errors.js";
import type { ChatAdapter } from "../router/adapter.js";
import { channelAdapters } from "../runtime/channel-adapters.js";
import { ChatRuntime, SHUTDOWN_NOTICE } from "../runtime/chat-runtime.js";
import { ConfigReloader } from "../runtime/config-reload.js";
import { credentialProblems } from "../runtime/expiry-notices.js";
import { acquireGatewayLock } from "../runtime/gateway-lock.js";
import { createGatewayLog } from "../runtime/gateway-log.js";
import { gatewayStatusPath } from "../runtime/gateway-status.js";
import type { LogLevel } from "../runtime/log-levels.js";
import { runAdapters } from "../runtime/run-adapters.js";
import { type AgentServices, loadSyncedAuth } from "../runtime/services.js";
import { GatewayStatusWriter } from "../runtime/status-writer.js";
import { VERSION } from "../version.js";
import { type CliContext, openServices } from "./cli-context.js";

export interface GatewayFlags {
  agent?: string;
  logLevel: LogLevel;
  console?: boolean;
}

/** After shutdown, the longest a stray timer of a platform library may keep the process alive. */
const EXIT_GRACE_MS = 2_000;

/** How often the logger's list of secrets to redact is re-read (credentials added while running). */
const SECRETS_REFRESH_MS = 30_000;

/**
 * `tessera gateway`: runs every enabled chat adapter (PRODUCT §6.12) on one chat runtime until
 * SIGINT/SIGTERM, with structured logs on stderr (JSON lines; coloured lines on a terminal). One
 * gateway per state dir. `--console` also serves the local console on this terminal's stdin/stdout,
 * as one more adapter (a way to try the gateway, and what its tests drive before a bot is set up).
 */
export async function runGatewayCommand(ctx: CliContext, flags: GatewayFlags): Promise<number> {
  const services = await openServices(ctx, flags.agent);
  // Platform libraries start loading now, alongside the store and the logger.
  const enabled = channelAdapters(services);
  enabled.catch(() => {});
  const secrets = new SecretList(services);
  await secrets.refresh();
  const log = await createGatewayLog({
    level: flags.logLevel,
    pretty: Boolean((ctx.stderr as { isTTY?: boolean }).isTTY) && !ctx.env.NO_COLOR,
    secrets: () => secrets.list,
  });
  const adapters: ChatAdapter[] = await enabled;
  const consoleAdapter = flags.console
    ? new ConsoleAdapter({
        input: ctx.stdin,
        output: ctx.stdout,
        interactive: Boolean(ctx.stdin.isTTY && ctx.stdout.isTTY),
        color: ctx.color,
        userId: "local",
      })
    : undefined;
  if (consoleAdapter) adapters.push(consoleAdapter);
  if (adapters.length === 0) throw nothingEnabled(services);

  const lock = await acquireGatewayLock(services.paths.stateDir);
  const startedAt = Date.now();
  const status = new GatewayStatusWriter(
    gatewayStatusPath(services.paths.stateDir),
    {
      pid: process.pid,
      version: VERSION,
      agent: services.agentId,
      startedAt,
      configPath: services.paths.configPath,
      configLoadedAt: startedAt,
    },
    log,
    (text) => redactSecrets(text, secrets.list),
  );
  const refresher = setInterval(() => void secrets.refresh(), SECRETS_REFRESH_MS);
  refresher.unref();
  const reloader = new ConfigReloader({
    services,
    log,
    agentFromFlag: flags.agent !== undefined,
    onOutcome: (outcome) => {
      if (outcome.kind === "applied") {
        status.config({ loadedAt: outcome.loadedAt, error: undefined, restartNeeded: outcome.restartNeeded });
        void secrets.refresh();
      } else if (outcome.kind === "rejected")
        status.config({ error: `${outcome.problem} (fix: ${outcome.fix})` });
    },
  });
  try {
    const home = services.processEnv.HOME || undefined;
    log.info("starting", {
      agent: services.agentId,
      stateDir: displayPath(services.paths.stateDir, home),
      adapters: adapters.map((a) => a.channel),
    });
    await reloader.start();
    const synced = await loadSyncedAuth(services);
    if (synced.claudeCode.status === "error") {
      log.warn(`Claude Code sync skipped: ${synced.claudeCode.message}`, { fix: synced.claudeCode.hint });
    }
    // Logged for the operator, not claimed: owners still get each notice in chat on their next message.
    const problems = await credentialProblems(services).catch(() => undefined);
    for (const problem of problems?.current.values() ?? []) log.warn(`credential problem: ${problem}`);
    const runtime = new ChatRuntime({
      services,
      log,
      cutOffNotice: SHUTDOWN_NOTICE,
      onHandled: (channel) => status.handled(channel),
      onConnection: (channel, state, error) => status.connection(channel, state, error),
    });
    return await runAdapters({
      runtime,
      adapters,
      log,
      status,
      onReady: () => log.info("ready"),
      // With only the console, the end of its input ends the gateway (nothing else would keep it up).
      until: adapters.length === 1 && consoleAdapter ? consoleAdapter.ended : undefined,
    });
  } finally {
    clearInterval(refresher);
    await reloader.stop();
    await status.stopped();
    await lock.release();
    // A platform library may still hold a timer (a retry's wait, a reconnect); the gateway has shut
    // down, so it must not keep the process alive. Unref'd: a clean exit happens sooner by itself.
    setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref();
  }
}

function nothingEnabled(services: AgentServices): TesseraError {
  return new TesseraError(
    "GATEWAY_NOTHING_ENABLED",
    `no chat channel is enabled in ${services.paths.configPath}`,
    `set channels.telegram.enabled (TELEGRAM_BOT_TOKEN in ${services.paths.envPath}) or channels.discord.enabled (DISCORD_BOT_TOKEN there) to true, or run \`tessera onboard\`; to try Tessera without a bot token, run \`tessera chat\``,
  );
}

/**
 * Every secret the gateway could come across — stored credentials, credential variables, bot tokens —
 * for the logger to redact. Re-read now and then, so a credential added with `tessera models auth`
 * while the gateway runs is covered too.
 */
class SecretList {
  list: string[] = [];

  constructor(private readonly services: AgentServices) {}

  async refresh(): Promise<void> {
    const { config, env } = this.services;
    const found = new Set<string>();
    for (const name of KNOWN_ENV_KEYS) {
      const value = env.get(name)?.value;
      if (value) found.add(value);
    }
    if (config.channels.telegram.botToken) found.add(config.channels.telegram.botToken);
    if (config.channels.discord.token) found.add(config.channels.discord.token);
    for (const provider of Object.values(config.models.providers)) {
      const value = provider.apiKeyEnv ? env.get(provider.apiKeyEnv)?.value : undefined;
      if (value) found.add(value);
    }
    try {
      const auth = await this.services.store.load();
      for (const credential of Object.values(auth.profiles.profiles)) {
        for (const secret of allSecretsOf(credential)) if (secret) found.add(secret);
      }
    } catch {
      // A store that cannot be read now keeps the last list; the chat side reports the file itself.
      for (const secret of this.list) found.add(secret);
    }
    this.list = [...found];
  }
}
