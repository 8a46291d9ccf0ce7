import type { CandidateState } from "../auth/resolver.js";
import type { Problem, ProviderStatus, StatusReport } from "../auth/status-report.js";
import { byCodePoint } from "../code-point-order.js";
import { formatSpan } from "../config/duration.js";
import { displayPath } from "../config/paths.js";

/** ANSI styles used by the CLI's text views; applied only when the context allows colour. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Returns a painter that wraps text in ANSI codes, or leaves it alone when colour is off. */
export function painter(color: boolean): (style: Style, text: string) => string {
  return (style, text) =>
    color && text !== "" ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text;
}

/** The colour of a candidate state: green usable, yellow usable-with-a-catch or waiting, red broken. */
export function stateStyle(state: CandidateState): Style {
  switch (state) {
    case "ok":
      return "green";
    case "expiring":
    case "refreshable":
    case "cooldown":
      return "yellow";
    default:
      return "red";
  }
}

/**
 * Lays out rows as aligned columns (two spaces apart). Widths are measured on the plain text, and
 * `paint` styles a cell after padding, so colour never breaks the alignment.
 */
export function alignRows(
  rows: string[][],
  paint: (row: number, column: number, text: string) => string = (_r, _c, t) => t,
  indent = "",
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row, r) => {
    const cells = row.map((cell, c) => {
      const padded = c === row.length - 1 ? cell : cell.padEnd(widths[c]!);
      return paint(r, c, padded.slice(0, cell.length)) + padded.slice(cell.length);
    });
    return `${indent}${cells.join("  ")}`.trimEnd();
  });
}

const CLAUDE_CODE_TEXT: Record<string, string> = {
  disabled: "sync off (auth.claudeCode.sync is false)",
  absent: "no credentials found",
  unchanged: "in sync (anthropic:claude-cli)",
  created: "synced into anthropic:claude-cli",
  updated: "synced into anthropic:claude-cli (updated)",
  shadowed: "not used: your own anthropic:claude-cli profile takes its place",
  kept: "kept the stored anthropic:claude-cli (it is newer or can refresh)",
  error: "could not be read (see the warning above)",
};

export interface RenderOptions {
  color: boolean;
  /** For shortening paths to `~/…`. */
  home?: string;
  /** The Claude Code sync outcome of this run. */
  claudeCode?: string;
}

/**
 * The text form of `tessera models status`: header, one block per provider with its candidates in
 * resolver order, then problems with the command that fixes each. Renders the report as is — every
 * state, reason and masked secret comes from the status report.
 */
export function renderStatusText(report: StatusReport, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const path = (p: string) => (opts.home ? displayPath(p, opts.home) : p);
  const aliases = Object.entries(report.aliases)
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([alias, target]) => `${alias} → ${target}`);
  const shell = report.shellEnv.enabled
    ? report.shellEnv.error
      ? "on, import failed (see problems)"
      : `on, imported: ${report.shellEnv.imported.join(", ") || "nothing"}`
    : "off";
  const header: string[][] = [
    ["Config", path(report.configPath)],
    ["Agent", report.agent],
    ["Auth store", path(report.storePath)],
    ["Default model", report.defaultModel],
    ["Aliases", aliases.join(", ") || "(none)"],
  ];
  if (opts.claudeCode) header.push(["Claude Code", CLAUDE_CODE_TEXT[opts.claudeCode] ?? opts.claudeCode]);
  header.push(["Shell env", shell], ["Warn within", formatSpan(report.warnWithinMs)]);
  const lines = alignRows(header, (_r, c, t) => (c === 0 ? paint("bold", t) : t));

  if (report.providers.length === 0) {
    lines.push("", "No providers: no configured model, stored profile or environment credential.");
  }
  for (const provider of report.providers) lines.push("", ...renderProvider(provider, paint));

  lines.push("");
  if (report.problems.length === 0) lines.push(paint("green", "No problems."));
  else lines.push(paint("bold", "Problems"), ...renderProblems(report.problems, paint));
  return `${lines.join("\n")}\n`;
}

function renderProvider(p: ProviderStatus, paint: ReturnType<typeof painter>): string[] {
  const use = p.inUse ? `used by ${p.usedBy.join(", ")}` : "not used by any configured model";
  const lines = [
    `${paint("bold", p.provider)}  ${paint("dim", `${use}${p.endpoint ? ` · ${p.endpoint}` : ""}`)}`,
  ];
  if (p.profiles.length === 0) {
    lines.push("  (no credentials)");
  } else {
    const rows = [
      ["", "PROFILE", "TYPE", "STATE", "EXPIRES", "SOURCE", "SECRET", "REASON"],
      ...p.profiles.map((c) => [
        c.next ? "next" : "",
        c.id,
        c.type,
        c.state,
        c.expires ?? (c.type === "api_key" ? "-" : "no expiry"),
        c.source,
        c.masked,
        c.reason,
      ]),
    ];
    lines.push(
      ...alignRows(
        rows,
        (r, c, t) => {
          if (r === 0) return paint("dim", t);
          const candidate = p.profiles[r - 1]!;
          if (c === 0) return paint("green", t);
          if (c === 3) return paint(stateStyle(candidate.state), t);
          return candidate.usable ? t : paint("dim", t);
        },
        "  ",
      ),
    );
  }
  const order =
    p.orderSource === "default"
      ? "default (oauth, then token, then api_key; least recently used first)"
      : p.orderSource;
  lines.push(`  ${paint("dim", "order:")} ${order}${p.failover ? "" : " (no failover)"}`);
  lines.push(`  ${paint("dim", "next:")} ${p.next ?? paint("red", "none")} — ${p.nextReason}`);
  if (p.pinProblem) lines.push(`  ${paint("dim", "pin:")} ${paint("red", p.pinProblem)}`);
  for (const ex of p.excluded) lines.push(`  ${paint("dim", "excluded:")} ${ex.id} — ${ex.reason}`);
  return lines;
}

const SEVERITY_STYLE: Record<Problem["severity"], Style> = { error: "red", warning: "yellow", info: "cyan" };

function renderProblems(problems: Problem[], paint: ReturnType<typeof painter>): string[] {
  const order = { error: 0, warning: 1, info: 2 };
  const sorted = [...problems].sort((a, b) => order[a.severity] - order[b.severity]);
  const width = Math.max(...sorted.map((p) => p.severity.length));
  const pad = " ".repeat(width + 4);
  return sorted.flatMap((p) => [
    `  ${paint(SEVERITY_STYLE[p.severity], p.severity.padEnd(width))}  ${p.what}`,
    `${pad}${paint("dim", "fix:")} ${p.fix}`,
  ]);
}
