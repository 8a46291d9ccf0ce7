import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { isTesseraError } from "../errors.js";
import { readTextIfExists } from "../files/json-state-file.js";

/** Beside the gateway's lock: what the running gateway is doing, for `tessera gateway status` and `doctor`. */
export const STATUS_FILE = "gateway.status.json";

/** How to restart, as the log and `doctor` word it. */
export const RESTART_FIX =
  "restart the gateway: `systemctl --user restart tessera-gateway` for a user service (`systemctl restart tessera-gateway` for a system one), else stop it and run `tessera gateway` again";

/** Where the gateway of a state dir keeps its status file. */
export function gatewayStatusPath(stateDir: string): string {
  return join(stateDir, STATUS_FILE);
}

/** How an adapter's connection to its platform stands. */
export const ADAPTER_STATES = ["connecting", "ready", "reconnecting", "stopped"] as const;
export type AdapterState = (typeof ADAPTER_STATES)[number];

const AdapterStatusSchema = z.object({
  channel: z.string(),
  /** `@tessera_bot (id 123)` once the platform accepted the bot. */
  identity: z.string().optional(),
  state: z.enum(ADAPTER_STATES),
  /** Epoch ms of the last state change. */
  since: z.number(),
  /** The last error the adapter reported (already free of secrets: it went through the log's redaction). */
  lastError: z.string().optional(),
  lastErrorAt: z.number().optional(),
  /** Messages answered (or deliberately left unanswered) since the gateway started. */
  messagesHandled: z.number().int().nonnegative(),
});
export type AdapterStatus = z.infer<typeof AdapterStatusSchema>;

/**
 * The status file's content. Written by the gateway only (atomically, at most once a second); read by
 * anyone. `stoppedAt` is set by a gateway that stopped in order, so a file without it whose pid is
 * gone was left by a gateway that was killed.
 */
export const GatewayStatusSchema = z.object({
  pid: z.number().int().positive(),
  version: z.string(),
  agent: z.string(),
  startedAt: z.number(),
  configPath: z.string(),
  /** When the config in use was read (start-up or the last good reload). */
  configLoadedAt: z.number(),
  /** Why the latest change on disk was not taken (the gateway runs on the last good config). */
  configError: z.string().optional(),
  /** Settings changed on disk that take effect only when the gateway restarts. */
  restartNeeded: z.array(z.string()).default([]),
  adapters: z.array(AdapterStatusSchema),
  updatedAt: z.number(),
  stoppedAt: z.number().optional(),
});
export type GatewayStatus = z.infer<typeof GatewayStatusSchema>;

/** What `tessera gateway status` and `doctor` learn from the state dir. */
export type GatewayLiveness =
  | { state: "running"; status: GatewayStatus }
  | { state: "stopped"; status: GatewayStatus }
  | { state: "stale"; status: GatewayStatus }
  | { state: "absent" }
  | { state: "unreadable"; problem: string; fix: string };

/**
 * Reads the status file and checks that its pid is alive. `stale` is a file whose gateway died
 * without stopping (SIGKILL, power loss): it says nothing about the present, and the next gateway
 * replaces it.
 */
export async function readGatewayLiveness(stateDir: string): Promise<GatewayLiveness> {
  const path = gatewayStatusPath(stateDir);
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (err) {
    if (!isTesseraError(err)) throw err;
    return { state: "unreadable", problem: err.message, fix: err.hint ?? `remove ${path}` };
  }
  if (text === undefined) return { state: "absent" };
  let status: GatewayStatus;
  try {
    status = GatewayStatusSchema.parse(JSON.parse(text));
  } catch {
    return {
      state: "unreadable",
      problem: `${path} is not a gateway status file Tessera can read`,
      fix: `remove ${path}; a running gateway writes it again within a second`,
    };
  }
  if (status.stoppedAt !== undefined) return { state: "stopped", status };
  return isAlive(status.pid) && (await lockIsFresh(stateDir))
    ? { state: "running", status }
    : { state: "stale", status };
}

/** A running gateway touches its lock every few seconds (`gateway-lock.ts`); older means it is gone. */
const LOCK_FRESH_MS = 15_000;

/**
 * True while the gateway's lock is being kept fresh. Checked besides the pid because after a reboot
 * the pid may belong to some other process.
 */
async function lockIsFresh(stateDir: string): Promise<boolean> {
  try {
    const info = await lstat(join(stateDir, "gateway.lock"));
    return Date.now() - info.mtimeMs < LOCK_FRESH_MS;
  } catch {
    return false;
  }
}

/** True when a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
