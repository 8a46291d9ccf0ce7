/**
 * The router's public face for adapters and the composition root: the neutral message and reply
 * types, the markup helpers adapters render with, and the router itself. Adapters import from here
 * and from nothing else in `src/`.
 */
export { bold, code, escapeMarkup, parseMarkup, type Span, toPlainText } from "./markup.js";
export type { CommandDefinition, CommandRegistry } from "./registry.js";
export { REPLY_TEXT_LIMIT } from "./reply-size.js";
export type { Router } from "./router.js";
export type { Button, Channel, IncomingMessage, PlainMessageHandler, Reply } from "./types.js";
