import { describe, expect, it } from "vitest";
import { type CommandDefinition, CommandRegistry } from "../../src/router/registry.js";
import { chatCommandRegistry } from "../../src/runtime/compose.js";

const def = (name: string, extra: Partial<CommandDefinition> = {}): CommandDefinition => ({
  name,
  description: `the ${name} command`,
  usage: [{ form: `/${name}`, description: "x" }],
  access: "anyone",
  chats: "any",
  run: async () => ({ text: name }),
  ...extra,
});

describe("CommandRegistry", () => {
  it("finds commands and aliases case-insensitively", () => {
    const registry = new CommandRegistry([def("help", { aliases: ["start"] })]);
    expect(registry.find("HELP")?.name).toBe("help");
    expect(registry.find("start")?.name).toBe("help");
    expect(registry.find("nope")).toBeUndefined();
  });

  it("rejects bad or duplicate names and bad descriptions at build time", () => {
    expect(() => new CommandRegistry([def("Bad-Name")])).toThrow(/must match/);
    expect(() => new CommandRegistry([def("a"), def("b", { aliases: ["a"] })])).toThrow(/registered twice/);
    expect(() => new CommandRegistry([def("a", { description: "" })])).toThrow(/description/);
    expect(() => new CommandRegistry([def("a", { description: "x".repeat(257) })])).toThrow(/description/);
  });

  it("filters what a sender may use where they are", () => {
    const registry = new CommandRegistry([
      def("all"),
      def("dmonly", { chats: "dm" }),
      def("admin", { access: "owners" }),
      def("secret", { hidden: true }),
    ]);
    const names = (isOwner: boolean, chatType: "dm" | "group") =>
      registry.availableTo({ isOwner, chatType }).map((d) => d.name);
    expect(names(true, "dm")).toEqual(["all", "dmonly", "admin"]);
    expect(names(false, "dm")).toEqual(["all", "dmonly"]);
    expect(names(false, "group")).toEqual(["all"]);
    expect(registry.menu().map((m) => m.name)).toEqual(["all", "dmonly", "admin"]);
  });

  it("suggests the closest command for a typo", () => {
    const registry = chatCommandRegistry();
    expect(registry.closest("modle")).toBe("model");
    expect(registry.closest("whoamii")).toBe("whoami");
    expect(registry.closest("zzzzzz")).toBeUndefined();
  });

  it("feeds platform menus from the chat commands: Telegram-valid names and descriptions", () => {
    const menu = chatCommandRegistry().menu();
    expect(menu.map((m) => m.name)).toEqual(["model", "new", "whoami", "help"]);
    for (const entry of menu) {
      expect(entry.name).toMatch(/^[a-z0-9_]{1,32}$/);
      expect(entry.description.length).toBeLessThanOrEqual(256);
    }
    expect(menu[0]?.args.map((a) => a.name)).toEqual(["model", "profile"]);
  });

  it("turns native /model options back into the text form", () => {
    const model = chatCommandRegistry().find("model")!;
    expect(model.formatArgs?.({ model: "sonnet", profile: "anthropic:work" })).toBe("sonnet@anthropic:work");
    expect(model.formatArgs?.({ profile: "@anthropic:work" })).toBe("@anthropic:work");
    expect(model.formatArgs?.({ model: "opus" })).toBe("opus");
    expect(model.formatArgs?.({})).toBe("");
  });
});
