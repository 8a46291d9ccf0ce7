/**
 * The Telegram adapter (grammY). The gateway imports it only when `channels.telegram.enabled` is on.
 */
export { TelegramAdapter, type TelegramAdapterOptions } from "./telegram-adapter.js";
