import { type Button, PLATFORM_LIMITS, parseMarkup, type Reply } from "../../src/router/index.js";

const BOLD = ["\u001b[1m", "\u001b[22m"] as const;
const CODE = ["\u001b[36m", "\u001b[39m"] as const;
const DIM = ["\u001b[2m", "\u001b[22m"] as const;

/**
 * Renders a reply for the terminal: markup as ANSI bold/cyan when `color`, else plain text; menus
 * and buttons as numbered choices (`[1] sonnet  [2] opus`), a menu's ‹ › as choices too, numbered
 * from `firstNumber` so several replies of one answer share one numbering. Returns the text and the
 * choices in number order (each a button whose action is fed back when its number is typed).
 */
export function renderReply(
  reply: Reply,
  opts: { color: boolean; firstNumber: number },
): { text: string; buttons: Button[] } {
  const body = reply.format === "plain" ? reply.text : renderMarkup(reply.text, opts.color);
  const choices: Button[] = [];
  const choice = (button: Button) => {
    choices.push(button);
    const number = `[${opts.firstNumber + choices.length - 1}]`;
    return `${opts.color ? `${DIM[0]}${number}${DIM[1]}` : number} ${button.label}`;
  };
  const lines: string[] = [];
  for (const menu of reply.menus ?? []) {
    lines.push(opts.color ? `${DIM[0]}${menu.placeholder}:${DIM[1]}` : `${menu.placeholder}:`);
    const described = menu.options.some((o) => o.description);
    const rendered = menu.options.map((o) => {
      const label = `${o.selected ? "✓ " : ""}${o.label}`;
      return choice({
        label: described && o.description ? `${label} — ${o.description}` : label,
        action: o.action,
      });
    });
    const perRow = described ? 1 : PLATFORM_LIMITS.console.menuOptionsPerRow;
    for (let i = 0; i < rendered.length; i += perRow)
      lines.push(`  ${rendered.slice(i, i + perRow).join("   ")}`);
    if (menu.page) {
      const nav: string[] = [];
      if (menu.page.previous) nav.push(choice({ label: "‹ previous", action: menu.page.previous }));
      nav.push(`page ${menu.page.index + 1}/${menu.page.count}`);
      if (menu.page.next) nav.push(choice({ label: "› next", action: menu.page.next }));
      lines.push(`  ${nav.join("   ")}`);
    }
  }
  for (const row of reply.buttons ?? []) lines.push(row.map(choice).join("   "));
  return { text: lines.length ? `${body}\n${lines.join("\n")}` : body, buttons: choices };
}

function renderMarkup(text: string, color: boolean): string {
  return parseMarkup(text)
    .map((line) =>
      line
        .map((span) => {
          if (!color) return span.text;
          let out = span.text;
          if (span.code) out = `${CODE[0]}${out}${CODE[1]}`;
          if (span.bold) out = `${BOLD[0]}${out}${BOLD[1]}`;
          return out;
        })
        .join(""),
    )
    .join("\n");
}
