/**
 * Issue 12, items 13 and 14, in the store itself: `AuthStore` had its own unknown-profile error that
 * listed every stored id (a store with 500 profiles gave a 10 kB line) and a provider-mismatch hint
 * that did the same; and `assertProfileId` took any non-space character after the colon, so an id
 * holding an escape sequence or a bidi override reached the store, the audit log and every view.
 * Now both errors list at most 10 ids (`listProfileIds`) and such ids are refused with the fix.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { AuthStore, assertProfileId } from "../../src/auth/auth-store.js";
import type { Credential } from "../../src/auth/credentials.js";
import { hasControlChars } from "../../src/control-chars.js";
import { tesseraErrorOf } from "../support/errors.js";
import { fakeSecret } from "../support/secrets.js";

const who = { actor: "cli:tester", surface: "cli" };
const key = (provider = "anthropic"): Credential => ({
  type: "api_key",
  provider,
  key: fakeSecret("sk-ant-api03-"),
});

let stateDir: string;
let store: AuthStore;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-ids-"));
  store = new AuthStore(stateDir, "main", new AuditLog(join(stateDir, "audit.jsonl")));
});
afterEach(() => rm(stateDir, { recursive: true, force: true }));

async function storeMany(n: number, provider = "anthropic"): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${provider}:p${String(i).padStart(2, "0")}`);
  await store.profilesFile.update((data) => {
    for (const id of ids) data.profiles[id] = key(provider);
  });
  return ids;
}

describe("store errors about unknown profiles list at most 10 ids", () => {
  it("removeProfile", async () => {
    const ids = await storeMany(25);
    const err = await tesseraErrorOf(store.removeProfile("anthropic:nope", who));
    expect(err.code).toBe("PROFILE_NOT_FOUND");
    expect(err.message).toBe(
      `no profile anthropic:nope (known: ${ids.slice(0, 10).join(", ")}, … and 15 more; \`tessera models auth list\`)`,
    );
    expect(err.hint).toBe("tessera models auth list");
  });

  it("setOrder, for an unknown id and for an id of another provider", async () => {
    const ids = await storeMany(12);
    await storeMany(1, "openai");
    const unknown = await tesseraErrorOf(store.setOrder("anthropic", ["anthropic:nope"], who));
    expect(unknown.message).toContain(
      `${ids.slice(0, 10).join(", ")}, … and 2 more; \`tessera models auth list\``,
    );
    const mismatch = await tesseraErrorOf(store.setOrder("anthropic", ["openai:p00"], who));
    expect(mismatch.code).toBe("PROFILE_PROVIDER_MISMATCH");
    expect(mismatch.message).toBe("profile openai:p00 is for openai, not anthropic");
    expect(mismatch.hint).toBe(
      `use anthropic profiles: ${ids.slice(0, 10).join(", ")}, … and 2 more; \`tessera models auth list\``,
    );
  });
});

describe("profile ids with control or invisible characters are refused", () => {
  const bad = [
    ["an escape sequence", "anthropic:work\x1b[2J"],
    ["a bidi override", "anthropic:\u202ekrow"],
    ["a zero-width space", "anthropic:wo\u200brk"],
    ["a DEL", "anthropic:work\x7f"],
    ["a C1 control", "anthropic:work\u009b"],
  ] as const;
  it.each(bad)("%s: refused by assertProfileId with the id shown escaped and the fix", async (_name, id) => {
    const err = await tesseraErrorOf(Promise.resolve().then(() => assertProfileId(id, "anthropic")));
    expect(err.code).toBe("PROFILE_INVALID");
    expect(err.message).toContain("contains control or invisible characters");
    expect(hasControlChars(err.message)).toBe(false);
    expect(err.hint).toMatch(/--profile-id anthropic:<name>/);
  });

  it("upsertProfile writes nothing for such an id", async () => {
    const err = await tesseraErrorOf(store.upsertProfile("anthropic:a\x1b]0;owned\x07", key(), who));
    expect(err.code).toBe("PROFILE_INVALID");
    expect(await readFile(store.path, "utf8").catch(() => "missing")).toBe("missing");
  });

  it("ordinary ids still pass", () => {
    for (const id of [
      "anthropic:work",
      "anthropic:me@example.com",
      "openrouter:team-1.b_2",
      "anthropic:日本",
    ])
      expect(() => assertProfileId(id, providerOf(id))).not.toThrow();
  });
});

function providerOf(id: string): string {
  return id.slice(0, id.indexOf(":"));
}
