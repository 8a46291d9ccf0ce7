/**
 * `expectFits`: what `PLATFORM_LIMITS` promises an adapter about every reply it receives, checked
 * field by field, so property tests of `fitReplies` and of the router share one reading of the table.
 */
import { expect } from "vitest";
import type { PlatformLimits } from "../../src/router/platform-limits.js";
import { type Reply, ReplySchema } from "../../src/router/types.js";

/** Characters as the table counts labels and descriptions: code points. */
function chars(text: string): number {
  return [...text].length;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Every action a reply carries back from a press: buttons, menu options and the ‹ › of paged menus. */
export function actionsOf(reply: Reply): string[] {
  const actions: string[] = [];
  for (const menu of reply.menus ?? []) {
    for (const option of menu.options) actions.push(option.action);
    if (menu.page?.previous) actions.push(menu.page.previous);
    if (menu.page?.next) actions.push(menu.page.next);
  }
  for (const row of reply.buttons ?? []) for (const button of row) actions.push(button.action);
  return actions;
}

/**
 * Fails unless `reply` fits the platform `limits` describe:
 * - it is a valid `Reply`; its text is not blank and at most `textChars` UTF-16 units (`noticeChars`
 *   for a notice — the platforms count both the same way);
 * - each menu page holds 1…`menuOptionsPerPage` options; a `page` is consistent (index < count);
 * - rows — one per select menu or `menuOptionsPerRow` options per row, one more for a paged menu's
 *   ‹ ›, and the button rows — are at most `maxRows`, each at most `buttonsPerRow` wide;
 * - buttons in all (menu options drawn as buttons, the two ‹ › and the buttons) at most `maxButtons`;
 * - labels and placeholders at most `labelChars` characters, descriptions at most `descriptionChars`;
 * - every action at most `actionBytes` UTF-8 bytes.
 */
export function expectFits(reply: Reply, limits: PlatformLimits, where = ""): void {
  const at = (what: string) =>
    `${where ? `${where}: ` : ""}${what} in ${JSON.stringify(reply).slice(0, 300)}`;
  expect(ReplySchema.safeParse(reply).success, at("not a valid Reply")).toBe(true);

  expect(reply.text.trim(), at("blank text")).not.toBe("");
  const textLimit = reply.notice ? limits.noticeChars : limits.textChars;
  expect(reply.text.length, at("text too long")).toBeLessThanOrEqual(textLimit);

  let rows = 0;
  let buttons = 0;
  for (const menu of reply.menus ?? []) {
    const count = menu.options.length;
    expect(count, at("empty menu")).toBeGreaterThan(0);
    expect(count, at("too many options on a menu page")).toBeLessThanOrEqual(limits.menuOptionsPerPage);
    expect(chars(menu.placeholder), at("placeholder too long")).toBeLessThanOrEqual(limits.labelChars);
    if (limits.menuStyle === "select") {
      rows += 1;
    } else {
      rows += Math.ceil(count / limits.menuOptionsPerRow);
      buttons += count;
      expect(limits.menuOptionsPerRow, at("menu row wider than a button row")).toBeLessThanOrEqual(
        limits.buttonsPerRow,
      );
    }
    for (const option of menu.options) {
      expect(chars(option.label), at("option label too long")).toBeLessThanOrEqual(limits.labelChars);
      if (option.description !== undefined)
        expect(chars(option.description), at("description too long")).toBeLessThanOrEqual(
          limits.descriptionChars,
        );
    }
    if (menu.page) {
      expect(menu.page.index, at("page index past its count")).toBeLessThan(menu.page.count);
      expect(menu.page.previous === undefined, at("‹ on the first page only")).toBe(menu.page.index === 0);
      expect(menu.page.next === undefined, at("› on the last page only")).toBe(
        menu.page.index === menu.page.count - 1,
      );
      // The ‹ › row: two buttons (an adapter may draw the absent one disabled).
      rows += 1;
      buttons += 2;
      expect(2, at("‹ › row wider than a row")).toBeLessThanOrEqual(limits.buttonsPerRow);
    }
  }
  for (const row of reply.buttons ?? []) {
    expect(row.length, at("empty button row")).toBeGreaterThan(0);
    expect(row.length, at("button row too wide")).toBeLessThanOrEqual(limits.buttonsPerRow);
    rows += 1;
    buttons += row.length;
    for (const button of row)
      expect(chars(button.label), at("button label too long")).toBeLessThanOrEqual(limits.labelChars);
  }
  expect(rows, at("too many rows")).toBeLessThanOrEqual(limits.maxRows);
  expect(buttons, at("too many buttons")).toBeLessThanOrEqual(limits.maxButtons);

  for (const action of actionsOf(reply)) {
    expect(
      utf8Bytes(action),
      at(`action ${JSON.stringify(action.slice(0, 40))} too long`),
    ).toBeLessThanOrEqual(limits.actionBytes);
  }
}

/** `expectFits` for each reply of an answer. */
export function expectAllFit(replies: Reply[], limits: PlatformLimits, where = ""): void {
  replies.forEach((reply, i) => {
    expectFits(reply, limits, `${where}${where ? " " : ""}reply ${i + 1}/${replies.length}`);
  });
}
