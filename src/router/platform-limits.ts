import type { Channel } from "./types.js";

/**
 * What one chat platform accepts in a single message, and how it lays out controls. `fitReplies`
 * reads only this table, so every reply an adapter receives already fits and adapters never cut,
 * page or shorten anything themselves. A platform is added by adding a row.
 */
export interface PlatformLimits {
  /** Longest message text, in UTF-16 units of Tessera markup (≈ what the platform counts). */
  textChars: number;
  /** Longest text of a `notice` (Telegram shows it as a callback alert: 200). */
  noticeChars: number;
  /** Buttons side by side in one row. */
  buttonsPerRow: number;
  /** Rows of controls under one message (Discord: 5 action rows; a select menu fills one). */
  maxRows: number;
  /** Buttons under one message in all (Telegram: 100; Discord: 5 × 5). */
  maxButtons: number;
  /** Longest button label, in characters. */
  labelChars: number;
  /** Options of a choice menu shown on one page. */
  menuOptionsPerPage: number;
  /**
   * How the platform draws a menu page: `select` takes one row whatever the option count (Discord's
   * string select); `buttons` lays options out `menuOptionsPerRow` to a row (Telegram, console).
   */
  menuStyle: "select" | "buttons";
  menuOptionsPerRow: number;
  /** Longest option description (shown by select menus; dropped elsewhere). */
  descriptionChars: number;
  /**
   * Longest button action the platform can carry back, in UTF-8 bytes (Telegram `callback_data`: 64;
   * Discord `custom_id`: 100). Every action on such a platform becomes a router token (see
   * `ActionTokens`), so presses are re-authorised and expire; the console carries actions as they are.
   */
  actionBytes: number;
}

/** The table. Figures from the platforms' API documentation; see each comment. */
export const PLATFORM_LIMITS: Record<Channel, PlatformLimits> = {
  telegram: {
    // sendMessage: 1-4096 characters after entity parsing; inline keyboards: up to 100 buttons,
    // 8 per row; answerCallbackQuery text: 0-200 characters; callback_data: 1-64 bytes.
    textChars: 4096,
    noticeChars: 200,
    buttonsPerRow: 3,
    maxRows: 20,
    maxButtons: 100,
    labelChars: 40,
    menuOptionsPerPage: 10,
    menuStyle: "buttons",
    menuOptionsPerRow: 2,
    descriptionChars: 0,
    actionBytes: 64,
  },
  discord: {
    // content: 2000 characters, less room for the markdown escapes rendering adds; 5 action rows of
    // 5 buttons; a string select fills a row and holds 25 options (label and description 100 each);
    // button labels 80; custom_id 100.
    textChars: 1800,
    noticeChars: 1800,
    buttonsPerRow: 5,
    maxRows: 5,
    maxButtons: 25,
    labelChars: 80,
    menuOptionsPerPage: 25,
    menuStyle: "select",
    menuOptionsPerRow: 1,
    descriptionChars: 100,
    actionBytes: 100,
  },
  console: {
    textChars: 4096,
    noticeChars: 4096,
    buttonsPerRow: 4,
    maxRows: 40,
    maxButtons: 200,
    labelChars: 60,
    menuOptionsPerPage: 25,
    menuStyle: "buttons",
    menuOptionsPerRow: 3,
    descriptionChars: 60,
    actionBytes: Number.POSITIVE_INFINITY,
  },
};

/** Whether button actions on this platform travel as router tokens rather than as typed commands. */
export function usesActionTokens(limits: PlatformLimits): boolean {
  return Number.isFinite(limits.actionBytes);
}
