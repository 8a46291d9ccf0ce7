import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inspectConfig, loadConfig, objectAt, updateConfigFile } from "../../src/config/load.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { tesseraErrorOf } from "../support/errors.js";

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-config-"));
  path = join(dir, "config.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LEGACY = {
  models: { default: "anthropic/claude-opus-4-5" },
  auth: { profiles: { "anthropic:claude-cli": { provider: "anthropic", mode: "token" } } },
};

describe("loadConfig / inspectConfig", () => {
  it("treats a missing file as the defaults, without creating it", async () => {
    const { config, notices } = await loadConfig(path);
    expect(config).toEqual(ConfigSchema.parse({}));
    expect(notices).toEqual([]);
    const inspection = await inspectConfig(path);
    expect(inspection).toMatchObject({ exists: false, problems: [] });
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("loads a valid file with defaults filled in", async () => {
    await writeFile(path, JSON.stringify({ models: { default: "openai/gpt-5" } }));
    const { config } = await loadConfig(path);
    expect(config.models.default).toBe("openai/gpt-5");
    expect(config.agents.default).toBe("main");
  });

  it("stops on an invalid file with every problem as `path: message`, naming the file", async () => {
    await writeFile(path, JSON.stringify({ channels: { telegram: { allowFrom: [1], colour: "red" } } }));
    const err = await tesseraErrorOf(loadConfig(path));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/\n {2}channels\.telegram\.allowFrom\.0: .*expected string/);
    expect(err.message).toMatch(/\n {2}channels\.telegram\.colour: unknown key/);
    expect(err.hint).toMatch(/tessera doctor/);
    const inspection = await inspectConfig(path);
    expect(inspection.config).toBeUndefined();
    expect(inspection.problems).toHaveLength(2);
  });

  it("reports a file that is not JSON as a parse problem with the parser's reason", async () => {
    await writeFile(path, '{ "models": { "default": "anthropic/claude-opus-4-5", } }');
    const inspection = await inspectConfig(path);
    expect(inspection.unparsable).toBe(true);
    expect(inspection.problems).toEqual([expect.stringMatching(/^\(root\): not valid JSON: /)]);
    const err = await tesseraErrorOf(loadConfig(path));
    expect(err.code).toBe("CONFIG_PARSE");
    expect(err.message).toContain(path);
    expect(err.message).toContain("not valid JSON");
  });

  it("says an empty file is empty rather than quoting a JSON parser error", async () => {
    await writeFile(path, "  \n");
    const inspection = await inspectConfig(path);
    expect(inspection.problems).toEqual(["(root): the file is empty"]);
    expect((await tesseraErrorOf(loadConfig(path))).code).toBe("CONFIG_PARSE");
  });

  it("refuses JSON that is not an object", async () => {
    await writeFile(path, "[1, 2]");
    expect((await inspectConfig(path)).problems).toEqual(["(root): expected a JSON object"]);
    expect((await tesseraErrorOf(loadConfig(path))).code).toBe("CONFIG_INVALID");
  });
});

describe("legacy migration (auth.profiles[anthropic:claude-cli].mode token → oauth)", () => {
  it("migrates in memory with one one-line notice and leaves the file byte for byte", async () => {
    const text = `${JSON.stringify(LEGACY, null, 2)}\n`;
    await writeFile(path, text);
    const before = await stat(path);
    const { config, notices } = await loadConfig(path);
    expect(config.auth.profiles["anthropic:claude-cli"]?.mode).toBe("oauth");
    expect(notices).toHaveLength(1);
    expect(notices[0]).not.toContain("\n");
    expect(notices[0]).toContain('auth.profiles["anthropic:claude-cli"].mode');
    expect(notices[0]).toMatch(/"token" → "oauth"/);
    expect(await readFile(path, "utf8")).toBe(text);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it("keeps the raw (unmigrated) JSON for doctor --fix", async () => {
    await writeFile(path, JSON.stringify(LEGACY));
    const inspection = await inspectConfig(path);
    expect(inspection.config?.auth.profiles["anthropic:claude-cli"]?.mode).toBe("oauth");
    expect(inspection.raw).toEqual(LEGACY);
  });

  it("touches no other profile and gives no notice when nothing is legacy", async () => {
    await writeFile(
      path,
      JSON.stringify({
        auth: {
          profiles: {
            "anthropic:claude-cli": { provider: "anthropic", mode: "oauth" },
            "anthropic:manual": { provider: "anthropic", mode: "token" },
          },
        },
      }),
    );
    const { config, notices } = await loadConfig(path);
    expect(notices).toEqual([]);
    expect(config.auth.profiles["anthropic:manual"]?.mode).toBe("token");
  });

  it("still reports the notice when the same file has other problems", async () => {
    await writeFile(path, JSON.stringify({ ...LEGACY, extra: 1 }));
    const inspection = await inspectConfig(path);
    expect(inspection.notices).toHaveLength(1);
    expect(inspection.problems).toEqual(["extra: unknown key"]);
  });
});

describe("updateConfigFile", () => {
  const original = {
    models: { default: "anthropic/claude-sonnet-4-5", aliases: { fast: "anthropic/claude-haiku-4-5" } },
    channels: { telegram: { enabled: true, allowFrom: ["42"] } },
    agents: { list: [{ id: "main" }] },
  };

  it("changes only the touched key, keeping key order, other values and the indent", async () => {
    await writeFile(path, `${JSON.stringify(original, null, 4)}\n`);
    await updateConfigFile(path, (raw) => {
      objectAt(raw, "models").default = "openai/gpt-5";
    });
    const text = await readFile(path, "utf8");
    const expected = structuredClone(original);
    expected.models.default = "openai/gpt-5";
    expect(text).toBe(`${JSON.stringify(expected, null, 4)}\n`);
    // No defaults were written into the file.
    expect(JSON.parse(text).auth).toBeUndefined();
  });

  it("creates missing parents for a new key and returns the validated config", async () => {
    await writeFile(path, JSON.stringify(original, null, 2));
    const config = await updateConfigFile(path, (raw) => {
      objectAt(raw, "env", "shellEnv").enabled = true;
    });
    expect(config.env.shellEnv).toEqual({ enabled: true, timeoutMs: 15_000 });
    const raw = JSON.parse(await readFile(path, "utf8"));
    expect(Object.keys(raw)).toEqual(["models", "channels", "agents", "env"]);
    expect(raw.env).toEqual({ shellEnv: { enabled: true } });
  });

  it("refuses an edit that would make the config invalid and leaves the file as it was", async () => {
    const text = `${JSON.stringify(original, null, 2)}\n`;
    await writeFile(path, text);
    const err = await tesseraErrorOf(
      updateConfigFile(path, (raw) => {
        objectAt(raw, "channels", "telegram").allowFrom = [42];
      }),
    );
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toMatch(/channels\.telegram\.allowFrom\.0: /);
    expect(await readFile(path, "utf8")).toBe(text);
  });

  it("writes 0600, also over a file that was 0644", async () => {
    await writeFile(path, JSON.stringify(original), { mode: 0o644 });
    await chmod(path, 0o644);
    await updateConfigFile(path, (raw) => {
      objectAt(raw, "access").owners = ["telegram:42"];
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("leaves the mode of a directory outside the state dir alone ($TESSERA_CONFIG elsewhere)", async () => {
    const userDir = join(dir, "user-dir");
    await mkdir(userDir, { mode: 0o755 });
    await chmod(userDir, 0o755);
    const elsewhere = join(userDir, "tessera.json");
    await updateConfigFile(elsewhere, (raw) => objectAt(raw, "access"), { stateDir: join(dir, "state") });
    await updateConfigFile(
      elsewhere,
      (raw) => {
        objectAt(raw, "access").owners = ["telegram:42"];
      },
      { stateDir: join(dir, "state") },
    );
    expect((await stat(userDir)).mode & 0o777).toBe(0o755);
    expect((await stat(elsewhere)).mode & 0o777).toBe(0o600);
    // Inside the state dir the directory is private as always.
    await updateConfigFile(path, (raw) => objectAt(raw, "access"), { stateDir: dir });
    await chmod(dir, 0o755);
    await updateConfigFile(
      path,
      (raw) => {
        objectAt(raw, "access").owners = ["telegram:7"];
      },
      { stateDir: dir },
    );
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it("creates the file (0600) when there is none", async () => {
    await updateConfigFile(path, (raw) => {
      objectAt(raw, "models").default = "openrouter/openai/gpt-5";
    });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      models: { default: "openrouter/openai/gpt-5" },
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("does not rewrite (or reformat) the file when the edit changes nothing", async () => {
    const text = JSON.stringify(original); // one line: a rewrite would show
    await writeFile(path, text);
    await updateConfigFile(path, (raw) => {
      objectAt(raw, "models").default = "anthropic/claude-sonnet-4-5";
    });
    expect(await readFile(path, "utf8")).toBe(text);
  });

  it("validates an edit after the legacy migration, like a load, without writing the migration", async () => {
    await writeFile(path, JSON.stringify(LEGACY, null, 2));
    const config = await updateConfigFile(path, (raw) => {
      objectAt(raw, "auth").warnWithin = "12h";
    });
    expect(config.auth.profiles["anthropic:claude-cli"]?.mode).toBe("oauth");
    const raw = JSON.parse(await readFile(path, "utf8"));
    expect(raw.auth.warnWithin).toBe("12h");
    expect(raw.auth.profiles["anthropic:claude-cli"].mode).toBe("token");
  });

  it("loses no edit when several run at once", async () => {
    await writeFile(path, JSON.stringify(original, null, 2));
    const names = Array.from({ length: 10 }, (_, i) => `alias${i}`);
    await Promise.all(
      names.map((name) =>
        updateConfigFile(path, (raw) => {
          objectAt(raw, "models", "aliases")[name] = "anthropic/claude-opus-4-5";
        }),
      ),
    );
    const aliases = JSON.parse(await readFile(path, "utf8")).models.aliases;
    expect(Object.keys(aliases).sort()).toEqual(["fast", ...names].sort());
  });

  it("refuses to edit a file that is not JSON and leaves its bytes", async () => {
    const text = "{ not json";
    await writeFile(path, text);
    const err = await tesseraErrorOf(
      updateConfigFile(path, (raw) => {
        raw.models = {};
      }),
    );
    expect(err.code).toBe("CONFIG_PARSE");
    expect(err.message).toContain(path);
    expect(await readFile(path, "utf8")).toBe(text);
  });
});
