/**
 * How a message's text is read before anything reaches a model. Only a message whose first line
 * starts with `/name` is a command; a slash anywhere else is ordinary text. The rules:
 *
 * - only the first line is the command; further lines are not read (and the reply says so);
 * - `/name@ThisBot` is ours, `/name@OtherBot` is ignored (Telegram groups with several bots); when
 *   the adapter does not know the bot's username (console, Discord) any `@suffix` is accepted;
 * - names are case-insensitive (`/MODEL` is `/model`); arguments keep their case;
 * - leading spaces and invisible characters (zero-width, BOM, bidi marks) before the `/` are skipped,
 *   so a pasted command still works; a name must be followed by a space or the end of the line.
 */
export type ParsedInput =
  | { kind: "text" }
  | { kind: "other-bot"; name: string; bot: string }
  | {
      kind: "command";
      /** Lower-case command name without the slash. */
      name: string;
      /** The first line after the name, trimmed. */
      argText: string;
      /** `argText` split on whitespace. */
      args: string[];
      /** True when written as `/name@ThisBot`. */
      mentionsBot: boolean;
      /** Non-empty lines after the first, which a command does not read. */
      ignoredLines: number;
    };

/** Longest command name accepted (Telegram allows 32; some room for typos to be reported). */
const MAX_NAME = 64;

const LEADING_INVISIBLE = /^[\s\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]+/;
const EDGE_INVISIBLE = /^[\s\u200B-\u200F\u2060\uFEFF]+|[\s\u200B-\u200F\u2060\uFEFF]+$/g;
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029\u0085]/;
const COMMAND = new RegExp(`^/([A-Za-z0-9_]{1,${MAX_NAME}})(?:@([A-Za-z0-9_]{1,${MAX_NAME}}))?(?=\\s|$)`);

export function parseInput(text: string, botUsername?: string): ParsedInput {
  const breakAt = text.search(LINE_BREAK);
  const firstLine = (breakAt === -1 ? text : text.slice(0, breakAt)).replace(LEADING_INVISIBLE, "");
  const match = COMMAND.exec(firstLine);
  if (!match) return { kind: "text" };
  const name = match[1]!.toLowerCase();
  const bot = match[2];
  const ours = botUsername?.replace(/^@/, "").toLowerCase();
  if (bot !== undefined && ours !== undefined && bot.toLowerCase() !== ours) {
    return { kind: "other-bot", name, bot };
  }
  const argText = firstLine.slice(match[0].length).replace(EDGE_INVISIBLE, "");
  return {
    kind: "command",
    name,
    argText,
    args: argText === "" ? [] : argText.split(/\s+/).filter(Boolean),
    mentionsBot: bot !== undefined,
    ignoredLines: breakAt === -1 ? 0 : countNonEmptyLines(text.slice(breakAt)),
  };
}

function countNonEmptyLines(rest: string): number {
  let count = 0;
  for (const line of rest.split(LINE_BREAK)) if (line.trim() !== "") count++;
  return count;
}
