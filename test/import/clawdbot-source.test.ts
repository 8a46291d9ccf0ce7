import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scanClawdbotDir } from "../../src/import/clawdbot-source.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-scan-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(path: string, value: unknown) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), typeof value === "string" ? value : JSON.stringify(value));
}

const KEY = "sk-ant-api03-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";

describe("scanClawdbotDir", () => {
  it("reads the pre-multi-agent agent/ dir as main and credentials/oauth.json", async () => {
    await write("agent/auth.json", { anthropic: { type: "api_key", key: KEY } });
    await write("credentials/oauth.json", {
      anthropic: { access: "a".repeat(40), refresh: "r".repeat(40), expires: 1 },
    });
    const scan = await scanClawdbotDir(root);
    expect(scan.agents.map((a) => a.id)).toEqual(["main"]);
    expect(scan.profiles.map((p) => [p.file, p.profileId, p.type, p.problem])).toEqual([
      ["agent/auth.json", "anthropic:default", "api_key", undefined],
      ["credentials/oauth.json", "anthropic:default", "oauth", undefined],
    ]);
  });

  it("accepts an agent dir itself and takes its agent id from the path", async () => {
    const agentDir = join(root, "agents", "work", "agent");
    await write("agents/work/agent/auth-profiles.json", {
      version: 1,
      profiles: { "anthropic:w": { type: "api_key", provider: "anthropic", key: KEY } },
    });
    const scan = await scanClawdbotDir(agentDir);
    expect(scan.agents).toEqual([{ id: "work", dir: agentDir }]);
    expect(scan.profiles[0]).toMatchObject({
      sourceAgent: "work",
      profileId: "anthropic:w",
      file: "auth-profiles.json",
    });
  });

  it("normalizes providers and ids, keeps unknown fields, and renames order entries with them", async () => {
    await write("agents/main/agent/auth-profiles.json", {
      version: 1,
      profiles: {
        work: { type: "api_key", provider: "Anthropic", key: KEY, note: "kept" },
        "anthropic:claude-cli": { type: "token", provider: "anthropic", token: "t".repeat(90), expires: 5 },
      },
      order: { Anthropic: ["work", "anthropic:claude-cli", " "] },
    });
    const scan = await scanClawdbotDir(root);
    expect(scan.profiles.map((p) => p.profileId)).toEqual(["anthropic:work", "anthropic:claude-cli"]);
    expect(scan.profiles[0]!.credential).toMatchObject({
      provider: "anthropic",
      note: "kept",
      origin: "import",
    });
    // Claude Code's slot stays Claude Code's, so our own sync may keep updating it.
    expect(scan.profiles[1]!.credential).toMatchObject({ origin: "claude-code" });
    expect(scan.orders).toEqual([
      expect.objectContaining({ provider: "anthropic", ids: ["anthropic:work", "anthropic:claude-cli"] }),
    ]);
  });

  it("reports unreadable files and foreign layouts by reason, never by content", async () => {
    await write("agents/main/agent/auth-profiles.json", `{"profiles": {"x": ${KEY}}}`);
    await write("agents/main/agent/auth.json", { profiles: {}, cache: true });
    await write("agents/ops/agent/auth-profiles.json", {
      version: 1,
      profiles: { "openai:a": { type: "magic", provider: "openai" } },
    });
    const scan = await scanClawdbotDir(root);
    expect(scan.unreadable).toEqual([
      {
        file: "agents/main/agent/auth-profiles.json",
        problem: expect.stringMatching(/^is not valid JSON \(unexpected character/),
      },
      { file: "agents/main/agent/auth.json", problem: "is not the legacy provider-keyed layout (skipped)" },
    ]);
    expect(JSON.stringify(scan.unreadable)).not.toContain(KEY.slice(13, 30));
    expect(scan.profiles).toEqual([
      expect.objectContaining({
        sourceAgent: "ops",
        problem: expect.stringMatching(/^invalid entry: type: /),
      }),
    ]);
  });

  it("refuses a path that is not a directory", async () => {
    await expect(scanClawdbotDir(join(root, "missing"))).rejects.toThrow(/is not a directory/);
  });
});
