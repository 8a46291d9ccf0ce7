/**
 * `tessera models auth remove` names the sessions pinned to the removed profile (read from every
 * session file: the one command besides doctor that lists sessions). Its other behaviour (order
 * entries, config metadata, unknown ids, Claude Code) is covered in models-auth-order.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionStore } from "../../src/sessions/session-store.js";
import { fakeSecret } from "../support/secrets.js";
import { createSandbox, type Sandbox } from "./models-harness.js";

const key = () => ({ type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-", 100) });
const who = { actor: "telegram:1", surface: "chat" };

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
  await sb.writeProfiles({ "anthropic:a": key(), "anthropic:b": key() });
});
afterEach(() => sb.cleanup());

describe("models auth remove and pinned sessions", () => {
  it("names the sessions pinned to the profile, and changes none of them", async () => {
    const sessions = new SessionStore(sb.stateDir, "main");
    const pinned = Array.from({ length: 7 }, (_, i) => `agent:main:telegram:dm:${10 + i}`);
    for (const k of pinned) await sessions.setPins(k, { profile: "anthropic:a" }, who);
    await sessions.setPins("agent:main:telegram:dm:99", { profile: "anthropic:b" }, who);

    const res = await sb.run(["models", "auth", "remove", "anthropic:a"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `note: 7 session(s) pinned anthropic:a (${pinned.slice(0, 5).join(", ")} and 2 more); each is told on its next message`,
    );
    expect(res.stdout).toContain("tessera doctor --fix");
    // The pins stay until each session's next message (which says why) or doctor --fix.
    for (const k of pinned) expect((await sessions.get(k))?.profile?.id).toBe("anthropic:a");
  });

  it("says nothing about sessions when none pinned it", async () => {
    await new SessionStore(sb.stateDir, "main").setPins(
      "agent:main:telegram:dm:1",
      { profile: "anthropic:b" },
      who,
    );
    const res = await sb.run(["models", "auth", "remove", "anthropic:a"]);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain("session");
  });
});
