import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { takeOwnerNotices } from "../../src/runtime/expiry-notices.js";
import { type AgentServices, openAgentServices } from "../../src/runtime/services.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const who = { actor: "test", surface: "test" };
const HOUR = 3_600_000;
let dir: string;
let services: AgentServices;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-notices-"));
  services = await openAgentServices({ stateDir: dir, processEnv: { HOME: dir } });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("takeOwnerNotices", () => {
  it("announces an expiring static token once, with the fix, and again only after it recovered and broke anew", async () => {
    const token = fakeSecret("sk-ant-oat01-", 100);
    await services.store.upsertProfile(
      "anthropic:sub",
      { type: "token", provider: "anthropic", token, expires: Date.now() + 3 * HOUR },
      who,
    );
    const first = await takeOwnerNotices(services);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/anthropic:sub.*expires in (2h|3h)/);
    expect(first[0]).toMatch(
      /fix: run `claude setup-token`, then: tessera models auth paste-token --provider anthropic --profile-id anthropic:sub/,
    );
    expectNoSecretIn(first.join("\n"), [token]);
    // A second process (or a later turn) does not repeat it.
    const other = await openAgentServices({ stateDir: dir, processEnv: { HOME: dir } });
    expect(await takeOwnerNotices(other)).toEqual([]);
    expect(await takeOwnerNotices(services)).toEqual([]);
    // Replaced by a healthy credential: the mark is dropped, so a later expiry is announced again.
    await services.store.upsertProfile(
      "anthropic:sub",
      { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
      who,
    );
    expect(await takeOwnerNotices(services)).toEqual([]);
    expect((await services.store.load()).state.notified).toEqual({});
    await services.store.upsertProfile(
      "anthropic:sub",
      { type: "token", provider: "anthropic", token, expires: Date.now() + HOUR },
      who,
    );
    expect(await takeOwnerNotices(services)).toHaveLength(1);
  });

  it("announces a credential that needs re-authentication, and says nothing for providers nobody uses", async () => {
    await services.store.upsertProfile(
      "anthropic:a",
      { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
      who,
    );
    await services.store.upsertProfile(
      "openai:old",
      { type: "token", provider: "openai", token: fakeSecret("sk-proj-"), expires: Date.now() - HOUR },
      who,
    );
    expect(await takeOwnerNotices(services)).toEqual([]);
    await services.store.markFailure("anthropic:a", "auth", { message: "HTTP 401: invalid x-api-key" });
    const notices = await takeOwnerNotices(services);
    expect(notices.some((n) => /anthropic:a: needs re-authentication/.test(n))).toBe(true);
  });
});
