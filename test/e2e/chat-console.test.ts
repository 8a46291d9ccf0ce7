import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthStore } from "../../src/auth/auth-store.js";
import { sessionFilePath } from "../../src/config/paths.js";
import { chat } from "../support/run-chat.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

describe("tessera chat (console adapter, end to end)", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const key = fakeSecret("sk-ant-api03-");
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tessera-chat-e2e-"));
    env = {
      PATH: process.env.PATH,
      HOME: join(dir, "home"),
      TESSERA_STATE_DIR: join(dir, "state"),
      NO_COLOR: "1",
    };
    const store = new AuthStore(join(dir, "state"), "main");
    await store.upsertProfile(
      "anthropic:work",
      { type: "api_key", provider: "anthropic", key },
      {
        actor: "test",
        surface: "test",
      },
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("answers /model list, /model sonnet@anthropic:work and /model status from piped stdin", async () => {
    const run = await chat(env, "/model list\n/model sonnet@anthropic:work\n/model status\n");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const [list, pin, status] = run.stdout.split(
      /\n\n(?=Models you can pick|This chat now uses|Model status)/,
    );
    expect(list).toContain("Models you can pick");
    expect(list).toMatch(/^anthropic ✓$/m);
    expect(list).toContain("• anthropic/claude-sonnet-4-5 — sonnet ← this chat");
    expect(pin).toMatch(
      /^This chat now uses sonnet · anthropic\/claude-sonnet-4-5 with the credential anthropic:work \(api_key · ok · #[0-9a-f]{6}\)\./,
    );
    expect(status).toContain(
      "Model: sonnet · anthropic/claude-sonnet-4-5 — pinned in this chat by console:local",
    );
    expect(status).toContain("Pinned credential: anthropic:work");
    expect(status).toMatch(/^1\. anthropic:work · api_key · ok · #[0-9a-f]{6} · store · next$/m);
    expect(status).toMatch(/^Next: anthropic:work — pinned by this session$/m);
    expectNoSecretIn(run.stdout + run.stderr, [key]);

    const consoleKey = "agent:main:console:local";
    const file = JSON.parse(await readFile(sessionFilePath(join(dir, "state"), "main", consoleKey), "utf8"));
    expect(file.key).toBe(consoleKey);
    expect(file.session).toMatchObject({
      model: { ref: "anthropic/claude-sonnet-4-5", setBy: "console:local", source: "user" },
      profile: { id: "anthropic:work", setBy: "console:local", source: "user" },
    });
    const audit = await readFile(join(dir, "state", "audit.jsonl"), "utf8");
    expect(audit).toContain('"action":"pin.profile"');
    expectNoSecretIn(audit, [key]);
  });

  it("keeps the pins for the next process, and presses buttons by number", async () => {
    const run = await chat(env, "/model\n19\n/model\n", ["--as", "bob"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Model: sonnet · anthropic/claude-sonnet-4-5 — pinned in this chat");
    expect(run.stdout).toContain("[18] ✓ anthropic:work — api_key · ok");
    expect(run.stdout).toContain("[19] Reset to defaults");
    expect(run.stdout).toContain(
      "Unpinned the model anthropic/claude-sonnet-4-5 and the credential anthropic:work.",
    );
    expect(run.stdout).toMatch(/Model: sonnet · anthropic\/claude-sonnet-4-5 — the default\n/);
    const audit = await readFile(join(dir, "state", "audit.jsonl"), "utf8");
    expect(audit).toContain('"actor":"console:bob","surface":"chat","action":"pin.clear"');
    expectNoSecretIn(run.stdout + run.stderr, [key]);
  });

  it("exits 0 on empty input and 1 with a fix for an unknown agent", async () => {
    expect(await chat(env, "")).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const bad = await chat(env, "/help\n", ["--agent", "nope"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: unknown agent "nope"');
    expect(bad.stderr).toContain("fix:");
    expect(bad.stdout).toBe("");
  });
});
