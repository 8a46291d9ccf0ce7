import { stringifyForTerminal } from "../control-chars.js";
import type { CliContext } from "./cli-context.js";

/**
 * `--json` output for commands whose data may carry text other people or programs chose (audit
 * entries, profile ids and reasons read from files, paths): the same JSON value as `JSON.stringify`
 * with 2-space indent, with C1 controls and bidi overrides escaped too, so `cat`ing it is harmless.
 */
export function writeTerminalJson(ctx: Pick<CliContext, "stdout">, value: unknown): void {
  ctx.stdout.write(`${stringifyForTerminal(value, 2)}\n`);
}
