/**
 * Issue 12, item 2: terminal and log injection. `/model anthropic/x<ESC>]0;T<BEL><ESC>[2J` was pinned
 * as typed, echoed and stored in audit.jsonl; `tessera audit` printed the escape codes raw; profile
 * ids with control characters were accepted by `paste --profile-id` and `import`. Control characters
 * are now refused in model refs and profile ids at every entry, and shown escaped in everything
 * printed.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { toPlainText } from "../../src/router/markup.js";
import { createSandbox, type Sandbox } from "../cli/models-harness.js";
import { apiKeyFor, type ChatFixture, chatFixture } from "../router/chat-fixture.js";
import { fakeSecret } from "../support/secrets.js";

const HOSTILE = "\u001b]0;T\u0007\u001b[2J";
/** What a terminal must never receive from us: controls other than line breaks and tabs, bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONSOLE_KEY = "agent:main:console:local";

describe("chat", () => {
  let fx: ChatFixture;
  beforeEach(async () => {
    fx = await chatFixture({ config: { access: { owners: ["console:local"] } } });
    await fx.seedProfile("anthropic:work", apiKeyFor("anthropic"));
  });
  afterEach(() => fx.cleanup());

  it.each([
    `/model anthropic/x${HOSTILE}`,
    `/model sonnet@anthropic:work${HOSTILE}`,
    `/model @anthropic:w\u202eork`,
    "/model anthropic/x\u0000y",
    "/model anthropic/x\u009b31m",
  ])("refuses %j without pinning, echoing or auditing it", async (text) => {
    const replies = await fx.send(text);
    const shown = replies.map((r) => r.text).join("\n");
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(toPlainText(shown)).toContain("cannot contain control or invisible characters");
    expect(await fx.pins(CONSOLE_KEY)).toEqual({ model: undefined, profile: undefined });
    const audit = await readFile(join(fx.stateDir, "audit.jsonl"), "utf8");
    expect(audit).not.toContain("pin");
  });

  it("shows a pin stored before the fix with its control characters escaped", async () => {
    await fx.sessions.setPins(
      CONSOLE_KEY,
      { model: `anthropic/x${HOSTILE}` },
      { actor: "old", surface: "chat" },
    );
    for (const command of ["/model", "/model status", "/model reset"]) {
      const replies = await fx.send(command);
      const all = JSON.stringify(replies.map((r) => [r.text, r.buttons, r.menus]));
      expect(all, command).not.toMatch(RAW_CONTROL);
      for (const r of replies) expect(r.text, command).not.toMatch(RAW_CONTROL);
    }
  });

  it("the audit log itself holds no raw control character", async () => {
    await new AuditLog(join(fx.stateDir, "audit.jsonl")).append({ actor: "x", surface: "chat" }, "pin.set", {
      target: `t\u009b\u202e${HOSTILE}`,
    });
    const text = await readFile(join(fx.stateDir, "audit.jsonl"), "utf8");
    expect(text).not.toMatch(RAW_CONTROL);
    const { entries } = await new AuditLog(join(fx.stateDir, "audit.jsonl")).read();
    expect(entries.at(-1)?.target).toBe(`t\u009b\u202e${HOSTILE}`);
  });
});

describe("config", () => {
  it("refuses control characters in model refs, aliases and profile ids", () => {
    for (const config of [
      { models: { default: `anthropic/x${HOSTILE}` } },
      { models: { aliases: { [`s${HOSTILE}`]: "anthropic/claude-sonnet-4-5" } } },
      { models: { allow: ["anthropic/\u202ex"] } },
      { auth: { order: { anthropic: [`anthropic:a${HOSTILE}`] } } },
    ]) {
      const parsed = ConfigSchema.safeParse(config);
      expect(parsed.success, JSON.stringify(config)).toBe(false);
      expect(parsed.error?.message).toContain("control or invisible characters");
    }
  });
});

describe("CLI", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await createSandbox();
  });
  afterEach(() => sb.cleanup());

  it("paste-api-key --profile-id with control characters is refused, shown escaped", async () => {
    const res = await sb.run(
      ["models", "auth", "paste-api-key", "--provider", "anthropic", "--profile-id", `anthropic:a${HOSTILE}`],
      { input: `${fakeSecret("sk-ant-api03-", 100)}\n` },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("contains control or invisible characters");
    expect(res.stderr).toContain("\\x1b]0;T\\x07");
    expect(res.stderr + res.stdout).not.toMatch(RAW_CONTROL);
    await expect(readFile(sb.profilesPath())).rejects.toThrow(/ENOENT/);
  });

  it("an unknown provider with control characters is echoed escaped", async () => {
    const res = await sb.run(["models", "auth", "paste-api-key", "--provider", `x${HOSTILE}`], {
      input: "k\n",
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("unknown provider");
    expect(res.stderr).not.toMatch(RAW_CONTROL);
    const get = await sb.run(["models", "auth", "order", "get", "--provider", `x${HOSTILE}`]);
    expect(get.stdout + get.stderr).not.toMatch(RAW_CONTROL);
  });

  it("every CLI error quoting typed input shows its control characters escaped", async () => {
    await sb.writeProfiles({
      "anthropic:a": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
    });
    const res = await sb.run(["models", "auth", "remove", `anthropic:x${HOSTILE}`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: /);
    expect(res.stderr + res.stdout).not.toMatch(RAW_CONTROL);
  });

  it("order set with a control character in an id is refused", async () => {
    await sb.writeProfiles({
      "anthropic:a": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
    });
    const res = await sb.run([
      "models",
      "auth",
      "order",
      "set",
      "--provider",
      "anthropic",
      `anthropic:a${HOSTILE}`,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("contains control or invisible characters");
    expect(res.stderr).not.toMatch(RAW_CONTROL);
  });

  it("import skips a source profile whose id holds control characters, and prints it escaped", async () => {
    const source = join(sb.root, "clawdbot");
    const file = join(source, "agents", "main", "agent", "auth-profiles.json");
    await mkdir(join(source, "agents", "main", "agent"), { recursive: true });
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        profiles: {
          [`anthropic:evil${HOSTILE}`]: {
            type: "api_key",
            provider: "anthropic",
            key: fakeSecret("sk-ant-api03-"),
          },
          "anthropic:good": { type: "api_key", provider: "anthropic", key: fakeSecret("sk-ant-api03-") },
        },
      }),
    );
    for (const args of [
      ["import", source, "--apply"],
      ["import", source, "--json"],
    ]) {
      const res = await sb.run(args);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout + res.stderr).not.toMatch(RAW_CONTROL);
      expect(res.stdout).toContain("control or invisible characters");
    }
    const store = await sb.readJson<{ profiles: Record<string, unknown> }>(sb.profilesPath());
    expect(Object.keys(store.profiles)).toEqual(["anthropic:good"]);
  });

  it("`tessera audit` shows hostile entries escaped, in text and JSON", async () => {
    // A line as an older version wrote it: JSON that decodes to raw control characters.
    await mkdir(sb.stateDir, { recursive: true });
    await writeFile(
      sb.auditPath,
      `${JSON.stringify({ ts: new Date().toISOString(), actor: "console:local", surface: "chat", action: "pin.set", target: `anthropic/x${HOSTILE}\u009b\u202e` })}\n`,
    );
    const text = await sb.run(["audit"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("anthropic/x\\x1b]0;T\\x07\\x1b[2J");
    expect(text.stdout).not.toMatch(RAW_CONTROL);
    const json = await sb.run(["audit", "--json"]);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json.stdout).entries[0].target).toBe(`anthropic/x${HOSTILE}\u009b\u202e`);
  });
});
