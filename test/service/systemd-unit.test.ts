import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GatewayServiceSpec } from "../../src/service/gateway-service-spec.js";
import {
  execArgWord,
  renderSystemdUnit,
  SYSTEMD_UNIT_NAME,
  unitWord,
} from "../../src/service/systemd-unit.js";
import { HAS_SYSTEMD_ANALYZE, systemdVerify } from "./system-tools.js";

const spec: GatewayServiceSpec = {
  nodePath: "/usr/bin/node",
  binPath: "/opt/tessera/bin/tessera.js",
  stateDir: "/home/alice/.tessera",
};

const lines = (text: string) => text.split("\n");

describe("renderSystemdUnit", () => {
  it("renders a user unit with every field an operator expects, marker first", () => {
    const unit = renderSystemdUnit(spec);
    expect(lines(unit)[0]).toBe(
      "# Written by tessera gateway install; tessera gateway uninstall removes it.",
    );
    for (const line of [
      "[Unit]",
      "Description=Tessera chat gateway (Telegram/Discord)",
      "StartLimitIntervalSec=300",
      "StartLimitBurst=5",
      "[Service]",
      "Type=simple",
      "ExecStart=/usr/bin/node /opt/tessera/bin/tessera.js gateway",
      "Environment=TESSERA_STATE_DIR=/home/alice/.tessera",
      "ExecReload=/bin/kill -HUP $MAINPID",
      "Restart=on-failure",
      "RestartSec=5",
      "TimeoutStopSec=30",
      "KillSignal=SIGTERM",
      "[Install]",
      "WantedBy=default.target",
    ])
      expect(lines(unit)).toContain(line);
    expect(unit).not.toMatch(/^(User|Group|EnvironmentFile)=/m);
    // The user manager has no network-online.target: naming it would wait for nothing.
    expect(unit).not.toContain("network-online.target");
    expect(unit).not.toContain("TESSERA_CONFIG");
    // Longer than the gateway's 10 s grace for answers in flight.
    expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1])).toBeGreaterThan(10);
    expect(unit.endsWith("\n")).toBe(true);
  });

  it("adds TESSERA_CONFIG for a config elsewhere, and User=/Group= with multi-user.target for a system unit", () => {
    const unit = renderSystemdUnit({
      ...spec,
      configPath: "/etc/tessera/config.json",
      runAs: { uid: 1000, gid: 1001 },
    });
    expect(lines(unit)).toEqual(
      expect.arrayContaining([
        "Environment=TESSERA_CONFIG=/etc/tessera/config.json",
        "User=1000",
        "Group=1001",
        "WantedBy=multi-user.target",
        "After=network-online.target",
        "Wants=network-online.target",
      ]),
    );
    expect(unit).not.toContain("WantedBy=default.target");
  });

  it("is deterministic: the same spec renders the same bytes", () => {
    expect(renderSystemdUnit({ ...spec })).toBe(renderSystemdUnit({ ...spec }));
  });

  it("quotes words with spaces, doubles % everywhere and $ in ExecStart arguments only", () => {
    const unit = renderSystemdUnit({
      nodePath: "/opt/my node/50%/node",
      binPath: '/opt/t$x/a "b"\\c/bin/tessera.js',
      stateDir: "/srv/state 100% $HOME",
    });
    expect(lines(unit)).toContain(
      'ExecStart="/opt/my node/50%%/node" "/opt/t$$x/a \\"b\\"\\\\c/bin/tessera.js" gateway',
    );
    // Environment= has no $ expansion, so $ stays single.
    expect(lines(unit)).toContain('Environment="TESSERA_STATE_DIR=/srv/state 100%% $HOME"');
    expect(unitWord("plain/path")).toBe("plain/path");
    expect(unitWord("")).toBe('""');
    expect(execArgWord("a$b")).toBe("a$$b");
  });
});

describe.skipIf(!HAS_SYSTEMD_ANALYZE)(
  "systemd-analyze verify (skipped where systemd-analyze is not installed)",
  () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "tessera-unit-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** A directory whose name has a space, `%` and `$`, holding a link to this node. */
    async function oddNode(): Promise<string> {
      const odd = join(dir, "my node 100%$x");
      await mkdir(odd);
      await symlink(process.execPath, join(odd, "node"));
      return join(odd, "node");
    }

    async function verify(text: string) {
      const path = join(dir, SYSTEMD_UNIT_NAME);
      await writeFile(path, text);
      return systemdVerify(path);
    }

    it("accepts the user and the system unit, with odd characters in every path", async () => {
      const odd = {
        nodePath: await oddNode(),
        binPath: join(dir, "a $b%c/bin/tessera.js"),
        stateDir: join(dir, "st ate%$"),
      };
      for (const unit of [renderSystemdUnit(odd), renderSystemdUnit({ ...odd, runAs: { uid: 0, gid: 0 } })]) {
        const result = await verify(unit);
        expect(result.output).toBe("");
        expect(result.status).toBe(0);
      }
    });

    it("fails on a wrongly escaped ExecStart (so the check above can fail)", async () => {
      const node = await oddNode();
      const unit = renderSystemdUnit({ ...spec, nodePath: node }).replace(
        unitWord(node),
        node.replace("%", "%%"),
      );
      const result = await verify(unit);
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/not executable|No such file/);
    });
  },
);
