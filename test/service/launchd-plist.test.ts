import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GatewayServiceSpec } from "../../src/service/gateway-service-spec.js";
import { LAUNCHD_LABEL, renderLaunchdPlist, xmlText } from "../../src/service/launchd-plist.js";
import { isTesseraServiceFile } from "../../src/service/service-marker.js";
import { HAS_PLISTLIB, HAS_PLUTIL, parsePlist } from "./system-tools.js";

/** Paths with every character XML gives a meaning to. */
const nasty: GatewayServiceSpec = {
  nodePath: "/Users/a&b/<node>/bin/node",
  binPath: `/Users/a&b/"tessera's"/bin/tessera.js`,
  stateDir: "/Users/a&b/state <&> ]]> %$",
  configPath: "/Users/a&b/conf'ig.json",
};

describe("renderLaunchdPlist", () => {
  it("escapes &, <, >, quotes in every string, leaving no bare markup characters in text", () => {
    const plist = renderLaunchdPlist(nasty);
    expect(plist).toContain("<string>/Users/a&amp;b/&lt;node&gt;/bin/node</string>");
    expect(plist).toContain("<string>/Users/a&amp;b/&quot;tessera&apos;s&quot;/bin/tessera.js</string>");
    for (const [, text] of plist.matchAll(/<(?:string|key)>(.*?)<\/(?:string|key)>/g))
      expect(text).toMatch(/^(?:[^<>&"']|&(?:amp|lt|gt|quot|apos);)*$/);
    expect(xmlText(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    expect(isTesseraServiceFile(plist)).toBe(true);
  });

  it.skipIf(!HAS_PLISTLIB)(
    "parses back to exactly the spec (Python plistlib; skipped without python3)",
    () => {
      const parsed = parsePlist(renderLaunchdPlist(nasty));
      expect(parsed).toEqual({
        Label: LAUNCHD_LABEL,
        ProgramArguments: [nasty.nodePath, nasty.binPath, "gateway"],
        EnvironmentVariables: { TESSERA_STATE_DIR: nasty.stateDir, TESSERA_CONFIG: nasty.configPath },
        RunAtLoad: true,
        KeepAlive: { SuccessfulExit: false },
        ThrottleInterval: 5,
        ExitTimeOut: 30,
        StandardOutPath: `${nasty.stateDir}/gateway.out.log`,
        StandardErrorPath: `${nasty.stateDir}/gateway.err.log`,
      });
    },
  );

  it.skipIf(!HAS_PLISTLIB)(
    "a plist with an unescaped & is refused by the same parser (so the check can fail)",
    () => {
      const broken = renderLaunchdPlist(nasty).replace("a&amp;b", "a&b");
      expect(() => parsePlist(broken)).toThrow(
        /plistlib refused the plist.*(not well-formed|ExpatError|InvalidFileException)/s,
      );
    },
  );

  it.skipIf(!HAS_PLUTIL)("passes plutil -lint (skipped: plutil is macOS only)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tessera-plist-"));
    try {
      const path = join(dir, `${LAUNCHD_LABEL}.plist`);
      await writeFile(path, renderLaunchdPlist(nasty));
      const result = spawnSync("plutil", ["-lint", path], { encoding: "utf8" });
      expect(result.stdout + result.stderr).toContain("OK");
      expect(result.status).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
