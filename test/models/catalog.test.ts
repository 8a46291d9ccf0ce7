import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import {
  editDistance,
  isAllowed,
  listCatalog,
  parseRef,
  providersInUse,
  resolveModelInput,
} from "../../src/models/catalog.js";

const config = (raw: unknown = {}) => ConfigSchema.parse(raw);

describe("parseRef", () => {
  it("splits at the first slash, so OpenRouter model ids keep theirs", () => {
    expect(parseRef("anthropic/claude-opus-4-5")).toEqual({
      provider: "anthropic",
      model: "claude-opus-4-5",
    });
    expect(parseRef("openrouter/google/gemini-2.5-pro")).toEqual({
      provider: "openrouter",
      model: "google/gemini-2.5-pro",
    });
  });

  it("is undefined without a provider or a model", () => {
    expect(parseRef("sonnet")).toBeUndefined();
    expect(parseRef("/claude")).toBeUndefined();
    expect(parseRef("anthropic/")).toBeUndefined();
  });
});

describe("resolveModelInput", () => {
  it("reads the provider of a full ref case-insensitively, keeping the model's case", () => {
    const resolved = resolveModelInput(ConfigSchema.parse({}), "OpenAI/GPT-Custom");
    expect(resolved).toMatchObject({
      ok: true,
      via: "ref",
      ref: { provider: "openai", model: "GPT-Custom" },
    });
  });

  it("reads an alias, case-insensitively", () => {
    for (const typed of ["sonnet", "Sonnet", "SONNET", "  sonnet "]) {
      expect(resolveModelInput(config(), typed)).toEqual({
        ok: true,
        ref: { provider: "anthropic", model: "claude-sonnet-4-5" },
        via: "alias",
        alias: "sonnet",
      });
    }
  });

  it("reads a provider/model ref", () => {
    expect(resolveModelInput(config(), "openai/gpt-5")).toEqual({
      ok: true,
      ref: { provider: "openai", model: "gpt-5" },
      via: "ref",
    });
    expect(resolveModelInput(config(), "openrouter/deepseek/deepseek-chat-v3.1")).toMatchObject({
      ok: true,
      ref: { provider: "openrouter", model: "deepseek/deepseek-chat-v3.1" },
    });
  });

  it("accepts a model the catalog does not list on a known provider (only models.allow restricts)", () => {
    expect(resolveModelInput(config(), "openrouter/mistralai/mistral-large")).toMatchObject({
      ok: true,
      via: "ref",
    });
  });

  it("reads a bare model id on the default model's provider", () => {
    expect(resolveModelInput(config(), "claude-opus-4-5")).toEqual({
      ok: true,
      ref: { provider: "anthropic", model: "claude-opus-4-5" },
      via: "bare",
    });
    const onOpenRouter = config({ models: { default: "openrouter/openai/gpt-5" } });
    expect(resolveModelInput(onOpenRouter, "google/gemini-2.5-pro")).toEqual({
      ok: true,
      ref: { provider: "openrouter", model: "google/gemini-2.5-pro" },
      via: "bare",
    });
  });

  it("does not read a bare id of another provider's model", () => {
    const r = resolveModelInput(config(), "gpt-5");
    expect(r).toMatchObject({ ok: false, reason: "unknown" });
  });

  it("reads a custom provider's models", () => {
    const c = config({
      models: {
        default: "local/llama3.1:8b",
        providers: {
          local: { baseUrl: "http://127.0.0.1:11434/v1", models: ["llama3.1:8b", "qwen2.5:14b"] },
        },
      },
    });
    expect(resolveModelInput(c, "qwen2.5:14b")).toMatchObject({
      ok: true,
      via: "bare",
      ref: { provider: "local" },
    });
    expect(resolveModelInput(c, "local/qwen2.5:14b")).toMatchObject({ ok: true, via: "ref" });
  });

  it("answers an unknown name with the closest matches, never applying them", () => {
    const r = resolveModelInput(config(), "sonet");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe("unknown");
    expect(r.input).toBe("sonet");
    expect(r.suggestions[0]).toBe("sonnet");
    expect(r.suggestions.length).toBeLessThanOrEqual(3);

    const typo = resolveModelInput(config(), "claude-opus-4.5");
    expect(typo).toMatchObject({ ok: false, reason: "unknown" });
    if (!typo.ok) expect(typo.suggestions[0]).toBe("claude-opus-4-5");
  });

  it("orders suggestions by edit distance, each in a form that resolves when typed back", () => {
    const r = resolveModelInput(config(), "gpt-5-min");
    if (r.ok) throw new Error("should not resolve");
    // The bare id is matched, but off the default provider it is offered as its full ref.
    expect(r.suggestions[0]).toBe("openai/gpt-5-mini");
    for (const s of r.suggestions) expect(resolveModelInput(config(), s).ok).toBe(true);
    expect(editDistance("gpt-5-min", "gpt-5-mini")).toBe(1);
  });

  it("offers nothing when nothing is close", () => {
    const r = resolveModelInput(config(), "zzzzzzzzzzzzzzzzzzzzzz");
    expect(r).toEqual({ ok: false, reason: "unknown", input: "zzzzzzzzzzzzzzzzzzzzzz", suggestions: [] });
  });

  it("names an unknown provider, with suggestions", () => {
    const r = resolveModelInput(config(), "antropic/claude-opus-4-5");
    expect(r).toMatchObject({ ok: false, reason: "unknown-provider" });
    if (!r.ok) expect(r.suggestions[0]).toBe("anthropic/claude-opus-4-5");
  });

  it("does not take a property of Object.prototype for a provider", () => {
    expect(resolveModelInput(config(), "constructor/x")).toMatchObject({
      ok: false,
      reason: "unknown-provider",
    });
    expect(resolveModelInput(config(), "toString/x")).toMatchObject({
      ok: false,
      reason: "unknown-provider",
    });
  });

  it("refuses a model outside models.allow, for refs, bare ids and aliases alike", () => {
    const c = config({ models: { allow: ["anthropic/claude-sonnet-4-5", "openai/gpt-5"] } });
    expect(resolveModelInput(c, "openai/gpt-5")).toMatchObject({ ok: true });
    expect(resolveModelInput(c, "sonnet")).toMatchObject({ ok: true, via: "alias" });
    for (const typed of ["anthropic/claude-opus-4-5", "claude-opus-4-5", "opus"]) {
      expect(resolveModelInput(c, typed)).toEqual({
        ok: false,
        reason: "not-allowed",
        input: typed,
        suggestions: [],
      });
    }
  });

  it("suggests only names that are allowed", () => {
    const c = config({ models: { allow: ["anthropic/claude-sonnet-4-5"] } });
    const r = resolveModelInput(c, "opuss");
    if (r.ok) throw new Error("should not resolve");
    expect(r.suggestions).not.toContain("opus");
    expect(r.suggestions.every((s) => !s.includes("opus"))).toBe(true);
  });
});

describe("listCatalog", () => {
  it("lists built-in models, custom models and alias targets, with their aliases", () => {
    const c = config({
      models: {
        aliases: { sonnet: "anthropic/claude-sonnet-4-5", next: "anthropic/claude-next" },
        providers: { local: { baseUrl: "http://127.0.0.1:1/v1", models: ["m1"] } },
      },
    });
    const catalog = listCatalog(c);
    const refs = catalog.map((e) => e.ref);
    expect(refs).toContain("openai/gpt-5");
    expect(refs).toContain("openrouter/google/gemini-2.5-pro");
    expect(refs).toContain("local/m1");
    expect(refs).toContain("anthropic/claude-next");
    expect(new Set(refs).size).toBe(refs.length);
    expect(catalog.find((e) => e.ref === "anthropic/claude-sonnet-4-5")?.aliases).toEqual(["sonnet"]);
    expect(catalog.every((e) => e.allowed)).toBe(true);
  });

  it("marks what models.allow leaves out", () => {
    const c = config({ models: { allow: ["openai/gpt-5"] } });
    const allowed = listCatalog(c)
      .filter((e) => e.allowed)
      .map((e) => e.ref);
    expect(allowed).toEqual(["openai/gpt-5"]);
    expect(isAllowed(c, "openai/gpt-5-mini")).toBe(false);
    expect(isAllowed(config(), "openai/gpt-5-mini")).toBe(true);
  });
});

describe("providersInUse", () => {
  it("collects the providers of the default model, alias targets and the allow list, with their models", () => {
    const used = providersInUse(
      config({
        models: {
          default: "openrouter/openai/gpt-5",
          aliases: { fast: "anthropic/claude-haiku-4-5", smart: "anthropic/claude-opus-4-5" },
          allow: ["openai/gpt-5", "openrouter/openai/gpt-5"],
        },
      }),
    );
    expect(Object.fromEntries(used)).toEqual({
      openrouter: ["openrouter/openai/gpt-5"],
      anthropic: ["anthropic/claude-haiku-4-5", "anthropic/claude-opus-4-5"],
      openai: ["openai/gpt-5"],
    });
  });

  it("with the defaults is anthropic only", () => {
    expect([...providersInUse(config()).keys()]).toEqual(["anthropic"]);
  });
});

describe("editDistance", () => {
  it("is the Levenshtein distance", () => {
    expect(editDistance("", "")).toBe(0);
    expect(editDistance("sonnet", "sonnet")).toBe(0);
    expect(editDistance("sonet", "sonnet")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("abc", "")).toBe(3);
  });

  it("stays cheap for oversized input", () => {
    expect(editDistance("x".repeat(10_000), "sonnet")).toBeGreaterThan(200);
  });
});
