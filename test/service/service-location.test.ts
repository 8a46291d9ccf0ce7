import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { serviceLocation } from "../../src/service/service-location.js";

const at = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv, system = false) =>
  serviceLocation({ platform, system, env });

describe("serviceLocation", () => {
  it("puts a user unit in $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user", () => {
    expect(at("linux", { HOME: "/home/a", XDG_CONFIG_HOME: "/cfg" })).toEqual({
      manager: "systemd-user",
      dir: "/cfg/systemd/user",
      path: "/cfg/systemd/user/tessera-gateway.service",
    });
    expect(at("linux", { HOME: "/home/a" }).path).toBe(
      "/home/a/.config/systemd/user/tessera-gateway.service",
    );
    // Empty counts as unset (XDG base directory spec).
    expect(at("linux", { HOME: "/home/a", XDG_CONFIG_HOME: "" }).dir).toBe("/home/a/.config/systemd/user");
    expect(at("linux", {}).dir).toBe(`${homedir()}/.config/systemd/user`);
  });

  it("refuses a relative XDG_CONFIG_HOME, which systemd would ignore", () => {
    expect(() => at("linux", { HOME: "/home/a", XDG_CONFIG_HOME: "cfg" })).toThrow(
      /XDG_CONFIG_HOME is a relative path \(cfg\); systemd ignores/,
    );
  });

  it("puts a system unit in /etc/systemd/system", () => {
    expect(at("linux", { HOME: "/root", XDG_CONFIG_HOME: "/cfg" }, true)).toEqual({
      manager: "systemd-system",
      dir: "/etc/systemd/system",
      path: "/etc/systemd/system/tessera-gateway.service",
    });
  });

  it("puts a LaunchAgent in ~/Library/LaunchAgents on macOS, where --system is refused", () => {
    expect(at("darwin", { HOME: "/Users/a" })).toEqual({
      manager: "launchd",
      dir: "/Users/a/Library/LaunchAgents",
      path: "/Users/a/Library/LaunchAgents/dev.tessera.gateway.plist",
    });
    expect(() => at("darwin", { HOME: "/Users/a" }, true)).toThrow(/--system is for systemd/);
  });

  it("names the platform it cannot serve", () => {
    expect(() => at("win32", {})).toThrow("supports systemd (Linux) and launchd (macOS), not win32");
  });
});
