import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sessionFilePath } from "../../src/config/paths.js";
import { startOAuthFake } from "../fakes/anthropic-oauth-server.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { type CliResult, createSandbox, inHours, modeOf, type Sandbox } from "./models-harness.js";

/**
 * `tessera doctor` through the built CLI: what it finds, what `--fix` repairs (and proves by
 * re-checking), exit codes, JSON, and that it runs on an invalid config. Build first.
 */

interface DoctorJson {
  findings: {
    check: string;
    severity: string;
    what: string;
    fix: string;
    path?: string;
    autoFix: string | null;
  }[];
  fixed: { check: string; what: string; ok: boolean; result: string }[];
  failed: { check: string; what: string; ok: boolean; result: string }[];
  exitCode: number;
}

let sb: Sandbox;
let apiKey: string;

beforeEach(async () => {
  sb = await createSandbox();
  apiKey = fakeSecret("sk-ant-api03-", 100);
  await sb.writeConfig({ models: { default: "anthropic/claude-sonnet-4-5" } });
  await sb.writeProfiles({ "anthropic:default": { type: "api_key", provider: "anthropic", key: apiKey } });
});
afterEach(async () => {
  await sb.cleanup();
});

async function doctorJson(args: string[] = [], env?: Record<string, string>) {
  const result = await sb.run(["doctor", "--json", ...args], { env });
  if (!result.stdout.startsWith("{")) expect.fail(`doctor --json printed no JSON; stderr: ${result.stderr}`);
  return { result, json: JSON.parse(result.stdout) as DoctorJson };
}

function errorsOf(json: DoctorJson) {
  return json.findings.filter((f) => f.severity === "error");
}

function expectClean(result: CliResult, secrets: string[]) {
  expectNoSecretIn(result.stdout + result.stderr, secrets);
}

describe("tessera doctor", () => {
  it("exits 0 on a healthy setup and lists only information", async () => {
    const result = await sb.run(["doctor"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/0 errors, 0 warnings/);
    expectClean(result, [apiKey]);
    const { json } = await doctorJson();
    expect(json.exitCode).toBe(0);
    expect(json.findings.filter((f) => f.severity !== "info")).toEqual([]);
  });

  it("exits 1 when a configured model's provider has no credential", async () => {
    await sb.writeProfiles({});
    const { result, json } = await doctorJson();
    expect(result.code).toBe(1);
    expect(errorsOf(json).map((f) => f.what)).toEqual([expect.stringMatching(/^anthropic: no credential/)]);
    expect(errorsOf(json)[0]!.fix).toMatch(/tessera models auth paste-api-key --provider anthropic/);
  });

  it("finds a 0644 store and a 0755 dir, and --fix chmods them and proves it", async () => {
    const store = sb.profilesPath();
    await chmod(store, 0o644);
    await chmod(sb.agentDir(), 0o755);

    const before = await doctorJson();
    expect(before.result.code).toBe(1);
    const storeFinding = before.json.findings.find((f) => f.path === store && f.check === "file-modes");
    expect(storeFinding).toMatchObject({ severity: "error", autoFix: `chmod 0600 ${store}` });
    expect(storeFinding!.what).toMatch(/mode 0644, not 0600 \(group and others can read it\)/);
    const dirFinding = before.json.findings.find((f) => f.path === sb.agentDir());
    expect(dirFinding).toMatchObject({ severity: "warning", autoFix: `chmod 0700 ${sb.agentDir()}` });

    const text = await sb.run(["doctor", "--fix"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`fixed   chmod 0600 ${store} (was 0644)`);
    expect(text.stdout).toContain(`fixed   chmod 0700 ${sb.agentDir()} (was 0755)`);
    expectClean(text, [apiKey]);
    expect(await modeOf(store)).toBe(0o600);
    expect(await modeOf(sb.agentDir())).toBe(0o700);

    const after = await doctorJson();
    expect(after.result.code).toBe(0);
    expect(after.json.findings.filter((f) => f.check === "file-modes")).toEqual([]);
  });

  it("reports a store that does not parse without quoting it, and --fix moves it aside byte for byte", async () => {
    // Unquoted secret: V8's own parse error would echo part of it.
    const leaked = fakeSecret("sk-ant-api03-", 100);
    const garbage = `{"version": 1, "profiles": {"anthropic:x": {"type": "api_key", "key": ${leaked}}}}`;
    await writeFile(sb.profilesPath(), garbage, { mode: 0o644 });
    const env = { ANTHROPIC_API_KEY: fakeSecret("sk-ant-api03-", 100) };

    const before = await doctorJson([], env);
    expectClean(before.result, [leaked, env.ANTHROPIC_API_KEY]);
    expect(before.result.code).toBe(1);
    const corrupt = before.json.findings.find((f) => f.check === "corrupt-files");
    expect(corrupt).toMatchObject({ severity: "error", path: sb.profilesPath() });
    expect(corrupt!.what).toMatch(/is not valid JSON \(unexpected character/);
    expect(corrupt!.autoFix).toMatch(/move .* aside as .*\.corrupt-<time>/);

    const fixed = await sb.run(["doctor", "--fix"], { env });
    expectClean(fixed, [leaked, env.ANTHROPIC_API_KEY]);
    const names = await readdir(sb.agentDir());
    const moved = names.filter((n) =>
      /^auth-profiles\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/.test(n),
    );
    expect(moved).toHaveLength(1);
    expect(names).not.toContain("auth-profiles.json");
    const quarantined = join(sb.agentDir(), moved[0]!);
    expect(await readFile(quarantined, "utf8")).toBe(garbage);
    expect(await modeOf(quarantined)).toBe(0o600);
    expect(fixed.stdout).toContain(`moved ${sb.profilesPath()} to ${quarantined} (bytes unchanged)`);
    // The environment key keeps anthropic usable once the corrupt store is out of the way.
    expect(fixed.code).toBe(0);
  });

  it("moves aside a state file that parses but has the wrong layout", async () => {
    await sb.writeAuthState({ version: 1, usage: 5 });
    const before = await doctorJson();
    expect(before.result.code).toBe(1);
    expect(before.json.findings.find((f) => f.path === sb.authStatePath())!.what).toMatch(
      /does not have the expected layout \(usage: /,
    );
    const fixed = await doctorJson(["--fix"]);
    expect(fixed.result.code).toBe(0);
    expect(fixed.json.fixed.map((f) => f.result)).toEqual([
      expect.stringMatching(/^moved .*auth-state\.json to /),
    ]);
    expect((await readdir(sb.agentDir())).some((n) => n.startsWith("auth-state.json.corrupt-"))).toBe(true);
  });

  it("writes the legacy claude-cli mode back with --fix, keeping every other key as written", async () => {
    const config = {
      models: { default: "anthropic/claude-opus-4-5", aliases: { fast: "anthropic/claude-haiku-4-5" } },
      auth: {
        profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "token" } },
        warnWithin: "12h",
      },
    };
    await sb.writeConfig(config);
    const before = await doctorJson();
    expect(before.result.code).toBe(0); // legacy values work in memory: a warning, not an error
    const migration = before.json.findings.find((f) => f.check === "config");
    expect(migration).toMatchObject({ severity: "warning" });
    expect(migration!.what).toContain('auth.profiles["anthropic:claude-cli"].mode: "token" → "oauth"');

    const fixed = await doctorJson(["--fix"]);
    expect(fixed.json.fixed.map((f) => f.result)).toContainEqual(
      expect.stringMatching(/^wrote migrated config values to .*config\.json/),
    );
    const written = await sb.readJson(sb.configPath);
    expect(written).toEqual({
      ...config,
      auth: {
        ...config.auth,
        profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "oauth" } },
      },
    });
    expect(Object.keys(written)).toEqual(["models", "auth"]);
    expect((await doctorJson()).json.findings.filter((f) => f.check === "config")).toEqual([]);
  });

  it("clears a pin to a missing profile with --fix, keeping the model pin and the history", async () => {
    const sessionsPath = join(sb.stateDir, "agents", "main", "sessions", "sessions.json");
    const meta = { setBy: "telegram:42", setAt: 1_700_000_000_000, source: "user" };
    await mkdir(join(sb.stateDir, "agents", "main", "sessions"), { recursive: true, mode: 0o700 });
    await writeFile(
      sessionsPath,
      JSON.stringify({
        version: 1,
        sessions: {
          "telegram:dm:42": {
            createdAt: 1,
            updatedAt: 2,
            model: { ref: "anthropic/claude-opus-4-5", ...meta },
            profile: { id: "anthropic:gone", ...meta },
            history: [{ role: "user", content: "hello" }],
          },
          "telegram:dm:43": {
            createdAt: 1,
            updatedAt: 2,
            profile: { id: "anthropic:default", ...meta },
            history: [],
          },
        },
      }),
      { mode: 0o600 },
    );
    const before = await doctorJson();
    // The old single-file layout is known: its sessions are checked, and --fix migrates them.
    expect(before.json.findings.find((f) => f.check === "session-layout")).toMatchObject({
      severity: "warning",
      path: sessionsPath,
      autoFix: expect.stringMatching(/^migrate the 2 session\(s\) of .*sessions\.json to one file each/),
    });
    const pin = before.json.findings.find((f) => f.check === "session-pins");
    expect(pin).toMatchObject({
      severity: "warning",
      autoFix: "clear the profile pin anthropic:gone of session telegram:dm:42",
    });
    expect(before.json.findings.filter((f) => f.check === "session-pins")).toHaveLength(1);

    const fixed = await doctorJson(["--fix"]);
    expect(fixed.json.fixed.map((f) => f.result)).toEqual([
      `migrated 2 session(s) of agent main to one file each (2 written); the old file is kept as ${sessionsPath}.migrated`,
      "cleared the dangling pin anthropic:gone of session telegram:dm:42",
    ]);
    await expect(readFile(sessionsPath)).rejects.toMatchObject({ code: "ENOENT" });
    const fileOf = async (key: string) =>
      (await sb.readJson(sessionFilePath(sb.stateDir, "main", key))) as Record<string, unknown>;
    const sessions = {
      "telegram:dm:42": (await fileOf("telegram:dm:42")).session,
      "telegram:dm:43": (await fileOf("telegram:dm:43")).session,
    } as Record<string, Record<string, unknown>>;
    expect(sessions["telegram:dm:42"]!.profile).toBeUndefined();
    expect(sessions["telegram:dm:42"]!.model).toMatchObject({ ref: "anthropic/claude-opus-4-5" });
    expect(sessions["telegram:dm:42"]!.history).toEqual([{ role: "user", content: "hello" }]);
    expect(sessions["telegram:dm:43"]!.profile).toMatchObject({ id: "anthropic:default" });
    const audit = await readFile(sb.auditPath, "utf8");
    expect(audit).toMatch(/"surface":"doctor","action":"pin.clear".*anthropic:gone/);
    expect((await doctorJson()).json.findings.filter((f) => f.check === "session-pins")).toEqual([]);
  });

  it("runs on an invalid config and reports each problem as path: message", async () => {
    await writeFile(
      sb.configPath,
      JSON.stringify({ channels: { telegram: { allowFrom: [123] } }, colour: "blue" }),
      { mode: 0o600 },
    );
    const result = await sb.run(["doctor"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/error {4}config channels\.telegram\.allowFrom\.0: .*expected string/);
    expect(result.stdout).toMatch(/error {4}config colour: unknown key/);
    // The other checks still ran.
    expect(result.stdout).toContain("claude (Claude Code)");
    expectClean(result, [apiKey]);
    // Nothing here is safe to repair automatically: the error remains, and so does the file.
    const before = await readFile(sb.configPath, "utf8");
    const fixed = await sb.run(["doctor", "--fix"]);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain("nothing to repair automatically");
    expect(await readFile(sb.configPath, "utf8")).toBe(before);
  });

  it("moves a config that is not JSON aside with --fix, so the defaults apply again", async () => {
    const botToken = `123456789:${fakeSecret("", 35)}`;
    const text = `{"channels": {"telegram": {"botToken": ${botToken}}}}`;
    await writeFile(sb.configPath, text, { mode: 0o600 });
    const before = await doctorJson();
    expectClean(before.result, [botToken]);
    expect(before.result.code).toBe(1);
    expect(before.json.findings.find((f) => f.check === "config")!.what).toMatch(
      /is not usable: not valid JSON/,
    );
    const fixed = await doctorJson(["--fix"]);
    expectClean(fixed.result, [botToken]);
    expect(fixed.result.code).toBe(0);
    const moved = (await readdir(sb.stateDir)).filter((n) => n.startsWith("config.json.corrupt-"));
    expect(moved).toHaveLength(1);
    expect(await readFile(join(sb.stateDir, moved[0]!), "utf8")).toBe(text);
  });

  it("moves aside a config kept outside the state dir without touching that directory's mode", async () => {
    const ownDir = join(sb.root, "etc");
    await mkdir(ownDir);
    await chmod(ownDir, 0o755);
    const configPath = join(ownDir, "tessera.json");
    await writeFile(configPath, "{ torn", { mode: 0o600 });
    const fixed = await doctorJson(["--fix"], { TESSERA_CONFIG: configPath });
    expect(fixed.json.fixed.map((f) => f.result)).toContainEqual(
      expect.stringMatching(/^moved the unreadable config .*tessera\.json to .*tessera\.json\.corrupt-/),
    );
    expect(await modeOf(ownDir)).toBe(0o755);
    expect((await readdir(ownDir)).filter((n) => n.startsWith("tessera.json.corrupt-"))).toHaveLength(1);
  });

  it("reports an enabled channel without a token as an error, and is satisfied by .env", async () => {
    await sb.writeConfig({ channels: { telegram: { enabled: true, allowFrom: ["42"] } } });
    const before = await doctorJson();
    expect(before.result.code).toBe(1);
    expect(errorsOf(before.json)[0]!.what).toBe(
      "telegram is enabled but has no bot token (neither channels.telegram.botToken nor TELEGRAM_BOT_TOKEN)",
    );
    const token = `123456789:${fakeSecret("", 35)}`;
    await writeFile(join(sb.stateDir, ".env"), `TELEGRAM_BOT_TOKEN=${token}\n`, { mode: 0o600 });
    const after = await doctorJson();
    expectClean(after.result, [token]);
    expect(after.result.code).toBe(0);
    expect(after.json.findings.filter((f) => f.check === "channels")).toEqual([]);
  });

  it("refreshes a refreshable oauth credential with --fix against the token endpoint", async () => {
    const oauth = await startOAuthFake();
    try {
      const access = fakeSecret("sk-ant-oat01-", 100);
      const refresh = fakeSecret("sk-ant-ort01-", 100);
      oauth.addRefreshToken(refresh);
      await sb.writeConfig({ models: { providers: { anthropic: { oauthTokenUrl: oauth.tokenUrl } } } });
      await sb.writeProfiles({
        "anthropic:me": { type: "oauth", provider: "anthropic", access, refresh, expires: inHours(-1) },
      });
      const before = await doctorJson();
      const finding = before.json.findings.find((f) => f.check === "credentials");
      expect(finding).toMatchObject({
        severity: "info",
        autoFix: `refresh anthropic:me at ${oauth.tokenUrl}`,
      });
      expect(oauth.countCalls()).toBe(0); // checking alone never refreshes

      const fixed = await doctorJson(["--fix"]);
      expectClean(fixed.result, [
        access,
        refresh,
        ...oauth.issued.flatMap((t) => [t.accessToken, t.refreshToken]),
      ]);
      expect(fixed.result.code).toBe(0);
      expect(fixed.json.fixed.map((f) => f.result)).toEqual([
        expect.stringMatching(/^refreshed anthropic:me; expires in 7h/),
      ]);
      expect(oauth.countCalls("refresh_token")).toBe(1);
      const stored = (await sb.readJson(sb.profilesPath())).profiles as Record<
        string,
        Record<string, unknown>
      >;
      expect(stored["anthropic:me"]!.access).toBe(oauth.issued[0]!.accessToken);
      // Still inside the 24h warn window (the new token lives 8h), but a new token: the repair is proven.
      expect(fixed.json.findings.find((f) => f.check === "credentials")?.what).toMatch(/expires in 7h/);
    } finally {
      await oauth.close();
    }
  });

  it("reports a failed refresh as failed, not fixed, and keeps the error", async () => {
    const oauth = await startOAuthFake();
    try {
      const access = fakeSecret("sk-ant-oat01-", 100);
      const refresh = fakeSecret("sk-ant-ort01-", 100); // never registered: invalid_grant
      await sb.writeConfig({ models: { providers: { anthropic: { oauthTokenUrl: oauth.tokenUrl } } } });
      await sb.writeProfiles({
        "anthropic:default": { type: "api_key", provider: "anthropic", key: apiKey },
        "anthropic:me": { type: "oauth", provider: "anthropic", access, refresh, expires: inHours(-1) },
      });
      const fixed = await doctorJson(["--fix"]);
      expectClean(fixed.result, [access, refresh, apiKey]);
      expect(fixed.json.fixed).toEqual([]);
      expect(fixed.json.failed).toEqual([
        expect.objectContaining({
          check: "credentials",
          ok: false,
          result: expect.stringMatching(/invalid_grant/),
        }),
      ]);
      // Now marked needs-reauth: an error, with the command that fixes it.
      expect(fixed.json.findings.find((f) => f.severity === "error")?.fix).toMatch(/models auth login/);
    } finally {
      await oauth.close();
    }
  });

  it("flags stored profiles nobody can use and config metadata without a profile", async () => {
    await sb.writeConfig({
      auth: { profiles: { "anthropic:work": { provider: "anthropic", mode: "api_key" } } },
    });
    await sb.writeProfiles({
      "anthropic:default": { type: "api_key", provider: "anthropic", key: apiKey },
      "mistral:default": { type: "api_key", provider: "mistral", key: fakeSecret("ms-", 40) },
    });
    const { json } = await doctorJson();
    const whats = json.findings.filter((f) => f.check === "profiles").map((f) => f.what);
    expect(whats).toContain(
      'config auth.profiles["anthropic:work"] describes a profile that no agent stores',
    );
    expect(whats).toContain(
      "mistral:default is a mistral credential, a provider Tessera does not know; it is never used",
    );
  });

  it("syncs Claude Code's login like status does, and says when the user's own profile shadows it", async () => {
    const access = fakeSecret("sk-ant-oat01-", 100);
    const refresh = fakeSecret("sk-ant-ort01-", 100);
    await sb.writeClaudeCredentials({ accessToken: access, refreshToken: refresh, expiresAt: inHours(8) });
    const synced = await doctorJson();
    expectClean(synced.result, [access, refresh, apiKey]);
    expect(synced.json.findings.find((f) => f.check === "claude-code")?.what).toMatch(
      /^added anthropic:claude-cli \(oauth\) from Claude Code's login/,
    );
    expect((await sb.readJson(sb.profilesPath())).profiles).toHaveProperty(
      ["anthropic:claude-cli", "origin"],
      "claude-code",
    );

    const mine = fakeSecret("sk-ant-oat01-", 100);
    await sb.writeProfiles({
      "anthropic:default": { type: "api_key", provider: "anthropic", key: apiKey },
      "anthropic:claude-cli": { type: "token", provider: "anthropic", token: mine, origin: "user" },
    });
    const shadowed = await doctorJson();
    expectClean(shadowed.result, [access, refresh, apiKey, mine]);
    const finding = shadowed.json.findings.find((f) => f.check === "claude-code");
    expect(finding?.what).toMatch(
      /anthropic:claude-cli holds a credential you stored yourself; Claude Code's login .* is not used/,
    );
    expect(finding?.fix).toContain("tessera models auth remove anthropic:claude-cli --agent main");
  });

  it("leaves a healthy installation byte for byte as it was", async () => {
    const before = await readFile(sb.profilesPath(), "utf8");
    const mtime = (await stat(sb.profilesPath())).mtimeMs;
    await sb.run(["doctor", "--fix"]);
    expect(await readFile(sb.profilesPath(), "utf8")).toBe(before);
    expect((await stat(sb.profilesPath())).mtimeMs).toBe(mtime);
  });
});
