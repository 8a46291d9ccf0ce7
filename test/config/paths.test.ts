import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  agentDir,
  authProfilesPath,
  authStatePath,
  displayPath,
  expandHome,
  legacySessionsPath,
  resolveStatePaths,
  sessionFileHash,
  sessionFilePath,
  sessionsDir,
} from "../../src/config/paths.js";

describe("resolveStatePaths", () => {
  it("defaults to ~/.tessera and its config.json", () => {
    const paths = resolveStatePaths({}, {});
    expect(paths.stateDir).toBe(join(homedir(), ".tessera"));
    expect(paths.configPath).toBe(join(homedir(), ".tessera", "config.json"));
    expect(paths.envPath).toBe(join(homedir(), ".tessera", ".env"));
    expect(paths.auditPath).toBe(join(homedir(), ".tessera", "audit.jsonl"));
  });

  it("takes TESSERA_STATE_DIR and TESSERA_CONFIG, and explicit options over both", () => {
    const env = { TESSERA_STATE_DIR: "/srv/tessera", TESSERA_CONFIG: "/etc/tessera.json" };
    expect(resolveStatePaths({}, env)).toMatchObject({
      stateDir: "/srv/tessera",
      configPath: "/etc/tessera.json",
    });
    expect(resolveStatePaths({}, { TESSERA_STATE_DIR: "/srv/tessera" }).configPath).toBe(
      "/srv/tessera/config.json",
    );
    expect(resolveStatePaths({ stateDir: "/tmp/s", configPath: "/tmp/c.json" }, env)).toMatchObject({
      stateDir: "/tmp/s",
      configPath: "/tmp/c.json",
      envPath: "/tmp/s/.env",
    });
  });

  it("expands ~ and makes relative paths absolute", () => {
    expect(resolveStatePaths({ stateDir: "~/t" }, {}).stateDir).toBe(join(homedir(), "t"));
    expect(resolveStatePaths({ stateDir: "rel" }, {}).stateDir).toBe(join(process.cwd(), "rel"));
  });
});

describe("per-agent paths", () => {
  it("follow PRODUCT §2", () => {
    expect(agentDir("/s", "main")).toBe("/s/agents/main/agent");
    expect(authProfilesPath("/s", "work")).toBe("/s/agents/work/agent/auth-profiles.json");
    expect(authStatePath("/s", "work")).toBe("/s/agents/work/agent/auth-state.json");
    expect(sessionsDir("/s", "main")).toBe("/s/agents/main/sessions");
    expect(legacySessionsPath("/s", "main")).toBe("/s/agents/main/sessions/sessions.json");
  });

  it("put each session in sessions/<hh>/<hash>.json, named by the SHA-256 of its key", () => {
    const key = "agent:main:telegram:dm:42";
    const hash = sessionFileHash(key);
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(sessionFilePath("/s", "main", key)).toBe(
      `/s/agents/main/sessions/${hash.slice(0, 2)}/${hash}.json`,
    );
    // Keys people or platforms shape never shape the path.
    for (const odd of ["agent:main:discord:channel:../../x", "A/B", "a".repeat(5000), "__proto__"])
      expect(sessionFilePath("/s", "main", odd)).toMatch(
        /^\/s\/agents\/main\/sessions\/[0-9a-f]{2}\/[0-9a-f]{32}\.json$/,
      );
    expect(sessionFileHash("a")).not.toBe(sessionFileHash("A"));
  });
});

describe("home shortening and expansion", () => {
  it("round-trips paths under the home dir only", () => {
    expect(displayPath("/home/u/.tessera/config.json", "/home/u")).toBe("~/.tessera/config.json");
    expect(displayPath("/home/user2/x", "/home/u")).toBe("/home/user2/x");
    expect(expandHome("~/x", "/home/u")).toBe("/home/u/x");
    expect(expandHome("~", "/home/u")).toBe("/home/u");
    expect(expandHome("~other/x", "/home/u")).toBe("~other/x");
  });
});
