import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { isTesseraError, type TesseraError } from "../../src/errors.js";
import {
  loadSyncedAuth,
  openAgentServices,
  resolveAgentId,
  statusReportFor,
} from "../../src/runtime/services.js";
import { tesseraErrorOf } from "../support/errors.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

let stateDir: string;
/** A process env that points Claude Code at an empty temp dir, so the user's real one is never read. */
let processEnv: NodeJS.ProcessEnv;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "tessera-services-"));
  await mkdir(join(stateDir, "claude"));
  processEnv = { PATH: process.env.PATH, CLAUDE_CONFIG_DIR: join(stateDir, "claude") };
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

function caught(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (err) {
    if (isTesseraError(err)) return err;
    throw err;
  }
  throw new Error("expected a TesseraError");
}

const writeConfig = (raw: unknown, path = join(stateDir, "config.json")) =>
  writeFile(path, JSON.stringify(raw));

describe("resolveAgentId", () => {
  const config = ConfigSchema.parse({ agents: { default: "main", list: [{ id: "main" }, { id: "work" }] } });

  it("uses the configured default when no agent is asked for", () => {
    expect(resolveAgentId(config)).toBe("main");
    expect(resolveAgentId(ConfigSchema.parse({ agents: { default: "work", list: [{ id: "work" }] } }))).toBe(
      "work",
    );
  });

  it("accepts a configured agent", () => {
    expect(resolveAgentId(config, "work")).toBe("work");
  });

  it("refuses an unknown agent, naming the configured ones and the fix", () => {
    const err = caught(() => resolveAgentId(config, "play"));
    expect(err.code).toBe("AGENT_UNKNOWN");
    expect(err.message).toContain('"play"');
    expect(err.message).toContain("main, work");
    expect(err.hint).toContain('{ "id": "play" }');
    expect(err.hint).toContain("agents.list");
    expect(err.hint).toContain("--agent main");
  });

  it("never lets an agent id climb out of the state dir", () => {
    expect(caught(() => resolveAgentId(config, "../main")).code).toBe("AGENT_UNKNOWN");
  });
});

describe("openAgentServices", () => {
  it("opens the default agent of a state dir with no config at all", async () => {
    const services = await openAgentServices({ stateDir, processEnv });
    expect(services.paths).toEqual({
      stateDir,
      configPath: join(stateDir, "config.json"),
      envPath: join(stateDir, ".env"),
      auditPath: join(stateDir, "audit.jsonl"),
    });
    expect(services.agentId).toBe("main");
    expect(services.config).toEqual(ConfigSchema.parse({}));
    expect(services.store.path).toBe(join(stateDir, "agents", "main", "agent", "auth-profiles.json"));
    expect(services.audit.path).toBe(join(stateDir, "audit.jsonl"));
    expect(services.processEnv).toBe(processEnv);
  });

  it("writes nothing by opening", async () => {
    await writeConfig({ agents: { list: [{ id: "main" }] } });
    await openAgentServices({ stateDir, processEnv });
    expect((await readdir(stateDir)).sort()).toEqual(["claude", "config.json"]);
  });

  it("finds the state dir and config from TESSERA_STATE_DIR and TESSERA_CONFIG", async () => {
    const configPath = join(stateDir, "elsewhere.json");
    await writeConfig({ models: { default: "openai/gpt-5" } }, configPath);
    const services = await openAgentServices({
      processEnv: { ...processEnv, TESSERA_STATE_DIR: stateDir, TESSERA_CONFIG: configPath },
    });
    expect(services.paths.stateDir).toBe(stateDir);
    expect(services.paths.configPath).toBe(configPath);
    expect(services.config.models.default).toBe("openai/gpt-5");
  });

  it("opens the agent asked for, with its own store", async () => {
    await writeConfig({ agents: { default: "main", list: [{ id: "main" }, { id: "work" }] } });
    const services = await openAgentServices({ stateDir, processEnv, agent: "work" });
    expect(services.agentId).toBe("work");
    expect(services.store.path).toBe(join(stateDir, "agents", "work", "agent", "auth-profiles.json"));
  });

  it("refuses an unknown agent", async () => {
    const err = await tesseraErrorOf(openAgentServices({ stateDir, processEnv, agent: "nobody" }));
    expect(err.code).toBe("AGENT_UNKNOWN");
  });

  it("stops on an invalid config with its problems", async () => {
    await writeConfig({ models: { defualt: "x" } });
    const err = await tesseraErrorOf(openAgentServices({ stateDir, processEnv }));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain("models.defualt: unknown key");
  });

  it("carries the legacy-migration notices", async () => {
    await writeConfig({
      auth: { profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "token" } } },
    });
    const services = await openAgentServices({ stateDir, processEnv });
    expect(services.configNotices).toHaveLength(1);
    expect(services.config.auth.profiles["anthropic:claude-cli"]?.mode).toBe("oauth");
  });

  it("merges the environment: process env, then <state>/.env, then config env.vars", async () => {
    const apiKey = fakeSecret("sk-ant-api03-");
    await writeFile(join(stateDir, ".env"), `ANTHROPIC_API_KEY=${apiKey}\nOPENAI_API_KEY=from-dotenv\n`);
    await writeConfig({
      env: { vars: { OPENROUTER_API_KEY: "from-config", OPENAI_API_KEY: "from-config" } },
    });
    const services = await openAgentServices({
      stateDir,
      processEnv: { ...processEnv, OPENAI_API_KEY: "from-process" },
    });
    expect(services.env.get("ANTHROPIC_API_KEY")).toEqual({ value: apiKey, origin: "dotenv" });
    expect(services.env.get("OPENAI_API_KEY")).toEqual({ value: "from-process", origin: "process" });
    expect(services.env.get("OPENROUTER_API_KEY")).toEqual({ value: "from-config", origin: "config" });
  });
});

describe("statusReportFor", () => {
  it("builds the report for the agent as it is on disk, with no secret in it", async () => {
    const token = fakeSecret("sk-ant-oat01-", 100);
    const now = Date.UTC(2026, 0, 15, 12);
    const services = await openAgentServices({ stateDir, processEnv });
    await services.store.upsertProfile(
      "anthropic:manual",
      { type: "token", provider: "anthropic", token, expires: now + 3_600_000 },
      { actor: "test", surface: "test" },
    );
    const report = await statusReportFor(services, { now });
    expect(report).toMatchObject({
      agent: "main",
      storePath: services.store.path,
      configPath: services.paths.configPath,
    });
    expect(report.providers[0]).toMatchObject({ provider: "anthropic", next: "anthropic:manual" });
    expect(report.warnWithinMs).toBe(86_400_000);
    expect(report.check.exitCode).toBe(2);
    expectNoSecretIn(JSON.stringify(report), [token]);
    // --warn-within overrides auth.warnWithin
    expect((await statusReportFor(services, { now, warnWithin: "30m" })).check.exitCode).toBe(0);
  });

  it("refuses a bad --warn-within with the accepted forms", async () => {
    const services = await openAgentServices({ stateDir, processEnv });
    const err = await tesseraErrorOf(statusReportFor(services, { warnWithin: "soon" }));
    expect(err.code).toBe("DURATION_INVALID");
    expect(err.hint).toMatch(/24h|12h/);
  });
});

describe("loadSyncedAuth", () => {
  it("does nothing when auth.claudeCode.sync is off", async () => {
    await writeConfig({ auth: { claudeCode: { sync: false } } });
    await writeFile(
      join(stateDir, "claude", ".credentials.json"),
      JSON.stringify({
        claudeAiOauth: { accessToken: fakeSecret("sk-ant-oat01-", 100), expiresAt: Date.now() + 3_600_000 },
      }),
    );
    const services = await openAgentServices({ stateDir, processEnv });
    const { auth, claudeCode } = await loadSyncedAuth(services);
    expect(claudeCode).toEqual({ status: "disabled" });
    expect(auth.profiles.profiles).toEqual({});
  });

  it("reads Claude Code from $CLAUDE_CONFIG_DIR of the services' env", async () => {
    const services = await openAgentServices({ stateDir, processEnv });
    expect((await loadSyncedAuth(services)).claudeCode.status).toBe("absent");
    await writeFile(
      join(stateDir, "claude", ".credentials.json"),
      JSON.stringify({
        claudeAiOauth: {
          accessToken: fakeSecret("sk-ant-oat01-", 100),
          refreshToken: fakeSecret("sk-ant-ort01-"),
          expiresAt: Date.now() + 3_600_000,
        },
      }),
    );
    const loaded = await loadSyncedAuth(services);
    expect(loaded.claudeCode).toMatchObject({ status: "created", type: "oauth" });
    // The snapshot handed back already holds what the sync wrote.
    expect(loaded.auth.profiles.profiles["anthropic:claude-cli"]?.type).toBe("oauth");
  });

  it("reports an unreadable Claude Code file instead of throwing, and still returns the store", async () => {
    const services = await openAgentServices({ stateDir, processEnv });
    await writeFile(join(stateDir, "claude", ".credentials.json"), '{"claudeAiOauth": {');
    const loaded = await loadSyncedAuth(services);
    expect(loaded.claudeCode).toMatchObject({
      status: "error",
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(loaded.auth.profiles.profiles).toEqual({});
  });
});
