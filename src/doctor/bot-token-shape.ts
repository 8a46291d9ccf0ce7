/**
 * Shape checks for chat bot tokens: they catch pasting the wrong thing (a user id, a client secret,
 * a token cut in half) without contacting the platform. Shared by `onboard` (refuses) and `doctor`
 * (warns).
 */
const BOT_TOKEN_SHAPES = {
  /** `<bot id>:<35-ish chars>`, as @BotFather prints it. */
  telegram: /^\d{5,}:[A-Za-z0-9_-]{30,}$/,
  /** Three base64url parts separated by dots, as the Discord developer portal shows it. */
  discord: /^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$/,
} as const;

/** Where a person gets each token, for messages. */
export const BOT_TOKEN_SOURCE = {
  telegram: "from @BotFather (/newbot or /token)",
  discord: "from the Discord developer portal (Applications → Bot → Reset Token)",
} as const;

export function looksLikeBotToken(channel: keyof typeof BOT_TOKEN_SHAPES, token: string): boolean {
  return BOT_TOKEN_SHAPES[channel].test(token.trim());
}
