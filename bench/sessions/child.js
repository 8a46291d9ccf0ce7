/**
 * One measurement of bench/sessions/bench.js, in a process of its own so that its peak RSS is its
 * own: the router (composed as `tessera chat` and the gateway compose it) on a state dir that already
 * holds N sessions. Prints one JSON line.
 *
 *   node child.js <dist> <stateDir> <sessions> <mixMessages> <plainMessages>
 *
 * 1. messages/s: `/model status` and `/model sonnet@anthropic:p1` alternating on the console
 *    session (issue 11's measurement), one after the other;
 * 2. plain messages, one at a time, each to a random existing session (a Telegram DM), against the
 *    provider stand-in: the time to the reply, the time until the session's history write has
 *    landed too, and, interleaved, the bare provider round trip through the same client (the
 *    baseline that "added latency" is measured against).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, stateDir, sessionsArg, mixArg, plainArg] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(dist, "src", path)).href);
const { openAgentServices } = await load("runtime/services.js");
const { composeRouter } = await load("runtime/compose.js");
const { settleSessionWrites } = await load("sessions/session-store.js");
const { flushDeferredSuccesses } = await load("auth/deferred-successes.js");
const { clientFor } = await load("models/providers/client-for.js");
const { providerInfo } = await load("models/provider-catalog.js");

const sessions = Number(sessionsArg);
const services = await openAgentServices({ stateDir, processEnv: { HOME: stateDir } });
const router = composeRouter({ services });
const consoleMessage = (text) => ({
  channel: "console",
  chatType: "dm",
  chatId: "local",
  senderId: "local",
  text,
  addressed: true,
});
const dm = (user, text) => ({
  channel: "telegram",
  chatType: "dm",
  chatId: user,
  senderId: user,
  text,
  addressed: true,
});

// 1. Commands, back to back.
const mix = ["/model status", "/model sonnet@anthropic:p1"];
for (let i = 0; i < 100; i++) await router.handle(consoleMessage(mix[i % 2]));
const mixStarted = performance.now();
for (let i = 0; i < Number(mixArg); i++) {
  const [reply] = await router.handle(consoleMessage(mix[i % 2]));
  if (!reply || /went wrong|error/i.test(reply.text.slice(0, 80)))
    throw new Error(`unexpected reply: ${reply?.text}`);
}
const mixSeconds = (performance.now() - mixStarted) / 1000;

// 2. Plain messages against the stand-in, and the bare client round trip, interleaved.
const info = providerInfo(services.config, "anthropic");
const client = clientFor(info);
const bareRequest = {
  model: "claude-sonnet-4-5",
  messages: [{ role: "user", content: "hello" }],
  maxTokens: 4096,
  stream: false,
};
const credential = {
  kind: "api_key",
  secret: JSON.parse(readFileSync(join(stateDir, "bench-key.json"), "utf8")),
};
const reply = [];
const landed = [];
const bare = [];
const pick = () => String(1_000_000 + Math.floor(Math.random() * Math.max(1, sessions)));
for (let i = 0; i < 50; i++) {
  await router.handle(dm(pick(), `warm-up ${i}`));
  await client.send(bareRequest, credential);
}
await settleSessionWrites();
for (let i = 0; i < Number(plainArg); i++) {
  let t = performance.now();
  await client.send(bareRequest, credential);
  bare.push(performance.now() - t);
  t = performance.now();
  const [answer] = await router.handle(dm(pick(), `message ${i}`));
  reply.push(performance.now() - t);
  if (answer?.text !== "ok") throw new Error(`unexpected answer: ${answer?.text}`);
  await settleSessionWrites();
  landed.push(performance.now() - t);
}
await flushDeferredSuccesses();
const status = readFileSync("/proc/self/status", "utf8");
const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
process.stdout.write(
  `${JSON.stringify({ sessions, mixPerSecond: Number(mixArg) / mixSeconds, reply, landed, bare, peakRssKb: hwmKb })}\n`,
);
process.exit(0);
