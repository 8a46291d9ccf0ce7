import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { statusReportFor } from "../../src/runtime/services.js";
import { runCli } from "../cli/models-harness.js";
import { apiKeyFor, type ChatFixture, chatFixture, telegramDm } from "../router/chat-fixture.js";

const CONSOLE_KEY = "agent:main:console:local";

/** The `Next:` line of one provider's block in a rendered `/model status`. */
function nextIn(status: string, provider: string): string | undefined {
  const block = status
    .split("\n\n")
    .find((b) => b.startsWith(`${provider} `) || b.startsWith(`${provider}\n`));
  return block?.match(/^Next: (\S+) —/m)?.[1];
}

describe("/model against real stores", () => {
  let fx: ChatFixture;
  beforeEach(async () => {
    fx = await chatFixture({
      config: {
        access: { owners: ["telegram:1"] },
        channels: { telegram: { allowFrom: ["2"] } },
      },
      env: { OPENAI_API_KEY: "sk-proj-ENVenvENVenvENVenvENVenvENVenv" },
    });
    await fx.seedProfile("anthropic:work", apiKeyFor("anthropic"));
    await fx.seedProfile("anthropic:default", apiKeyFor("anthropic"));
    await fx.seedProfile("openai:default", apiKeyFor("openai"));
  });
  afterEach(() => fx.cleanup());

  it("pins a model and a profile that survive a restart", async () => {
    const text = await fx.say("/model sonnet@anthropic:work");
    expect(text).toContain(
      "This chat now uses sonnet · anthropic/claude-sonnet-4-5 with the credential anthropic:work",
    );
    expect(text).toMatch(/anthropic:work \(api_key · ok · #[0-9a-f]{6}\)/);
    await fx.restart();
    const entry = await fx.sessions.get(CONSOLE_KEY);
    expect(entry?.model).toMatchObject({
      ref: "anthropic/claude-sonnet-4-5",
      setBy: "console:local",
      source: "user",
    });
    expect(entry?.profile).toMatchObject({ id: "anthropic:work", setBy: "console:local", source: "user" });
    expect(await fx.say("/model")).toMatch(
      /Model: sonnet · anthropic\/claude-sonnet-4-5 — pinned in this chat/,
    );
  });

  it("shows the pinned profile as next, as the resolver's report does", async () => {
    await fx.send("/model opus@anthropic:default");
    const status = await fx.say("/model status");
    expect(nextIn(status, "anthropic")).toBe("anthropic:default");
    expect(status).toContain("Pinned credential: anthropic:default");
    expect(status).toContain("Order: pinned profile first, no failover");
    const report = await statusReportFor(fx.services, { pin: "anthropic:default" });
    expect(report.providers.find((p) => p.provider === "anthropic")?.next).toBe("anthropic:default");
    for (const p of report.providers) expect(nextIn(status, p.provider)).toBe(p.next ?? "none");
    // Credential lines carry fingerprints, never the masked tail of a secret.
    for (const p of report.providers.flatMap((x) => x.profiles)) {
      expect(status).toContain(p.fingerprint);
      expect(status).not.toContain(p.masked);
    }
  });

  it("agrees with `tessera models status --json` on next for an unpinned chat", async () => {
    const status = await fx.say("/model status");
    const report = await statusReportFor(fx.services);
    const cli = await runCli(["models", "status", "--json"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: fx.home,
        TESSERA_STATE_DIR: fx.stateDir,
        OPENAI_API_KEY: fx.secrets[0]!,
      },
    });
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout) as { providers: { provider: string; next: string | null }[] };
    expect(json.providers.length).toBeGreaterThan(0);
    for (const p of json.providers) {
      expect(nextIn(status, p.provider)).toBe(p.next ?? "none");
      expect(report.providers.find((r) => r.provider === p.provider)?.next ?? null).toBe(p.next);
    }
    expect(nextIn(status, "openai")).toBe("openai:default");
  });

  it("names both providers for a profile of another provider, and pins nothing", async () => {
    const [reply] = await fx.send("/model sonnet@openai:default");
    expect(reply?.text).toContain("`openai:default` is a credential for openai");
    expect(reply?.text).toContain("runs on anthropic");
    expect(reply?.buttons?.flat().map((b) => b.action)).toEqual([
      "/model sonnet@anthropic:default",
      "/model sonnet@anthropic:work",
    ]);
    expect(await fx.sessions.get(CONSOLE_KEY)).toBeUndefined();
    const profileOnly = await fx.say("/model @openai:default");
    expect(profileOnly).toContain("this chat's model anthropic/claude-sonnet-4-5 runs on anthropic");
  });

  it("lists the provider's profiles for an unknown profile, closest first", async () => {
    const [reply] = await fx.send("/model opus@anthropic:wrok");
    expect(reply?.text).toContain("There is no profile `anthropic:wrok`");
    expect(reply?.text).toContain("anthropic profiles: `anthropic:work`, `anthropic:default`");
    expect(reply?.buttons?.[0]?.[0]).toEqual({
      label: "anthropic:work",
      action: "/model opus@anthropic:work",
    });
    expect(await fx.sessions.get(CONSOLE_KEY)).toBeUndefined();
  });

  it("suggests close matches for an unknown model and never applies a guess", async () => {
    const [reply] = await fx.send("/model sonet");
    expect(reply?.text).toContain("There is no model `sonet`. Did you mean `sonnet`");
    expect(reply?.buttons?.flat()).toContainEqual({ label: "sonnet", action: "/model sonnet" });
    expect(await fx.sessions.get(CONSOLE_KEY)).toBeUndefined();
    const withProfile = await fx.send("/model sonet@anthropic:work");
    expect(withProfile[0]?.buttons?.flat()).toContainEqual({
      label: "sonnet",
      action: "/model sonnet@anthropic:work",
    });
    const unknownProvider = await fx.say("/model antropic/claude-opus-4-5");
    expect(unknownProvider).toContain(
      "There is no provider antropic; the providers are anthropic, openai, openrouter.",
    );
    expect(unknownProvider).toContain("Did you mean anthropic/claude-opus-4-5");
  });

  it("resolves aliases case-insensitively, bare ids on the default provider, and a spaced @profile", async () => {
    await fx.send("/model SONNET");
    expect((await fx.pins(CONSOLE_KEY)).model).toBe("anthropic/claude-sonnet-4-5");
    await fx.send("/model claude-opus-4-1");
    expect((await fx.pins(CONSOLE_KEY)).model).toBe("anthropic/claude-opus-4-1");
    await fx.send("/model Anthropic/claude-haiku-4-5");
    expect((await fx.pins(CONSOLE_KEY)).model).toBe("anthropic/claude-haiku-4-5");
    await fx.send("/model opus @work");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({
      model: { ref: "anthropic/claude-opus-4-5" },
      profile: { id: "anthropic:work" },
    });
    await fx.send("/model haiku@default");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({
      model: { ref: "anthropic/claude-haiku-4-5" },
      profile: { id: "anthropic:default" },
    });
    // A bare profile name works after a full model ref too, not only after an alias.
    await fx.send("/model anthropic/claude-sonnet-4-5@work");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({
      model: { ref: "anthropic/claude-sonnet-4-5" },
      profile: { id: "anthropic:work" },
    });
    // …and after a bare model id on the default provider.
    await fx.send("/model claude-opus-4-1@default");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({
      model: { ref: "anthropic/claude-opus-4-1" },
      profile: { id: "anthropic:default" },
    });
  });

  it("pins only the credential with @profile, keeping the model", async () => {
    await fx.send("/model haiku");
    const text = await fx.say("/model @anthropic:work");
    expect(text).toContain("This chat's anthropic requests now use anthropic:work");
    expect(text).toContain("the model stays haiku · anthropic/claude-haiku-4-5");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({
      model: { ref: "anthropic/claude-haiku-4-5" },
      profile: { id: "anthropic:work" },
    });
  });

  it("keeps a same-provider credential pin on a model switch and drops another provider's", async () => {
    await fx.send("/model sonnet@anthropic:work");
    expect(await fx.say("/model opus")).toContain("It keeps the pinned credential anthropic:work.");
    expect((await fx.pins(CONSOLE_KEY)).profile).toBe("anthropic:work");
    const switched = await fx.say("/model openai/gpt-5");
    expect(switched).toContain(
      "The pinned credential anthropic:work was unpinned: it is for anthropic, not openai.",
    );
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({ model: { ref: "openai/gpt-5" } });
    expect((await fx.pins(CONSOLE_KEY)).profile).toBeUndefined();
  });

  it("refuses a profile pin from a non-owner and still lets them switch models", async () => {
    const key = "agent:main:telegram:dm:2";
    expect(await fx.say("/model opus@anthropic:work", telegramDm("2"))).toContain(
      "Only the bot's owners can pin a credential. You can still switch the model: /model opus.",
    );
    expect(await fx.say("/model @anthropic:work", telegramDm("2"))).toContain("Only the bot's owners");
    expect(await fx.sessions.get(key)).toBeUndefined();
    expect(await fx.say("/model opus", telegramDm("2"))).toContain("This chat now uses opus");
    expect((await fx.pins(key)).model).toBe("anthropic/claude-opus-4-5");
    const ownerPin = await fx.say("/model opus@anthropic:work", telegramDm("1"));
    expect(ownerPin).toContain("with the credential anthropic:work");
  });

  it("resets with reset or default, and says when nothing was pinned", async () => {
    await fx.send("/model opus@anthropic:work");
    const text = await fx.say("/model reset");
    expect(text).toContain("Unpinned the model anthropic/claude-opus-4-5 and the credential anthropic:work.");
    expect(text).toContain("default model sonnet · anthropic/claude-sonnet-4-5");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({ history: [] });
    expect((await fx.sessions.get(CONSOLE_KEY))?.model).toBeUndefined();
    await fx.send("/model haiku");
    await fx.send("/model DEFAULT");
    expect((await fx.pins(CONSOLE_KEY)).model).toBeUndefined();
    expect(await fx.say("/model reset")).toContain("Nothing was pinned here");
  });

  it("audits every pin change with who made it", async () => {
    await fx.send("/model sonnet@anthropic:work");
    await fx.send("/model reset");
    const entries = (await fx.services.audit.read()).entries.filter((e) => e.action.startsWith("pin."));
    expect(entries.map((e) => [e.actor, e.action, e.detail])).toEqual([
      ["console:local", "pin.model", "anthropic/claude-sonnet-4-5"],
      ["console:local", "pin.profile", "anthropic:work"],
      ["console:local", "pin.clear", "model anthropic/claude-sonnet-4-5"],
      ["console:local", "pin.clear", "profile anthropic:work"],
    ]);
    for (const e of entries) expect(e).toMatchObject({ surface: "chat", agent: "main", target: CONSOLE_KEY });
  });

  it("reports and clears a pin whose profile disappeared, on the next message", async () => {
    await fx.send("/model opus@anthropic:work");
    await fx.services.store.removeProfile("anthropic:work", { actor: "cli:test", surface: "cli" });
    const text = await fx.say("/model");
    expect(text).toContain(
      "this chat's pinned credential anthropic:work was unpinned because that profile no longer exists",
    );
    expect(text).toContain("/model @<profile>");
    expect(await fx.sessions.get(CONSOLE_KEY)).toMatchObject({ model: { ref: "anthropic/claude-opus-4-5" } });
    expect((await fx.pins(CONSOLE_KEY)).profile).toBeUndefined();
    expect(await fx.say("/model")).not.toContain("unpinned");
    const audit = (await fx.services.audit.read()).entries.filter((e) => e.actor === "tessera");
    expect(audit).toMatchObject([
      { action: "pin.clear", detail: "profile anthropic:work: that profile no longer exists" },
    ]);
  });

  it("reads the session and the auth store once per command", async () => {
    await fx.send("/model opus@anthropic:work");
    const reads = { sessions: 0, auth: 0 };
    const { sessions, services } = fx;
    const get = sessions.get.bind(sessions);
    const load = services.store.load.bind(services.store);
    sessions.get = (key) => {
      reads.sessions++;
      return get(key);
    };
    services.store.load = () => {
      reads.auth++;
      return load();
    };
    for (const text of [
      "/model",
      "/model status",
      "/model list",
      "/model haiku",
      "/model @anthropic:default",
    ]) {
      reads.sessions = 0;
      reads.auth = 0;
      await fx.send(text);
      expect({ text, ...reads }).toEqual({ text, sessions: 1, auth: 1 });
    }
  });

  it("answers the message that finds a stale pin as if the pin were already gone", async () => {
    await fx.send("/model opus@anthropic:work");
    await fx.services.store.removeProfile("anthropic:work", { actor: "cli:test", surface: "cli" });
    const status = await fx.say("/model status");
    expect(status).toContain("pinned credential anthropic:work was unpinned");
    expect(status).toContain("Pinned credential: none (the default order decides)");
    expect(status).toContain("Model: opus · anthropic/claude-opus-4-5 — pinned in this chat");
  });

  it("tells a plain message too that its pin was cleared", async () => {
    await fx.send("/model @anthropic:default");
    await fx.services.store.removeProfile("anthropic:default", { actor: "cli:test", surface: "cli" });
    const text = await fx.say("hello");
    expect(text).toContain("pinned credential anthropic:default was unpinned");
    expect(text).toContain("echo: hello");
    expect(text.indexOf("unpinned")).toBeLessThan(text.indexOf("echo: hello"));
  });

  it("shows the picker: aliases first, then the provider's models, its profiles, then Reset", async () => {
    await fx.send("/model opus");
    const [reply] = await fx.send("/model");
    expect(reply?.text).toContain("**Model:** **opus** · `anthropic/claude-opus-4-5` — pinned in this chat");
    expect(reply?.text).toMatch(
      /\*\*Credential:\*\* `anthropic:(work|default)` · api_key · ok · #[0-9a-f]{6} — next in the default order/,
    );
    const [models, profiles] = reply?.menus ?? [];
    // The console carries actions as typed; aliases first, then the provider's models, then the rest.
    expect(models?.options.slice(0, 5).map((o) => [o.label, o.action, o.selected ?? false])).toEqual([
      ["sonnet", "/model sonnet", false],
      ["opus", "/model opus", true],
      ["haiku", "/model haiku", false],
      ["anthropic/claude-opus-4-1", "/model anthropic/claude-opus-4-1", false],
      ["anthropic/claude-sonnet-4", "/model anthropic/claude-sonnet-4", false],
    ]);
    expect(models?.options.filter((o) => o.selected)).toHaveLength(1);
    expect(profiles?.options.map((o) => o.action)).toEqual([
      "/model @anthropic:default",
      "/model @anthropic:work",
    ]);
    expect(profiles?.options.every((o) => o.description === "api_key · ok")).toBe(true);
    expect(reply?.buttons).toEqual([[{ label: "Reset to defaults", action: "/model reset" }]]);
    const [member] = await fx.send("/model", telegramDm("2"));
    expect(member?.menus).toHaveLength(1);
    expect(JSON.stringify(member)).not.toContain("anthropic:");
  });

  it("lists allowed models by provider with aliases and usable credentials", async () => {
    const text = await fx.say("/model list");
    expect(text).toMatch(/^anthropic ✓$/m);
    expect(text).toContain("• anthropic/claude-sonnet-4-5 — sonnet ← this chat");
    expect(text).toMatch(/^openai ✓$/m);
    expect(text).toMatch(/^openrouter ✗ no usable credential$/m);
    expect(text.indexOf("anthropic ✓")).toBeLessThan(text.indexOf("openai ✓"));
  });

  it("shows env credentials by name and fingerprint only", async () => {
    await fx.send("/model openai/gpt-5");
    const status = await fx.say("/model status");
    expect(status).toMatch(/env:OPENAI_API_KEY · api_key · ok · #[0-9a-f]{6} · env: OPENAI_API_KEY/);
    expect(status).toMatch(/^openai ← this chat's provider/m);
  });

  it("reports the session's provider with its fix even when it has no credential and no configured model uses it", async () => {
    const pinned = await fx.say("/model openrouter/openai/gpt-5");
    expect(pinned).toMatch(/Warning:.*no usable openrouter credential.*paste-api-key --provider openrouter/);
    const status = await fx.say("/model status");
    expect(status).toMatch(/^openrouter ← this chat's provider/m);
    expect(status).toMatch(/^Next: none — no credential for openrouter/m);
    expect(status).toMatch(
      /openrouter: no credential \(used by this session\).*paste-api-key --provider openrouter/,
    );
  });

  it("answers /model help and rejects extra words", async () => {
    expect(await fx.say("/model help")).toContain("/model @<profile>");
    expect(await fx.say("/model help", telegramDm("2"))).not.toContain("/model @<profile>");
    expect(await fx.say("/model list please")).toContain("/model list takes nothing after it");
    expect(await fx.say("/model sonnet opus")).toContain("/model takes one model");
    expect(await fx.say("/model @")).toContain("Put a profile id after @");
  });

  it("pins a known provider's unlisted model as typed, with a note", async () => {
    const text = await fx.say("/model anthropic/claude-future-9");
    expect(text).toContain("not in Tessera's model list, so it was pinned as typed");
    expect((await fx.pins(CONSOLE_KEY)).model).toBe("anthropic/claude-future-9");
  });

  it("warns when the chosen model's provider has no usable credential", async () => {
    const owner = await fx.say("/model openrouter/openai/gpt-5");
    expect(owner).toContain("Warning: this chat has no usable openrouter credential");
    expect(owner).toContain("tessera models auth paste-api-key --provider openrouter");
    const member = await fx.say("/model openrouter/openai/gpt-5", telegramDm("2"));
    expect(member).toContain("ask the bot's owner");
    expect(member).not.toContain("tessera models");
  });
});

describe("/model with a restricted config", () => {
  let fx: ChatFixture;
  afterEach(() => fx.cleanup());

  it("never reads reserved words as model names, even when an alias says so", async () => {
    const reserved = ["list", "status", "reset", "default", "help"];
    fx = await chatFixture({
      config: {
        models: {
          aliases: {
            ...Object.fromEntries(reserved.map((word) => [word, "openai/gpt-5"])),
            sonnet: "anthropic/claude-sonnet-4-5",
          },
        },
      },
    });
    expect(await fx.say("/model LIST")).toContain("Models you can pick");
    expect(await fx.say("/model status")).toContain("Model status");
    expect(await fx.say("/model Reset")).toContain("Nothing was pinned here");
    expect(await fx.say("/model default")).toContain("Nothing was pinned here");
    expect(await fx.say("/model help")).toContain("/model forms");
    expect(await fx.sessions.get(CONSOLE_KEY)).toBeUndefined();
    expect(await fx.say("/model status@anthropic:work")).toContain("is a /model sub-command, not a model");
    const [picker] = await fx.send("/model");
    const labels = picker?.buttons?.flat().map((b) => b.label) ?? [];
    for (const word of reserved) expect(labels).not.toContain(word);
  });

  it("says how to list models when one is not allowed", async () => {
    fx = await chatFixture({
      config: { models: { allow: ["anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5"] } },
    });
    const text = await fx.say("/model opus");
    expect(text).toContain("opus is not allowed here: it is not in the gateway's models.allow list");
    expect(text).toContain("/model list");
    const list = await fx.say("/model list");
    expect(list).toContain("anthropic/claude-haiku-4-5");
    expect(list).not.toContain("opus");
    expect(list).not.toContain("openai");
  });

  it("clears a model pin that config no longer allows, and says so", async () => {
    fx = await chatFixture();
    await fx.send("/model opus");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      join(fx.stateDir, "config.json"),
      JSON.stringify({ models: { allow: ["anthropic/claude-sonnet-4-5"] } }),
    );
    await fx.restart();
    const text = await fx.say("/new");
    expect(text).toContain(
      "pinned model anthropic/claude-opus-4-5 was unpinned because it is no longer in models.allow",
    );
    expect(text).toContain("Started a new conversation");
    expect((await fx.pins(CONSOLE_KEY)).model).toBeUndefined();
  });
});

describe("/model status with many credentials", () => {
  it("lists at most 10 candidates per provider, always the next one, and points to the CLI for the rest", async () => {
    const profiles = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [
        `anthropic:p${String(i).padStart(2, "0")}`,
        apiKeyFor("anthropic"),
      ]),
    );
    const fx = await chatFixture({ profiles });
    try {
      const [reply] = await fx.send("/model status");
      const lines = reply!.text.split("\n").filter((l) => /^\d+\. `anthropic:p/.test(l));
      expect(lines).toHaveLength(10);
      expect(reply!.text).toContain("… and 20 more: `tessera models status`");
      expect(reply!.text).toMatch(/\*\*next\*\*/);
    } finally {
      await fx.cleanup();
    }
  });
});
