import { ApplicationCommandOptionType, type REST, Routes } from "discord.js";
import type { MenuCommand } from "../../src/router/index.js";

/** Discord allows 100 characters for command and option descriptions. */
const DESCRIPTION_MAX = 100;

/** The registry as Discord application commands: string options, autocomplete where the registry has it. */
export function applicationCommands(commands: MenuCommand[]) {
  return commands.map((c) => ({
    name: c.name,
    description: c.description.slice(0, DESCRIPTION_MAX),
    type: 1,
    options: c.args.map((a) => ({
      type: ApplicationCommandOptionType.String,
      name: a.name,
      description: a.description.slice(0, DESCRIPTION_MAX),
      required: a.required ?? false,
      ...(a.autocomplete ? { autocomplete: true } : {}),
      ...(a.choices && !a.autocomplete
        ? { choices: a.choices.map((x) => ({ name: x.label, value: x.value })) }
        : {}),
    })),
  }));
}

/**
 * Registers the commands (`channels.discord.commands`: `global`, `guild` for each configured guild,
 * or `off`) only when they differ from what Discord has: each scope is read first and written only
 * on a change, so a restart costs one GET per scope and no PUT. Returns how many scopes were written.
 */
export async function syncApplicationCommands(
  rest: REST,
  applicationId: string,
  commands: MenuCommand[],
  mode: "global" | "guild" | "off",
  guilds: string[],
): Promise<number> {
  if (mode === "off") return 0;
  const wanted = applicationCommands(commands);
  const routes =
    mode === "global"
      ? [Routes.applicationCommands(applicationId)]
      : guilds.map((g) => Routes.applicationGuildCommands(applicationId, g));
  let written = 0;
  for (const route of routes) {
    const current = (await rest.get(route)) as unknown[];
    if (sameCommands(current, wanted)) continue;
    await rest.put(route, { body: wanted });
    written++;
  }
  return written;
}

/** Compares what matters, ignoring what Discord adds (ids, versions, defaults). */
function sameCommands(current: unknown[], wanted: ReturnType<typeof applicationCommands>): boolean {
  const shape = (list: unknown[]) =>
    JSON.stringify(
      (list as Record<string, unknown>[])
        .map((c) => ({
          name: c.name,
          description: c.description,
          options: ((c.options as Record<string, unknown>[] | undefined) ?? []).map((o) => ({
            type: o.type,
            name: o.name,
            description: o.description,
            required: o.required ?? false,
            autocomplete: o.autocomplete ?? false,
            choices: o.choices ?? [],
          })),
        }))
        .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    );
  return shape(current) === shape(wanted);
}
