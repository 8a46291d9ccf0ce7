import type { AdapterHost, IncomingMessage } from "../../src/router/index.js";

/**
 * Tab completion for the console, from the same registry and autocomplete hooks Discord uses:
 * `/mo⇥` → `/model`; `/model so⇥` → `/model sonnet`; `/model sonnet@w⇥` → `/model sonnet@anthropic:work`.
 * Returns whole lines (readline replaces the line with the one picked).
 */
export async function completeLine(
  host: Pick<AdapterHost, "autocomplete" | "commands">,
  line: string,
  sender: IncomingMessage,
): Promise<string[]> {
  const name = /^\/(\w*)$/.exec(line);
  if (name) {
    return host.commands.filter((c) => c.name.startsWith(name[1]!.toLowerCase())).map((c) => `/${c.name} `);
  }
  const args = /^\/(\w+)\s+(\S*)$/.exec(line);
  if (!args) return [];
  const [, command, word] = args as unknown as [string, string, string];
  const at = word.indexOf("@");
  const [arg, values, prefix] =
    at === -1
      ? (["model", { model: word }, `/${command} `] as const)
      : ([
          "profile",
          { model: word.slice(0, at), profile: word.slice(at + 1) },
          `/${command} ${word.slice(0, at)}@`,
        ] as const);
  const choices = await host.autocomplete({ message: sender, command, arg, values });
  return choices.map((c) => `${prefix}${c.value}`);
}
