import { describe, expect, it } from "vitest";
import { migrateConfig } from "../../src/config/migrations.js";

describe("migrateConfig", () => {
  it("turns the Claude Code slot's legacy mode token into oauth, once", () => {
    const raw = { auth: { profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "token" } } } };
    const notices = migrateConfig(raw);
    expect(notices).toEqual([expect.stringContaining('auth.profiles["anthropic:claude-cli"].mode')]);
    expect(raw.auth.profiles["anthropic:claude-cli"].mode).toBe("oauth");
    expect(migrateConfig(raw)).toEqual([]);
  });

  it("leaves other profiles and odd shapes alone", () => {
    const raw = { auth: { profiles: { "anthropic:manual": { provider: "anthropic", mode: "token" } } } };
    expect(migrateConfig(raw)).toEqual([]);
    expect(raw.auth.profiles["anthropic:manual"].mode).toBe("token");
    for (const odd of [
      {},
      { auth: null },
      { auth: { profiles: [] } },
      { auth: { profiles: { "anthropic:claude-cli": "token" } } },
    ]) {
      const before = JSON.stringify(odd);
      expect(migrateConfig(odd as Record<string, unknown>)).toEqual([]);
      expect(JSON.stringify(odd)).toBe(before);
    }
  });
});
