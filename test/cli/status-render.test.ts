import { describe, expect, it } from "vitest";
import type { StatusReport } from "../../src/auth/status-report.js";
import { alignRows, painter, renderStatusText } from "../../src/cli/status-render.js";
import { byCodePoint } from "../../src/code-point-order.js";

const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

function report(): StatusReport {
  return {
    configPath: "/home/u/.tessera/config.json",
    agent: "main",
    storePath: "/home/u/.tessera/agents/main/agent/auth-profiles.json",
    defaultModel: "anthropic/claude-sonnet-4-5",
    aliases: { sonnet: "anthropic/claude-sonnet-4-5", haiku: "anthropic/claude-haiku-4-5" },
    warnWithinMs: 86_400_000,
    shellEnv: { enabled: true, imported: ["OPENAI_API_KEY"] },
    providers: [
      {
        provider: "anthropic",
        endpoint: "https://api.anthropic.com/v1/messages",
        inUse: true,
        usedBy: ["anthropic/claude-sonnet-4-5"],
        next: "anthropic:work",
        nextReason: "first usable by default order",
        failover: true,
        orderSource: "default",
        profiles: [
          {
            id: "anthropic:work",
            type: "oauth",
            state: "refreshable",
            reason: "access token expired 1h ago; refreshes itself on use",
            expiresAt: 1,
            expires: "expired 1h ago",
            source: "store",
            masked: "…abcd #123456",
            fingerprint: "#123456",
            next: true,
            usable: true,
            pinned: false,
          },
          {
            id: "anthropic:old",
            type: "token",
            state: "expired",
            reason: "expired 2d ago; static credentials cannot refresh",
            expiresAt: 1,
            expires: "expired 2d ago",
            source: "store",
            masked: "…wxyz #abcdef",
            fingerprint: "#abcdef",
            next: false,
            usable: false,
            pinned: false,
          },
        ],
        excluded: [],
        pinProblem: null,
      },
    ],
    problems: [
      { severity: "info", what: "anthropic:x: rate limited", fix: "none needed" },
      {
        severity: "error",
        what: "anthropic:old: static token expired 2d ago",
        fix: "run `claude setup-token` …",
        exit: 1,
      },
    ],
    check: { exitCode: 1, reasons: ["anthropic:old: static token expired 2d ago"] },
  };
}

describe("renderStatusText", () => {
  it("shortens paths under HOME, sorts aliases and lists errors before info", () => {
    const text = renderStatusText(report(), { color: false, home: "/home/u", claudeCode: "absent" });
    expect(text).toMatch(/^Config +~\/\.tessera\/config\.json$/m);
    expect(text).toMatch(
      /^Aliases +haiku → anthropic\/claude-haiku-4-5, sonnet → anthropic\/claude-sonnet-4-5$/m,
    );
    expect(text).toMatch(/^Shell env +on, imported: OPENAI_API_KEY$/m);
    expect(text).toMatch(/^Claude Code +no credentials found$/m);
    expect(text.indexOf("  error")).toBeLessThan(text.indexOf("  info"));
    expect(text).not.toContain("\x1b[");
  });

  it("colour changes nothing but the escape codes, so columns stay aligned", () => {
    const plain = renderStatusText(report(), { color: false });
    const coloured = renderStatusText(report(), { color: true });
    expect(coloured).toContain("\x1b[33mrefreshable\x1b[39m");
    expect(coloured).toContain("\x1b[31mexpired");
    expect(stripAnsi(coloured)).toBe(plain);
    const rows = plain
      .split("\n")
      .filter((l) => l.includes("anthropic:work  ") || l.includes("anthropic:old  "));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.indexOf("oauth")).toBe(rows[1]!.indexOf("token"));
    expect(rows[0]!.indexOf("store")).toBe(rows[1]!.indexOf("store"));
  });
});

describe("alignRows and painter", () => {
  it("pads every column but the last; painting does not move anything", () => {
    const rows = [
      ["a", "bb", "c"],
      ["aaa", "b", "cc"],
    ];
    expect(alignRows(rows)).toEqual(["a    bb  c", "aaa  b   cc"]);
    const paint = painter(true);
    const painted = alignRows(rows, (_r, c, t) => (c === 1 ? paint("red", t) : t));
    expect(painted.map(stripAnsi)).toEqual(["a    bb  c", "aaa  b   cc"]);
    expect(painter(false)("red", "x")).toBe("x");
  });

  it("byCodePoint orders like a sort of plain ASCII ids", () => {
    expect(["b", "B", "a:2", "a:10"].sort(byCodePoint)).toEqual(["B", "a:10", "a:2", "b"]);
  });
});
