/**
 * The router's public face for adapters and the composition root: the neutral message and reply
 * types, the markup helpers adapters render with, the platform limits replies are fitted to, and the
 * adapter contract. Adapters import from here and from nothing else in `src/`.
 */

export { TesseraError } from "../errors.js";
export type {
  AdapterHost,
  AdapterIdentity,
  AdapterLog,
  ChatAdapter,
  Delivery,
  MenuCommand,
} from "./adapter.js";
export { REPLY_TEXT_LIMIT, splitText } from "./fit-replies.js";
export { bold, code, escapeMarkup, parseMarkup, type Span, toPlainText } from "./markup.js";
export { PLATFORM_LIMITS, type PlatformLimits } from "./platform-limits.js";
export type { ArgChoice, CommandArg, CommandDefinition, CommandRegistry } from "./registry.js";
export type { Router } from "./router.js";
export type {
  Button,
  Channel,
  ChoiceMenu,
  ChoiceOption,
  HandleOptions,
  IncomingMessage,
  MenuPage,
  PlainMessageHandler,
  Reply,
} from "./types.js";
export { typingIndicator } from "./typing-indicator.js";
