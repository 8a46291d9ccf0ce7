import { mkdir, rm } from "node:fs/promises";
import type { APIMessage, APIStringSelectComponent } from "discord.js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sessionFilePath } from "../../src/config/paths.js";
import {
  type AnthropicFake,
  anthropicReplies,
  credentialOf,
  startAnthropicFake,
} from "../fakes/anthropic-messages-server.js";
import {
  DEFAULT_CHANNEL_ID,
  DEFAULT_DISCORD_USER,
  DEFAULT_GUILD,
  type DiscordFake,
  startDiscordFake,
} from "../fakes/discord-server.js";
import { type GatewayState, gatewayState, stopGateway } from "../support/gateway-state.js";
import { type GatewayProcess, startGateway } from "../support/run-gateway.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

const OWNER = DEFAULT_DISCORD_USER;
const MEMBER = { id: "1300000000000000002", username: "max" };
const STRANGER = { id: "1300000000000000003", username: "eve" };
const GUILD_ID = DEFAULT_GUILD.id;

let anthropic: AnthropicFake;
let discord: DiscordFake;
let token: string;
let state: GatewayState;
let dir: string;
let env: NodeJS.ProcessEnv;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  anthropic = await startAnthropicFake();
});
afterAll(() => anthropic.close());

beforeEach(async () => {
  token = `MTEwMDAwMDAwMDAwMDAwMDAwMQ.${fakeSecret("Gx", 6)}.${fakeSecret("", 38)}`;
  discord = await startDiscordFake({ token });
  discord.user(MEMBER);
  discord.user(STRANGER);
  state = await gatewayState("discord", anthropic, {}, { DISCORD_BOT_TOKEN: token });
  ({ dir, env } = state);
  await writeConfig({});
});

afterEach(async () => {
  await stopGateway(gateway);
  const secrets = [state.keys.default, state.keys.work, token];
  if (gateway) expectNoSecretIn(gateway.stdout + gateway.stderr, secrets);
  expectNoSecretIn(JSON.stringify(discord.requests.map((r) => r.body)), secrets);
  gateway = undefined;
  await discord.close();
  await rm(dir, { recursive: true, force: true });
});

/** The config of these tests, with `discordOverrides` in `channels.discord`. */
function writeConfig(discordOverrides: Record<string, unknown>): Promise<void> {
  return state.writeConfig({
    access: { owners: [`discord:${OWNER.id}`] },
    channels: {
      discord: { enabled: true, apiBase: discord.apiBase, allowFrom: [MEMBER.id], ...discordOverrides },
    },
  });
}

async function startUp(): Promise<GatewayProcess> {
  gateway = startGateway(env);
  await gateway.waitForLog(/^ready$/, 20_000);
  await expect.poll(() => discord.commands().length, { timeout: 10_000 }).toBeGreaterThan(0);
  return gateway;
}

/** The next message the bot posts in `channelId` (optionally matching). */
async function nextPost(channelId: string, match?: RegExp): Promise<APIMessage> {
  const request = await discord.waitFor(
    (r) =>
      r.method === "POST" &&
      r.path === `/channels/${channelId}/messages` &&
      r.response?.status === 200 &&
      (!match || match.test(String((r.body as { content?: string }).content))),
    10_000,
  );
  return request.response!.body as APIMessage;
}

function selectsOf(message: { components?: unknown[] }): APIStringSelectComponent[] {
  return ((message.components ?? []) as { components: { type: number }[] }[])
    .flatMap((row) => row.components)
    .filter((c): c is APIStringSelectComponent => c.type === 3);
}

describe("tessera gateway with Discord", () => {
  it("logs its identity, registers /model with autocompleted options once, and pins by slash command", async () => {
    const gw = await startUp();
    expect(gw.logs().map((l) => l.msg)).toContain(
      `discord: tessera#0000 (id ${discord.bot.id}) ready in 1 guild`,
    );
    const model = discord.commands().find((c) => c.name === "model")!;
    expect(model.options?.map((o) => [o.name, "autocomplete" in o && o.autocomplete])).toEqual([
      ["model", true],
      ["profile", true],
    ]);
    expect(discord.commands().map((c) => c.name)).toEqual(["model", "new", "whoami", "help"]);

    const pin = discord.interaction({
      command: "model",
      options: { model: "opus", profile: "anthropic:work" },
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
    });
    const callback = await discord.waitForCallback(pin.id);
    expect(callback.type).toBe(4);
    expect((callback.data as { flags?: number }).flags! & 64).toBe(64);
    expect(String((callback.data as { content: string }).content)).toMatch(
      /now uses \*\*opus\*\*.*anthropic:work/,
    );

    const refused = discord.interaction({
      command: "model",
      options: { model: "sonnet", profile: "anthropic:default" },
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
      user: MEMBER,
    });
    const no = await discord.waitForCallback(refused.id);
    expect(String((no.data as { content: string }).content)).toMatch(
      /Only the bot's owners can pin a credential/,
    );

    discord.sendMessage({ content: "hello model", channel: DEFAULT_CHANNEL_ID, mentionBot: true });
    const answer = await nextPost(DEFAULT_CHANNEL_ID, /echo:/);
    expect(answer.content).toContain("hello model");
    expect(credentialOf(anthropic.requests[0]!)).toEqual({ kind: "x-api-key", value: state.keys.work });
    expect(anthropic.requests[0]!.body?.model).toBe("claude-opus-4-5");
    // Nothing the bot says can ping anyone.
    const posted = discord.requests.filter((r) => r.method === "POST" && /\/messages$/.test(r.path));
    for (const r of posted)
      expect((r.body as { allowed_mentions?: { parse: unknown[] } }).allowed_mentions?.parse).toEqual([]);

    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    const puts = discord.requests.filter((r) => r.method === "PUT").length;
    await startUp();
    expect(discord.requests.filter((r) => r.method === "PUT").length).toBe(puts);
  });

  it("autocompletes models for anyone and profiles for owners only", async () => {
    await startUp();
    const models = discord.autocomplete({
      command: "model",
      options: { model: "son" },
      focused: "model",
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
      user: MEMBER,
    });
    const choices = (
      (await discord.waitForCallback(models.id)).data as { choices: { name: string; value: string }[] }
    ).choices;
    expect(choices[0]).toEqual({ name: "sonnet · anthropic/claude-sonnet-4-5", value: "sonnet" });
    const member = discord.autocomplete({
      command: "model",
      options: { model: "opus", profile: "" },
      focused: "profile",
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
      user: MEMBER,
    });
    expect(((await discord.waitForCallback(member.id)).data as { choices: unknown[] }).choices).toEqual([]);
    const owner = discord.autocomplete({
      command: "model",
      options: { model: "opus", profile: "wo" },
      focused: "profile",
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
    });
    expect(
      ((await discord.waitForCallback(owner.id)).data as { choices: { value: string }[] }).choices.map(
        (c) => c.value,
      ),
    ).toEqual(["anthropic:work"]);
  });

  it("the select-menu picker: a model, then a profile, updated in place, ephemeral", async () => {
    await startUp();
    const open = discord.interaction({ command: "model", channel: DEFAULT_CHANNEL_ID, guild: GUILD_ID });
    const shown = await discord.waitForCallback(open.id);
    expect(shown.type).toBe(4);
    expect((shown.data as { flags?: number }).flags! & 64).toBe(64);
    const picker = discord.sent(DEFAULT_CHANNEL_ID).at(-1)!;
    const [models] = selectsOf(picker);
    expect(models!.options.length).toBeLessThanOrEqual(25);
    const opus = models!.options.find((o) => o.label === "opus")!;
    const press = discord.component({
      message: picker.id,
      customId: models!.custom_id,
      values: [opus.value],
    });
    const updated = await discord.waitForCallback(press.id);
    expect(updated.type).toBe(7);
    const after = discord.message(picker.id)!;
    expect(after.content).toMatch(/now uses \*\*opus\*\*/);
    const [, profiles] = selectsOf(after);
    const work = profiles!.options.find((o) => o.label === "anthropic:work")!;
    const press2 = discord.component({
      message: picker.id,
      customId: profiles!.custom_id,
      values: [work.value],
    });
    expect((await discord.waitForCallback(press2.id)).type).toBe(7);
    expect(discord.message(picker.id)!.content).toMatch(/anthropic:work/);

    // The pin belongs to the channel's session: the channel sees it, the owner's DM does not.
    discord.sendMessage({ content: "/model status", channel: DEFAULT_CHANNEL_ID });
    const status = await nextPost(DEFAULT_CHANNEL_ID, /Model status/);
    expect(status.content).toMatch(/Pinned credential: `anthropic:work`/);
    discord.sendMessage({ content: "/model status" });
    expect((await nextPost(discord.dmChannelId(), /Model status/)).content).toMatch(
      /Pinned credential: none/,
    );
  });

  it("text commands in a channel and a DM reply there; a 2500-character answer is two messages; strangers are refused", async () => {
    await startUp();
    discord.sendMessage({ content: "/model status", channel: DEFAULT_CHANNEL_ID });
    await nextPost(DEFAULT_CHANNEL_ID, /Model status/);
    discord.sendMessage({ content: "/model list" });
    await nextPost(discord.dmChannelId(), /Models you can pick/);

    anthropic.nextReply(anthropicReplies.text(`${"word ".repeat(500)}end`));
    discord.sendMessage({ content: "long one please" });
    const first = await nextPost(discord.dmChannelId());
    const second = await nextPost(discord.dmChannelId());
    expect(first.content.length).toBeLessThanOrEqual(2000);
    expect(second.content).toMatch(/end$/);

    discord.sendMessage({ content: "hi", author: STRANGER });
    const refusal = await nextPost(discord.dmChannelId(STRANGER));
    expect(refusal.content).toContain(STRANGER.id);
    expect(anthropic.requests).toHaveLength(1);
  });

  it("a slash command whose work outlasts 2 s is deferred first, then answered by editing the deferral", async () => {
    await startUp();
    // Another process holds this channel's session lock: the pin waits for it to go stale (~5 s).
    const file = sessionFilePath(state.stateDir, "main", `agent:main:discord:channel:${DEFAULT_CHANNEL_ID}`);
    await mkdir(`${file}.lock`, { recursive: true });
    const slow = discord.interaction({
      command: "model",
      options: { model: "opus" },
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
    });
    const first = await discord.waitForCallback(slow.id, 5_000);
    expect(first.type).toBe(5);
    const edit = await discord.waitFor(
      (r) => r.method === "PATCH" && /\/webhooks\/\d+\/[^/]+\/messages\/@original$/.test(r.path),
      15_000,
    );
    expect(String((edit.body as { content: string }).content)).toMatch(/now uses \*\*opus\*\*/);
  });

  it("a 429 on posting a message is waited out and the answer arrives once", async () => {
    await startUp();
    const dm = discord.dmChannelId();
    discord.failNext("POST", "/channels/:channel/messages", { status: 429, retryAfter: 0.5 });
    discord.sendMessage({ content: "/whoami" });
    await nextPost(dm, new RegExp(OWNER.id));
    const posts = discord.requests.filter(
      (r) => r.method === "POST" && r.path === `/channels/${dm}/messages`,
    );
    expect(posts.map((r) => r.response?.status)).toEqual([429, 200]);
    expect(discord.sent(dm).filter((m) => m.content.includes(OWNER.id))).toHaveLength(1);
  });

  it("resumes after a dropped socket and a missed heartbeat ACK, and keeps answering", async () => {
    const gw = await startUp();
    discord.closeSocket();
    await gw.waitForLog(/^reconnected to Discord/);
    discord.sendMessage({ content: "/whoami" });
    await nextPost(discord.dmChannelId(), new RegExp(OWNER.id));
    discord.skipHeartbeatAcks(1);
    await expect
      .poll(() => gw.logs().filter((l) => /^reconnected to Discord/.test(l.msg)).length, { timeout: 15_000 })
      .toBe(2);
    discord.sendMessage({ content: "/help" });
    await nextPost(discord.dmChannelId(), /Commands you can use/);
  });

  it("a wrong token and a missing Message Content intent exit 1 with their fixes", async () => {
    gateway = startGateway({ ...env, DISCORD_BOT_TOKEN: `${token.slice(0, -4)}AAAA` });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr).toMatch(/Discord rejected the bot token/);
    expect(gateway.stderr).toMatch(
      /"fix":"[^"]*DISCORD_BOT_TOKEN in the gateway's environment, where it is set now/,
    );
    await discord.close();
    discord = await startDiscordFake({ token, privilegedIntents: { messageContent: false } });
    await writeConfig({});
    gateway = startGateway(env);
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr).toMatch(/Message Content intent/);
    expect(gateway.stderr).toMatch(/Privileged Gateway Intents/);
  });

  it("a thread has its own session; guilds outside channels.discord.guilds are ignored", async () => {
    await startUp();
    const thread = discord.createThread({ parentId: DEFAULT_CHANNEL_ID, name: "side talk" });
    discord.sendMessage({ content: "/model opus", thread });
    await nextPost(thread, /now uses/);
    discord.sendMessage({ content: "/model status", channel: DEFAULT_CHANNEL_ID });
    expect((await nextPost(DEFAULT_CHANNEL_ID, /Model status/)).content).toMatch(
      /the default \(models\.default\)/,
    );
    discord.sendMessage({ content: "/model status", thread });
    expect((await nextPost(thread, /Model status/)).content).toMatch(/opus/);

    gateway!.child.kill("SIGTERM");
    await gateway!.exited;
    await writeConfig({ guilds: ["1999999999999999999"], commands: "off" });
    await startUp();
    discord.sendMessage({ content: "/model list", channel: DEFAULT_CHANNEL_ID });
    // A slash command there is answered (Discord waits for an answer), privately, with nothing done.
    const slash = discord.interaction({
      command: "model",
      options: { model: "opus" },
      channel: DEFAULT_CHANNEL_ID,
      guild: GUILD_ID,
      unchecked: true,
    });
    const refused = await discord.waitForCallback(slash.id);
    expect((refused.data as { content: string; flags: number }).content).toBe(
      "This bot does not answer in this chat.",
    );
    expect((refused.data as { flags: number }).flags & 64).toBe(64);
    discord.sendMessage({ content: "/whoami" });
    await nextPost(discord.dmChannelId(), new RegExp(OWNER.id));
    expect(
      discord.sent(DEFAULT_CHANNEL_ID).filter((m) => /Models you can pick/.test(m.content)),
    ).toHaveLength(0);
  });
});
