import type { Writable } from "node:stream";
import type { AdapterLog } from "../router/adapter.js";
import type { GatewayLog } from "../runtime/gateway-log.js";

/**
 * The log of `tessera chat`: the console is for the conversation, so only warnings and errors are
 * written, as plain lines on stderr (`error: …` and `  fix: …`, like every CLI error).
 */
export function consoleLog(stderr: Writable): GatewayLog {
  const write = (prefix: string) => (message: string, fields?: Record<string, unknown>) => {
    stderr.write(`${prefix}${message}\n`);
    if (typeof fields?.fix === "string") stderr.write(`  fix: ${fields.fix}\n`);
  };
  const log: AdapterLog = { debug: () => {}, info: () => {}, warn: write(""), error: write("error: ") };
  return { ...log, child: () => consoleLog(stderr) };
}
