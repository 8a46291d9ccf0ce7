import { spawnSync } from "node:child_process";
import {
  chmod,
  chown,
  mkdir,
  readFile,
  realpath,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliContext } from "../../src/cli/cli-context.js";
import { runGatewayInstall, runGatewayUninstall } from "../../src/cli/gateway-service-command.js";
import { HAS_PLISTLIB, HAS_SYSTEMD_ANALYZE, parsePlist, systemdVerify } from "../service/system-tools.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";
import { CLI, createSandbox, modeOf, type Sandbox } from "./models-harness.js";

/**
 * `tessera gateway install` / `uninstall` through the built CLI, with a temp HOME and
 * XDG_CONFIG_HOME: nothing of the real user's systemd directory is read or written, and no
 * systemctl runs (the commands are only printed). The launchd path runs in-process with the
 * platform passed as "darwin".
 */

let sb: Sandbox;
let xdg: string;
let unitPath: string;
let stateDir: string;
beforeEach(async () => {
  sb = await createSandbox();
  await mkdir(sb.stateDir, { recursive: true, mode: 0o700 });
  stateDir = await realpath(sb.stateDir);
  xdg = join(sb.root, "xdg");
  unitPath = join(xdg, "systemd", "user", "tessera-gateway.service");
});
afterEach(async () => {
  await sb.cleanup();
});

const run = (args: string[], env: Record<string, string> = {}) =>
  sb.run(args, { env: { XDG_CONFIG_HOME: xdg, ...env } });

/** The conventional uid/gid of `nobody`, for a child process that must not be root. */
const NOBODY = 65534;

const SECRETS = {
  TELEGRAM_BOT_TOKEN: `123456:${fakeSecret("AAH", 35)}`,
  DISCORD_BOT_TOKEN: fakeSecret("MTA", 70),
  ANTHROPIC_API_KEY: fakeSecret("sk-ant-api03-"),
  OPENAI_API_KEY: fakeSecret("sk-proj-"),
  MY_OWN_SECRET: fakeSecret("zz-"),
};

describe("tessera gateway --help", () => {
  it("lists install and uninstall beside the gateway's own options (tessera gateway alone runs the gateway: test/e2e/gateway.test.ts)", async () => {
    const help = await run(["gateway", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}--log-level <level>/m);
    expect(help.stdout).toMatch(/^ {2}install \[options\] +Write a service that runs the gateway/m);
    expect(help.stdout).toMatch(/^ {2}uninstall \[options\] +Remove the service file/m);
    const install = await run(["gateway", "install", "--help"]);
    expect(install.stdout).toMatch(/--print +write the unit \(or plist\) to stdout and change nothing/);
    expect(install.stdout).toContain("--system");
  });
});

describe("tessera gateway install --print", () => {
  it("prints a complete unit that names no secret, and writes nothing", async () => {
    await writeFile(
      join(sb.stateDir, ".env"),
      Object.entries(SECRETS)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
      { mode: 0o600 },
    );
    const result = await run(["gateway", "install", "--print"], SECRETS);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const unit = result.stdout;
    const lines = unit.split("\n");
    for (const line of [
      "# Written by tessera gateway install; tessera gateway uninstall removes it.",
      "Description=Tessera chat gateway (Telegram/Discord)",
      "StartLimitIntervalSec=300",
      "StartLimitBurst=5",
      "Type=simple",
      `ExecStart=${process.execPath} ${CLI} gateway`,
      `Environment=TESSERA_STATE_DIR=${stateDir}`,
      "ExecReload=/bin/kill -HUP $MAINPID",
      "Restart=on-failure",
      "RestartSec=5",
      "TimeoutStopSec=30",
      "KillSignal=SIGTERM",
      "WantedBy=default.target",
    ])
      expect(lines).toContain(line);
    expect(unit).not.toContain("TESSERA_CONFIG");
    expect(unit).not.toMatch(/EnvironmentFile|TOKEN|API_KEY|MY_OWN_SECRET/);
    expectNoSecretIn(unit, Object.values(SECRETS));
    await expect(stat(join(xdg, "systemd"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.skipIf(!HAS_SYSTEMD_ANALYZE)(
    "prints a unit that systemd-analyze verify accepts (skipped where systemd-analyze is not installed)",
    async () => {
      const result = await run(["gateway", "install", "--print"]);
      const path = join(sb.root, "tessera-gateway.service");
      await writeFile(path, result.stdout);
      expect(systemdVerify(path)).toEqual({ status: 0, output: "" });
    },
  );

  it("sets TESSERA_CONFIG for a config outside the state dir", async () => {
    const config = join(sb.root, "elsewhere", "tessera.json");
    const result = await run(["--config", config, "gateway", "install", "--print"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toContain(`Environment=TESSERA_CONFIG=${config}`);
  });

  it("--system: runs as the state dir's owner and is wanted by multi-user.target", async () => {
    const owner = await stat(sb.stateDir);
    const result = await run(["gateway", "install", "--print", "--system"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toEqual(
      expect.arrayContaining([`User=${owner.uid}`, `Group=${owner.gid}`, "WantedBy=multi-user.target"]),
    );
  });
});

describe("tessera gateway install", () => {
  it("writes the unit 0644 and prints the commands to enable it; a re-run changes nothing", async () => {
    const first = await run(["gateway", "install"]);
    expect(first.stderr).toBe(
      `note: XDG_CONFIG_HOME is set, so the unit went to ${join(xdg, "systemd", "user")}; systemd reads that directory only if its user manager has the same XDG_CONFIG_HOME (check: systemctl --user show-environment)\n`,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`wrote ${unitPath}\n`);
    expect(first.stdout).toContain("  systemctl --user enable --now tessera-gateway\n");
    expect(first.stdout).toMatch(/^ {2}loginctl enable-linger \S+$/m);
    expect(first.stdout).toContain("  journalctl --user -u tessera-gateway -f\n");
    expect(await modeOf(unitPath)).toBe(0o644);
    const printed = await run(["gateway", "install", "--print"]);
    expect(await readFile(unitPath, "utf8")).toBe(printed.stdout);

    const longAgo = new Date("2021-05-06T07:08:09Z");
    await utimes(unitPath, longAgo, longAgo);
    const again = await run(["gateway", "install"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`unchanged: ${unitPath} already holds this service; nothing was written`);
    expect((await stat(unitPath)).mtimeMs).toBe(longAgo.getTime());
  });

  it("updates the unit when the state dir changed, and says to reload systemd", async () => {
    await run(["gateway", "install"]);
    const moved = join(sb.root, "moved-state");
    await mkdir(moved, { mode: 0o700 });
    const result = await run(["gateway", "install"], { TESSERA_STATE_DIR: moved });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`updated ${unitPath}\n`);
    expect(result.stdout).toContain(
      "  systemctl --user daemon-reload\n  systemctl --user restart tessera-gateway\n",
    );
    const unit = await readFile(unitPath, "utf8");
    expect(unit).toContain(`Environment=TESSERA_STATE_DIR=${moved}\n`);
    expect(unit).not.toContain(stateDir);
    expect(await modeOf(unitPath)).toBe(0o644);
  });

  it("without XDG_CONFIG_HOME writes to ~/.config/systemd/user, and notes a state dir not set up yet", async () => {
    await rm(sb.stateDir, { recursive: true });
    const result = await sb.run(["gateway", "install"]);
    expect(result.code).toBe(0);
    const path = join(sb.home, ".config", "systemd", "user", "tessera-gateway.service");
    expect(result.stdout).toContain(`wrote ${path}`);
    expect(result.stderr).toContain(
      `note: the state dir ${sb.stateDir} does not exist yet; set Tessera up before starting the service: tessera --state-dir ${sb.stateDir} onboard`,
    );
    expect(await modeOf(path)).toBe(0o644);
  });

  it("refuses to overwrite a unit it did not write", async () => {
    await mkdir(join(xdg, "systemd", "user"), { recursive: true });
    await writeFile(unitPath, "[Service]\nExecStart=/usr/bin/other\n");
    const result = await run(["gateway", "install"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${unitPath} was not written by tessera gateway install`);
    expect(result.stderr).toContain(`  fix: move it aside (mv ${unitPath} ${unitPath}.bak)`);
    expect(await readFile(unitPath, "utf8")).toBe("[Service]\nExecStart=/usr/bin/other\n");
  });

  it("refuses a group-writable state dir and a relative XDG_CONFIG_HOME, saying how to fix each", async () => {
    const shared = join(sb.root, "shared");
    await mkdir(join(shared, "state"), { recursive: true, mode: 0o700 });
    await chmod(shared, 0o770);
    const unsafe = await run(["gateway", "install"], { TESSERA_STATE_DIR: join(shared, "state") });
    expect(unsafe.code).toBe(1);
    expect(unsafe.stderr).toContain(`is writable by its group (mode 0770)`);
    expect(unsafe.stderr).toContain(`  fix: chmod go-w ${shared}, then run tessera gateway install again`);
    const relative = await run(["gateway", "install"], { XDG_CONFIG_HOME: "rel" });
    expect(relative.code).toBe(1);
    expect(relative.stderr).toContain("error: XDG_CONFIG_HOME is a relative path (rel)");
    expect(relative.stderr).toContain("  fix: set XDG_CONFIG_HOME to an absolute path");
    await expect(stat(join(xdg, "systemd"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("tessera gateway install --system as a user other than root", () => {
  it("refuses, changes nothing, and gives the sudo line with this install and the resolved state dir", async () => {
    // A real child process that is not root: as root (CI) it runs as nobody, else as whoever runs the tests.
    const asRoot = process.getuid?.() === 0;
    const open = join(sb.root, "open");
    const state = join(open, "state dir");
    await mkdir(state, { recursive: true, mode: 0o700 });
    await chmod(sb.root, 0o755);
    await chmod(open, 0o755);
    if (asRoot) await chown(state, NOBODY, NOBODY);
    const result = spawnSync(process.execPath, [CLI, "gateway", "install", "--system"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: open, TESSERA_STATE_DIR: state },
      encoding: "utf8",
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "error: --system writes /etc/systemd/system/tessera-gateway.service, which only root may do; nothing was changed",
    );
    expect(result.stderr).toContain(
      `  fix: sudo ${process.execPath} ${CLI} --state-dir '${state}' gateway install --system (or leave out --system for a user unit)`,
    );
  });
});

describe("tessera gateway uninstall", () => {
  it("removes its unit and prints the commands that stop it; with nothing installed it says so", async () => {
    await run(["gateway", "install"]);
    const result = await run(["gateway", "uninstall"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`removed ${unitPath}\n`);
    expect(result.stdout).toContain(
      "  systemctl --user stop tessera-gateway\n  systemctl --user daemon-reload\n",
    );
    await expect(stat(unitPath)).rejects.toMatchObject({ code: "ENOENT" });
    const again = await run(["gateway", "uninstall"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `nothing to remove: there is no ${unitPath} (tessera gateway install writes it)\n`,
    );
  });

  it("refuses a unit it did not write, enabled or not (not 'disable it first')", async () => {
    await mkdir(join(xdg, "systemd", "user", "default.target.wants"), { recursive: true });
    await writeFile(unitPath, "[Service]\nExecStart=/usr/bin/other\n");
    await symlink(unitPath, join(xdg, "systemd", "user", "default.target.wants", "tessera-gateway.service"));
    const result = await run(["gateway", "uninstall"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${unitPath} was not written by tessera gateway install`);
    expect(result.stderr).toContain("  fix: it is not Tessera's to delete");
    expect(await readFile(unitPath, "utf8")).toContain("/usr/bin/other");
  });

  it("refuses while the unit is enabled, and says to disable it first", async () => {
    await run(["gateway", "install"]);
    const wants = join(xdg, "systemd", "user", "default.target.wants");
    await mkdir(wants);
    await symlink(unitPath, join(wants, "tessera-gateway.service"));
    const result = await run(["gateway", "uninstall"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: tessera-gateway is still enabled");
    expect(result.stderr).toContain(
      "  fix: systemctl --user disable --now tessera-gateway && tessera gateway uninstall\n",
    );
    expect(await modeOf(unitPath)).toBe(0o644);
  });
});

describe("tessera gateway install / uninstall on macOS (in-process, platform darwin)", () => {
  function context(): { ctx: CliContext; out: () => string; err: () => string } {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const ctx: CliContext = {
      globals: { stateDir: sb.stateDir },
      stdin: new PassThrough(),
      stdout,
      stderr,
      env: { HOME: sb.home },
      color: false,
    };
    return { ctx, out: () => out, err: () => err };
  }

  it("writes a LaunchAgent 0644, prints the launchctl line, and removes it again", async () => {
    const plistPath = join(sb.home, "Library", "LaunchAgents", "dev.tessera.gateway.plist");
    const install = context();
    expect(await runGatewayInstall(install.ctx, {}, "darwin")).toBe(0);
    expect(install.out()).toContain(`wrote ${plistPath}\n`);
    expect(install.out()).toContain(`  launchctl bootstrap gui/$(id -u) ${plistPath}\n`);
    expect(install.out()).toContain(`  tail -f ${stateDir}/gateway.err.log\n`);
    expect(install.out()).not.toContain("loginctl");
    expect(await modeOf(plistPath)).toBe(0o644);
    const text = await readFile(plistPath, "utf8");
    expect(text).toContain(`<string>${stateDir}</string>`);
    if (HAS_PLISTLIB)
      expect(parsePlist(text)).toMatchObject({ ProgramArguments: [process.execPath, CLI, "gateway"] });

    const again = context();
    await runGatewayInstall(again.ctx, {}, "darwin");
    expect(again.out()).toContain(`unchanged: ${plistPath}`);

    const uninstall = context();
    expect(await runGatewayUninstall(uninstall.ctx, {}, "darwin")).toBe(0);
    expect(uninstall.out()).toContain(`removed ${plistPath}\n`);
    expect(uninstall.out()).toContain("  launchctl bootout gui/$(id -u)/dev.tessera.gateway\n");
    await expect(stat(plistPath)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
