/**
 * The floor the Telegram benchmark compares `tessera gateway` with: the smallest grammY bot that
 * answers `/model` — long polling with `bot.start()`, one fixed reply, nothing else. Whatever Tessera
 * costs beyond this is Tessera's own (config, stores, router, runner, logging), not Node's or grammY's.
 * Run by bench/telegram/bench.js as its own process: `BOT_TOKEN=… API_ROOT=… node floor-bot.js`.
 */
import { Bot } from "grammy";

const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot: process.env.API_ROOT } });
bot.command("model", (ctx) => ctx.reply("Model status: anthropic/claude-sonnet-4-5 (floor bot)"));
bot.catch((err) => console.error(err.error));
process.once("SIGTERM", () => bot.stop());
bot.start();
