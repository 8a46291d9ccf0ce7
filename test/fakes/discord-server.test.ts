import { once } from "node:events";
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Interaction,
  type InteractionCallbackResponse,
  type Message,
  Partials,
  type TextChannel,
} from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  DEFAULT_CHANNEL_ID,
  DEFAULT_DISCORD_USER,
  DEFAULT_GUILD,
  type DiscordFake,
  type DiscordFakeOptions,
  INTENTS,
  startDiscordFake,
} from "./discord-server.js";

const ALL_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
];

const MODEL_COMMAND = {
  name: "model",
  description: "Show or switch the model",
  options: [{ type: 3, name: "name", description: "Model name", required: false, autocomplete: true }],
};

let fake: DiscordFake;
const clients: Client[] = [];
const sockets: WebSocket[] = [];
/** Errors thrown inside discord.js event handlers, which would otherwise only reach stderr. */
let handlerErrors: unknown[] = [];

async function startFake(options: DiscordFakeOptions = {}): Promise<DiscordFake> {
  await fake?.close();
  fake = await startDiscordFake(options);
  return fake;
}

beforeEach(async () => {
  handlerErrors = [];
  fake = await startDiscordFake();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.destroy()));
  for (const socket of sockets.splice(0)) socket.terminate();
  await fake.close();
  expect(handlerErrors).toEqual([]);
});

/** The client Tessera's gateway builds, pointed at the fake. */
function clientFor(intents: GatewayIntentBits[] = ALL_INTENTS): Client {
  const client = new Client({ intents, partials: [Partials.Channel], rest: { api: fake.apiBase } });
  clients.push(client);
  return client;
}

async function loggedIn(intents?: GatewayIntentBits[]): Promise<Client<true>> {
  const client = clientFor(intents);
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return client as Client<true>;
}

/** Registers an event handler whose failures are collected instead of crashing the run. */
function handle<T extends unknown[]>(
  client: Client,
  event: string,
  handler: (...args: T) => Promise<unknown> | unknown,
): void {
  client.on(event, (...args: unknown[]) => {
    Promise.resolve()
      .then(() => handler(...(args as T)))
      .catch((error: unknown) => handlerErrors.push(error));
  });
}

/** Resolves with the next emitted value matching `predicate`. */
function nextEvent<T>(
  client: Client,
  event: string,
  predicate: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T) => {
      if (!predicate(value)) return;
      client.off(event, listener);
      resolve(value);
    };
    client.on(event, listener);
  });
}

function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("discord fake with a real discord.js client", () => {
  it("logs in: gateway/bot, IDENTIFY with the intents (token redacted), READY, GUILD_CREATE with channels", async () => {
    const client = await loggedIn();
    expect(client.user.id).toBe(fake.bot.id);
    expect(client.user.bot).toBe(true);
    expect(client.application.id).toBe(fake.applicationId);
    const guild = client.guilds.cache.get(DEFAULT_GUILD.id);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(DEFAULT_CHANNEL_ID)?.name).toBe("general");
    expect(guild?.roles.everyone.id).toBe(DEFAULT_GUILD.id);

    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.auth}`)).toEqual(["GET /gateway/bot bot"]);
    const identify = fake.frames.find((f) => f.op === 2);
    expect(identify?.d).toMatchObject({
      token: "<redacted>",
      intents: INTENTS.Guilds | INTENTS.GuildMessages | INTENTS.DirectMessages | INTENTS.MessageContent,
    });
    expect(JSON.stringify([fake.requests, fake.frames])).not.toContain(fake.token);
    expect(fake.dispatches.map((d) => `${d.t}:${d.s}`)).toEqual(["READY:1", "GUILD_CREATE:2"]);
    expect(fake.sessions()).toHaveLength(1);

    const application = await client.application.fetch();
    expect(application.name).toBe(fake.bot.username);
    expect(application.owner?.id).toBe(DEFAULT_DISCORD_USER.id);
    expect(application.flags.has("GatewayMessageContentLimited")).toBe(true);
    expect(fake.requests.at(-1)).toMatchObject({ path: "/applications/@me", response: { status: 200 } });
  });

  it("delivers a DM and a guild message; replies post to their channels and come back as the bot's own", async () => {
    const client = await loggedIn();
    const own: Message[] = [];
    handle(client, Events.MessageCreate, async (message: Message) => {
      if (message.author.id === client.user.id) return own.push(message);
      if (message.guildId) return (message.channel as TextChannel).send(`heard ${message.content}`);
      if (message.channel.isSendable()) await message.channel.sendTyping();
      return message.reply(`hello ${message.author.username}`);
    });

    const dmId = fake.sendMessage({ content: "hi" });
    const dmReply = await fake.waitFor({ method: "POST", path: "/channels/:id/messages" });
    const dmChannel = fake.dmChannelId(DEFAULT_DISCORD_USER);
    expect(dmReply.path).toBe(`/channels/${dmChannel}/messages`);
    expect(dmReply.body).toMatchObject({ content: "hello ada", message_reference: { message_id: dmId } });
    expect(dmReply.response?.status).toBe(200);
    expect(fake.requests.find((r) => r.path === `/channels/${dmChannel}/typing`)?.response?.status).toBe(204);

    fake.sendMessage({ channel: DEFAULT_CHANNEL_ID, content: "anyone?", mentionBot: true });
    await fake.waitFor({ method: "POST", path: `/channels/${DEFAULT_CHANNEL_ID}/messages` });
    const sent = fake.sent(DEFAULT_CHANNEL_ID);
    expect(sent.map((m) => m.content)).toEqual([`heard <@${fake.bot.id}> anyone?`]);
    expect(fake.messages(DEFAULT_CHANNEL_ID)).toHaveLength(2);
    const [reply] = fake.sent(dmChannel);
    expect(reply).toMatchObject({ type: 19, referenced_message: { id: dmId, content: "hi" } });

    await expect.poll(() => own.length).toBe(2);
  });

  it("delivers messages in threads, from GUILD_CREATE and from THREAD_CREATE", async () => {
    await startFake({
      guilds: [
        {
          ...DEFAULT_GUILD,
          threads: [{ id: "1200000000000000020", name: "old topic", parentId: DEFAULT_CHANNEL_ID }],
        },
      ],
    });
    const client = await loggedIn();
    expect(client.channels.cache.get("1200000000000000020")?.isThread()).toBe(true);
    const threadId = fake.createThread({ parentId: DEFAULT_CHANNEL_ID, name: "new topic" });
    const received = nextEvent<Message>(client, Events.MessageCreate);
    fake.sendMessage({ thread: threadId, content: "in the thread" });
    const message = await received;
    expect(message.channel.isThread()).toBe(true);
    expect(message.channel.isThread() && message.channel.parentId).toBe(DEFAULT_CHANNEL_ID);
    expect(message.content).toBe("in the thread");
  });

  it("runs a slash command: reply (callback 4), editReply on @original, followUp with wait", async () => {
    const client = await loggedIn();
    await client.application.commands.set([MODEL_COMMAND]);
    handle(client, Events.InteractionCreate, async (interaction: Interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.reply(`model is ${interaction.options.getString("name")}`);
      await interaction.editReply("model switched");
      await interaction.followUp("anything else?");
    });

    const { id } = fake.interaction({
      command: "model",
      options: { name: "gpt-x" },
      channel: DEFAULT_CHANNEL_ID,
    });
    const callback = await fake.waitForCallback(id);
    expect(callback).toMatchObject({ kind: "command", type: 4, data: { content: "model is gpt-x" } });
    const edit = await fake.waitFor({ method: "PATCH", path: "/webhooks/:app/:token/messages/@original" });
    expect(edit.auth).toBe("none");
    const followUp = await fake.waitFor({ method: "POST", path: "/webhooks/:app/:token" });
    expect(followUp.query.wait).toBe("true");
    expect(fake.sent(DEFAULT_CHANNEL_ID).map((m) => m.content)).toEqual(["model switched", "anything else?"]);
    expect(fake.sent(DEFAULT_CHANNEL_ID)[0]).toMatchObject({ type: 20, webhook_id: fake.applicationId });
  });

  it("fills a deferred reply's loading message with the first follow-up, as Discord does", async () => {
    const client = await loggedIn();
    await client.application.commands.set([MODEL_COMMAND]);
    let response: InteractionCallbackResponse | undefined;
    handle(client, Events.InteractionCreate, async (interaction: Interaction) => {
      if (!interaction.isChatInputCommand()) return;
      response = await interaction.deferReply({ withResponse: true });
      await interaction.followUp("done thinking");
      await interaction.followUp("one more thing");
    });

    const { id } = fake.interaction({ command: "model", channel: DEFAULT_CHANNEL_ID });
    await fake.waitFor({ method: "POST", path: "/webhooks/:app/:token" });
    await fake.waitFor({ method: "POST", path: "/webhooks/:app/:token" });
    expect(fake.callbacks(id)).toMatchObject([{ type: 5 }]);
    expect(response?.interaction.responseMessageLoading).toBe(true);
    expect(response?.resource?.message?.id).toBe(fake.sent(DEFAULT_CHANNEL_ID)[0]?.id);
    expect(fake.sent(DEFAULT_CHANNEL_ID).map((m) => [m.content, m.flags])).toEqual([
      ["done thinking", 0],
      ["one more thing", 0],
    ]);
  });

  it("answers a second acknowledgement with 40060 and a late one with 10062", async () => {
    await startFake({ interactionAckTimeoutMs: 500 });
    const client = await loggedIn();
    await client.application.commands.set([MODEL_COMMAND]);
    const outcomes: unknown[] = [];
    handle(client, Events.InteractionCreate, async (interaction: Interaction) => {
      if (!interaction.isChatInputCommand()) return;
      if (interaction.options.getString("name") === "slow") {
        await new Promise((resolve) => setTimeout(resolve, 600));
        outcomes.push(await failureOf(interaction.reply("too late")));
        return;
      }
      await interaction.deferReply();
      const again = client.rest.post(`/interactions/${interaction.id}/${interaction.token}/callback`, {
        body: { type: 4, data: { content: "x" } },
        auth: false,
      });
      outcomes.push(await failureOf(again));
    });

    fake.interaction({ command: "model" });
    await expect.poll(() => outcomes.length).toBe(1);
    expect(outcomes[0]).toBeInstanceOf(DiscordAPIError);
    expect((outcomes[0] as DiscordAPIError).code).toBe(40060);

    fake.interaction({ command: "model", options: { name: "slow" } });
    await expect.poll(() => outcomes.length).toBe(2);
    expect((outcomes[1] as DiscordAPIError).code).toBe(10062);
  });

  it("answers autocomplete (callback 8) and rejects more than 25 choices", async () => {
    const client = await loggedIn();
    await client.application.commands.set([MODEL_COMMAND]);
    const failures: unknown[] = [];
    handle(client, Events.InteractionCreate, async (interaction: Interaction) => {
      if (!interaction.isAutocomplete()) return;
      const typed = interaction.options.getFocused();
      const count = typed === "many" ? 26 : 2;
      const choices = Array.from({ length: count }, (_, i) => ({
        name: `${typed}-${i}`,
        value: `${typed}-${i}`,
      }));
      await interaction.respond(choices).catch((error: unknown) => failures.push(error));
    });

    const { id } = fake.autocomplete({ command: "model", options: { name: "gp" }, focused: "name" });
    const callback = await fake.waitForCallback(id);
    expect(callback).toMatchObject({ type: 8, data: { choices: [{ name: "gp-0" }, { name: "gp-1" }] } });

    fake.autocomplete({ command: "model", options: { name: "many" }, focused: "name" });
    await expect.poll(() => failures.length).toBe(1);
    expect((failures[0] as DiscordAPIError).code).toBe(50035);
    expect(fake.callbacks()).toHaveLength(1);
  });

  it("updates the message behind a string select (callback 7)", async () => {
    const client = await loggedIn();
    const channel = client.channels.cache.get(DEFAULT_CHANNEL_ID) as TextChannel;
    const picker = await channel.send({
      content: "Pick a model",
      components: [
        {
          type: 1,
          components: [
            {
              type: 3,
              custom_id: "pick",
              options: [
                { label: "Sonnet", value: "sonnet" },
                { label: "GPT", value: "gpt", description: "OpenAI" },
              ],
            },
          ],
        },
      ],
    });
    handle(client, Events.InteractionCreate, async (interaction: Interaction) => {
      if (interaction.isStringSelectMenu())
        await interaction.update({ content: `now ${interaction.values[0]}`, components: [] });
    });

    const { id } = fake.component({ message: picker.id, customId: "pick", values: ["gpt"] });
    const callback = await fake.waitForCallback(id);
    expect(callback).toMatchObject({ kind: "component", type: 7 });
    expect(fake.message(picker.id)).toMatchObject({ content: "now gpt", components: [] });
    expect(fake.message(picker.id)?.edited_timestamp).not.toBeNull();
    expect(() => fake.component({ message: picker.id, customId: "gone" })).toThrow(/no component/);
  });

  it("stores commands.set (PUT) and returns them on fetch (GET), keeping ids; rejects invalid names", async () => {
    const client = await loggedIn();
    const set = await client.application.commands.set([
      MODEL_COMMAND,
      { name: "new", description: "New session" },
    ]);
    const put = fake.requests.find((r) => r.method === "PUT");
    expect(put?.path).toBe(`/applications/${fake.applicationId}/commands`);
    const fetched = await client.application.commands.fetch();
    expect([...fetched.values()].map((c) => c.name).sort()).toEqual(["model", "new"]);
    expect(fetched.get(set.find((c) => c.name === "model")?.id ?? "")?.options[0]).toMatchObject({
      name: "name",
      autocomplete: true,
    });

    const again = await client.application.commands.set([MODEL_COMMAND]);
    expect(again.first()?.id).toBe(set.find((c) => c.name === "model")?.id);
    expect(fake.commands().map((c) => c.name)).toEqual(["model"]);

    const guild = client.guilds.cache.get(DEFAULT_GUILD.id);
    await guild?.commands.set([{ name: "whoami", description: "Who am I" }]);
    expect(fake.commands(DEFAULT_GUILD.id).map((c) => [c.name, c.guild_id])).toEqual([
      ["whoami", DEFAULT_GUILD.id],
    ]);

    const invalid = await failureOf(client.application.commands.set([{ name: "Model", description: "" }]));
    expect((invalid as DiscordAPIError).code).toBe(50035);
    expect((invalid as DiscordAPIError).rawError).toMatchObject({
      errors: { 0: { name: { _errors: [{ code: "APPLICATION_COMMAND_INVALID_NAME" }] } } },
    });
  });

  it("resumes after the socket drops: missed dispatches are replayed and new ones arrive", async () => {
    const client = await loggedIn();
    const contents: string[] = [];
    handle(client, Events.MessageCreate, (m: Message) => contents.push(m.content));
    const resumed = nextEvent<number>(client, Events.ShardResume);

    fake.closeSocket();
    fake.sendMessage({ content: "while you were away" });
    await resumed;
    fake.sendMessage({ content: "after the resume" });
    await expect.poll(() => contents).toEqual(["while you were away", "after the resume"]);

    const resume = fake.frames.find((f) => f.op === 6);
    expect(resume?.d).toMatchObject({ token: "<redacted>", seq: 2 });
    expect(fake.connections.map((c) => c.url)).toEqual([
      "/?v=10&encoding=json",
      "/resume?v=10&encoding=json",
    ]);
    expect(fake.frames.filter((f) => f.op === 2)).toHaveLength(1);
  });

  it("reconnects when a heartbeat goes unacknowledged (zombie connection) and resumes", async () => {
    await startFake({ heartbeatIntervalMs: 250 });
    const client = await loggedIn();
    const reconnecting = nextEvent(client, Events.ShardReconnecting);
    const resumed = nextEvent(client, Events.ShardResume);
    fake.skipHeartbeatAcks();
    await reconnecting;
    await resumed;
    expect(fake.connections[0]?.closeCode).toBe(4200);
    await fake.waitForReady();
    const received = nextEvent<Message>(client, Events.MessageCreate);
    fake.sendMessage({ content: "still there?" });
    expect((await received).content).toBe("still there?");
  });

  it("resumes after op 7 Reconnect", async () => {
    const client = await loggedIn();
    const resumed = nextEvent(client, Events.ShardResume);
    fake.requestReconnect();
    await resumed;
    expect(fake.connections.map((c) => c.closeCode)).toEqual([4200, undefined]);
  });

  it("rejects login with a wrong token (TokenInvalid) after a 401 on gateway/bot", async () => {
    const client = clientFor();
    const error = await failureOf(client.login("MTIz.wrong.token-that-is-not-the-fakes-000000"));
    expect(error).toMatchObject({ code: "TokenInvalid" });
    expect(fake.requests).toMatchObject([
      { path: "/gateway/bot", auth: "invalid", response: { status: 401 } },
    ]);
  });

  it("closes with 4014 when the message content intent is not enabled, and login rejects", async () => {
    await startFake({ privilegedIntents: { messageContent: false } });
    const error = await failureOf(clientFor().login(fake.token));
    expect(String(error)).toMatch(/disallowed intents/i);
    expect(fake.connections[0]?.closeCode).toBe(4014);
  });

  it("blanks guild message content for a client without the message content intent, unless it is mentioned", async () => {
    const client = await loggedIn([
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.DirectMessages,
    ]);
    const contents: string[] = [];
    handle(client, Events.MessageCreate, (m: Message) => contents.push(m.content));
    fake.sendMessage({ channel: DEFAULT_CHANNEL_ID, content: "secret" });
    fake.sendMessage({ channel: DEFAULT_CHANNEL_ID, content: "for you", mentionBot: true });
    fake.sendMessage({ content: "a DM" });
    await expect.poll(() => contents).toEqual(["", `<@${fake.bot.id}> for you`, "a DM"]);
  });

  it("rejects content over 2000 code points, empty messages and bad component layouts with Discord's errors", async () => {
    const client = await loggedIn();
    const channel = client.channels.cache.get(DEFAULT_CHANNEL_ID) as TextChannel;
    const long = await failureOf(channel.send("x".repeat(2001)));
    expect(long).toBeInstanceOf(DiscordAPIError);
    expect((long as DiscordAPIError).status).toBe(400);
    expect((long as DiscordAPIError).rawError).toEqual({
      code: 50035,
      message: "Invalid Form Body",
      errors: {
        content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }] },
      },
    });
    await channel.send("😀".repeat(2000));

    const empty = await failureOf(channel.send({ content: "   " }));
    expect((empty as DiscordAPIError).code).toBe(50006);

    const button = { type: 2, style: 1, label: "Go", custom_id: "go" };
    const select = { type: 3, custom_id: "menu", options: [{ label: "A", value: "a" }] };
    const crowded = await failureOf(
      channel.send({ content: "x", components: [{ type: 1, components: [button, select] }] }),
    );
    expect((crowded as DiscordAPIError).rawError).toMatchObject({
      errors: {
        components: { 0: { components: { 1: { _errors: [{ code: "COMPONENT_LAYOUT_WIDTH_EXCEEDED" }] } } } },
      },
    });
    const sixButtons = Array.from({ length: 6 }, (_, i) => ({ ...button, custom_id: `b${i}` }));
    const wide = await failureOf(
      channel.send({ content: "x", components: [{ type: 1, components: sixButtons }] }),
    );
    expect((wide as DiscordAPIError).code).toBe(50035);
  });

  it("retries through a scripted 429 with Discord's rate-limit headers", async () => {
    const client = await loggedIn();
    fake.failNext("POST", "/channels/:channel/messages", { status: 429, retryAfter: 0.2 });
    const channel = client.channels.cache.get(DEFAULT_CHANNEL_ID) as TextChannel;
    const sent = await channel.send("after the limit");
    expect(sent.content).toBe("after the limit");
    const posts = fake.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.response?.status)).toEqual([429, 200]);
    expect(posts[0]?.response?.body).toEqual({
      message: "You are being rate limited.",
      retry_after: 0.2,
      global: false,
    });
  });
});

describe("discord fake gateway protocol (raw WebSocket)", () => {
  /** A raw gateway client that queues every frame it gets. */
  async function connect(url = fake.gatewayUrl): Promise<{
    socket: WebSocket;
    next(): Promise<{ op: number; t: string | null; s: number | null; d: Record<string, unknown> }>;
    closed: Promise<number>;
  }> {
    const socket = new WebSocket(`${url}?v=10&encoding=json`);
    sockets.push(socket);
    const queue: unknown[] = [];
    const waiting: ((value: unknown) => void)[] = [];
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as unknown;
      const waiter = waiting.shift();
      if (waiter) waiter(frame);
      else queue.push(frame);
    });
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    await once(socket, "open");
    return {
      socket,
      next: () =>
        (queue.length
          ? Promise.resolve(queue.shift())
          : new Promise((resolve) => waiting.push(resolve))) as never,
      closed,
    };
  }

  const identify = (token: string) =>
    JSON.stringify({
      op: 2,
      d: { token, intents: INTENTS.Guilds | INTENTS.GuildMessages | INTENTS.MessageContent, properties: {} },
    });

  it("says HELLO, ACKs heartbeats, closes 4004 on a wrong token", async () => {
    const conn = await connect();
    expect(await conn.next()).toMatchObject({ op: 10, d: { heartbeat_interval: 1000 } });
    conn.socket.send(JSON.stringify({ op: 1, d: null }));
    expect(await conn.next()).toMatchObject({ op: 11 });
    conn.socket.send(identify("nope"));
    expect(await conn.closed).toBe(4004);
    expect(fake.frames.at(-1)?.d).toMatchObject({ token: "<redacted>" });
  });

  it("replays dispatches after the resumed seq, then RESUMED; answers op 9 when told to or for an unknown session", async () => {
    const first = await connect();
    await first.next();
    first.socket.send(identify(fake.token));
    const ready = await first.next();
    expect(ready).toMatchObject({ op: 0, t: "READY", s: 1 });
    expect(await first.next()).toMatchObject({ t: "GUILD_CREATE", s: 2 });
    const session = ready.d.session_id as string;
    expect(ready.d.resume_gateway_url).toBe(`${fake.gatewayUrl}/resume`);

    first.socket.close(4000);
    await first.closed;
    fake.sendMessage({ channel: DEFAULT_CHANNEL_ID, content: "one" });
    fake.sendMessage({ channel: DEFAULT_CHANNEL_ID, content: "two" });

    const second = await connect(`${fake.gatewayUrl}/resume`);
    await second.next();
    second.socket.send(JSON.stringify({ op: 6, d: { token: fake.token, session_id: session, seq: 2 } }));
    expect(await second.next()).toMatchObject({
      t: "MESSAGE_CREATE",
      s: 3,
      d: { content: "one", guild_id: DEFAULT_GUILD.id },
    });
    expect(await second.next()).toMatchObject({ t: "MESSAGE_CREATE", s: 4, d: { content: "two" } });
    expect(await second.next()).toMatchObject({ t: "RESUMED", s: 5 });

    second.socket.close(4000);
    await second.closed;
    fake.rejectNextResume();
    const third = await connect(`${fake.gatewayUrl}/resume`);
    await third.next();
    third.socket.send(JSON.stringify({ op: 6, d: { token: fake.token, session_id: session, seq: 5 } }));
    expect(await third.next()).toMatchObject({ op: 9, d: false });
    expect(fake.sessions()).toEqual([]);
    expect(() => fake.sendMessage({ content: "nobody listens" })).toThrow(/waitForReady/);
  });
});
