/**
 * The floor the Discord benchmark compares `tessera gateway` with: the smallest discord.js client
 * that answers a message — the same intents and partials as Tessera's adapter, REST (and through
 * `GET /gateway/bot` the gateway) at the stand-in, one fixed reply to any message not by a bot,
 * nothing else. Whatever Tessera costs beyond this is Tessera's own (config, stores, router,
 * logging), not Node's or discord.js's.
 *
 * Run by bench/discord/bench.js as its own process:
 * `DISCORD_BOT_TOKEN=… DISCORD_API_BASE=… node floor-client.js`. It prints `ready` on stdout when
 * discord.js has handled READY (clientReady), and `rate-limited …` whenever discord.js's REST
 * limiter holds a request, so the benchmark can tell its load stayed under Discord's 50 requests/s.
 */
import { Client, Events, GatewayIntentBits, Partials } from "discord.js";

const client = new Client({
  intents: [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.DirectMessages,
    GatewayIntentBits.MessageContent,
  ],
  partials: [Partials.Channel],
  rest: { api: process.env.DISCORD_API_BASE },
});
client.on(Events.MessageCreate, (message) => {
  if (message.author.bot) return;
  message.channel
    .send("Model status: anthropic/claude-sonnet-4-5 (floor client)")
    .catch((err) => console.error(err));
});
client.once(Events.ClientReady, () => console.log("ready"));
client.rest.on("rateLimited", (info) => console.log(`rate-limited ${info.route} ${info.timeToReset} ms`));
client.on(Events.Error, (err) => console.error(err));
process.once("SIGTERM", () => {
  client.destroy().then(() => process.exit(0));
});
client.login(process.env.DISCORD_BOT_TOKEN);
