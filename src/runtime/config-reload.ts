import { type FSWatcher, watch } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { type EnvSnapshot, loadEnvironment } from "../config/env.js";
import { inspectConfig } from "../config/load.js";
import { displayPath } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import type { AdapterLog } from "../router/adapter.js";
import { changedEnvKeys, changedKeys, restartNeeded } from "./config-changes.js";
import { RESTART_FIX } from "./gateway-status.js";
import { type AgentServices, resolveAgentId } from "./services.js";

/** How often the files are checked when no file-system event came (network file systems, editors). */
export const RELOAD_POLL_MS = 1_000;
/** An atomic rename or an editor's save arrives as several events: they are taken as one. */
const SETTLE_MS = 50;
/**
 * A file that fails to load is looked at again after this long before the failure is reported: an
 * in-place write (`>` in a shell, some editors) empties the file first, and a read in between would
 * otherwise log a false "the file is empty".
 */
const STILL_WRITING_MS = 250;

/** What a reload did, for the status file. */
export type ReloadOutcome =
  | { kind: "applied"; loadedAt: number; changed: string[]; restartNeeded: string[] }
  | { kind: "unchanged" }
  | { kind: "rejected"; problem: string; fix: string };

export interface ConfigReloaderOptions {
  services: AgentServices;
  log: AdapterLog;
  /** The agent was named with `--agent`: a change of `agents.default` then does not concern us. */
  agentFromFlag: boolean;
  /** Called after every reload attempt that changed something or failed. */
  onOutcome?: (outcome: ReloadOutcome) => void;
  pollMs?: number;
  now?: () => number;
}

/**
 * Keeps a running gateway on `config.json` and `<state>/.env` as they are on disk, without a restart:
 * a change (atomic rename or in-place write, seen by a file-system watch or, failing that, a check
 * every second) or `SIGHUP` reloads both. A reload validates first and swaps `services.config` and
 * `services.env` only when the new config is good, so every later message — access, owners, aliases,
 * the default model, providers, credential variables — uses it; a file that does not parse or
 * validate changes nothing and is logged once with its position and fix. Settings an adapter was
 * built with (a bot token, an API address) are listed as needing a restart (see `config-changes.ts`).
 * Credentials need none of this: the store is read for every message.
 */
export class ConfigReloader {
  private readonly watchers: FSWatcher[] = [];
  private poller: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private signatures = "";
  private chain: Promise<unknown> = Promise.resolve();
  private lastProblem: string | undefined;
  private readonly started: { config: Config; env: EnvSnapshot; agentId: string };
  private readonly now: () => number;
  private readonly onHangUp = () => void this.reload("SIGHUP");

  constructor(private readonly opts: ConfigReloaderOptions) {
    const { services } = opts;
    this.started = { config: services.config, env: services.env, agentId: services.agentId };
    this.now = opts.now ?? Date.now;
  }

  /** Starts watching (and handling SIGHUP). The files as they are now count as loaded. */
  async start(): Promise<void> {
    this.signatures = await this.readSignatures();
    const { configPath, envPath } = this.opts.services.paths;
    for (const dir of new Set([dirname(configPath), dirname(envPath)])) {
      const names = new Set([configPath, envPath].filter((p) => dirname(p) === dir).map((p) => basename(p)));
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.settleThenCheck();
        });
        watcher.on("error", () => watcher.close());
        this.watchers.push(watcher);
      } catch {
        // No watch on this file system: the poll below still sees the change within a second.
      }
    }
    this.poller = setInterval(() => void this.checkForChanges(), this.opts.pollMs ?? RELOAD_POLL_MS);
    this.poller.unref();
    process.on("SIGHUP", this.onHangUp);
  }

  /** Stops watching; a reload under way finishes. */
  async stop(): Promise<void> {
    process.off("SIGHUP", this.onHangUp);
    for (const watcher of this.watchers) watcher.close();
    clearInterval(this.poller);
    clearTimeout(this.settleTimer);
    await this.chain.catch(() => {});
  }

  /** Reloads now, after any reload under way. */
  reload(reason: string): Promise<ReloadOutcome> {
    const next = this.chain.then(() => this.apply(reason));
    this.chain = next.catch(() => {});
    return next;
  }

  private settleThenCheck(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => void this.checkForChanges(), SETTLE_MS);
  }

  /** Reloads when either file changed since the last reload (content, inode, size or times). */
  private async checkForChanges(): Promise<void> {
    if ((await this.readSignatures()) !== this.signatures) await this.reload("changed on disk");
  }

  private async readSignatures(): Promise<string> {
    const { configPath, envPath } = this.opts.services.paths;
    const one = async (path: string) => {
      try {
        const info = await stat(path);
        return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code ?? "error";
      }
    };
    return `${await one(configPath)}|${await one(envPath)}`;
  }

  private async apply(reason: string): Promise<ReloadOutcome> {
    const { services, log } = this.opts;
    // Taken before reading: a change made while this reload runs is seen by the next check.
    const before = this.signatures.split("|");
    this.signatures = await this.readSignatures();
    const after = this.signatures.split("|");
    const home = services.processEnv.HOME || undefined;
    // Which of the two files changed on disk, for the log line (none for a SIGHUP with no change).
    const files = [services.paths.configPath, services.paths.envPath]
      .filter((_, i) => before[i] !== after[i])
      .map((path) => displayPath(path, home));
    const shown = displayPath(services.paths.configPath, services.processEnv.HOME || undefined);
    const inspection = await inspectConfig(services.paths.configPath);
    let config = inspection.exists ? inspection.config : undefined;
    let problem = inspection.exists
      ? (inspection.unreadable?.message ?? inspection.problems.join("; "))
      : "the file is gone (deleted, or moved aside by `tessera doctor --fix`)";
    let fix = !inspection.exists
      ? `put ${shown} back; to run on the built-in defaults instead, restart the gateway`
      : (inspection.unreadable?.fix ??
        `fix it in ${shown} (see config.example.json; \`tessera doctor\` shows the same problems)`);
    let agentId = services.agentId;
    if (config) {
      try {
        agentId = resolveAgentId(config, this.opts.agentFromFlag ? services.agentId : undefined);
      } catch (err) {
        if (this.opts.agentFromFlag) {
          config = undefined;
          problem = (err as Error).message;
          fix = `add { "id": "${services.agentId}" } back to agents.list in ${shown}`;
        } else agentId = this.started.agentId;
      }
    }
    if (!config) {
      const taken = this.signatures;
      await new Promise((resolve) => setTimeout(resolve, STILL_WRITING_MS));
      // Still being written: the next check (or the watch) loads the finished file.
      if ((await this.readSignatures()) !== taken) return this.report({ kind: "unchanged" });
      return this.reject(shown, problem, fix);
    }

    const env = await loadEnvironment({
      processEnv: services.processEnv,
      envPath: services.paths.envPath,
      config,
    });
    const changed = [
      ...changedKeys(services.config, config),
      ...changedEnvKeys(services.env, env, [services.config, config]),
    ];
    const recovered = this.lastProblem !== undefined;
    this.lastProblem = undefined;
    if (changed.length === 0 && !recovered) {
      // Asked for by a person (SIGHUP, `systemctl reload`): they get an answer in the log either way.
      if (reason === "SIGHUP") log.info("config re-read (SIGHUP): nothing changed", { config: shown });
      else log.debug(`config reload (${reason}): nothing changed`);
      return this.report({ kind: "unchanged" });
    }
    services.config = config;
    services.env = env;
    services.configNotices = inspection.notices;
    const restart = restartNeeded(this.started, { config, env, agentId });
    log.info(
      `config reloaded (${reason}): ${changed.length ? `${changed.join(", ")} changed` : "the file is valid again"}`,
      { files: files.length ? files : [shown] },
    );
    if (restart.length > 0) {
      log.warn(`changed settings that take effect only after a restart: ${restart.join(", ")}`, {
        fix: RESTART_FIX,
      });
    }
    return this.report({ kind: "applied", loadedAt: this.now(), changed, restartNeeded: restart });
  }

  private reject(shown: string, problem: string, fix: string): ReloadOutcome {
    // One error per distinct problem: an editor saving the same broken file twice logs it once.
    if (problem !== this.lastProblem) {
      this.opts.log.error(`${shown} was not reloaded, the gateway keeps its last good config: ${problem}`, {
        fix,
      });
    }
    this.lastProblem = problem;
    return this.report({ kind: "rejected", problem: `${shown}: ${problem}`, fix });
  }

  private report(outcome: ReloadOutcome): ReloadOutcome {
    this.opts.onOutcome?.(outcome);
    return outcome;
  }
}
