import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  Client,
  Interaction,
  Message,
  StringSelectMenuInteraction,
} from "discord.js";
import {
  type AdapterHost,
  type AdapterIdentity,
  type ChatAdapter,
  type IncomingMessage,
  type Reply,
  TesseraError,
  toPlainText,
  typingIndicator,
} from "../../src/router/index.js";
import { syncApplicationCommands } from "./app-commands.js";
import { type DiscordMessage, NO_PINGS, renderMessages } from "./render.js";
import { incomingFromMessage, senderOf } from "./translate.js";

export interface DiscordAdapterOptions {
  token: string;
  /** Where the token was set, for the fix of a rejected token (see `TelegramAdapterOptions.tokenSetting`). */
  tokenSetting?: string;
  /** REST root without the version (`channels.discord.apiBase`); the gateway URL comes from `{apiBase}/v10/gateway/bot`. */
  apiBase?: string;
  /** `channels.discord.commands`. */
  commands: "global" | "guild" | "off";
  /** `channels.discord.guilds`: where `guild` commands go (and, in the router, the only guilds served). */
  guilds: string[];
}

/** Interactions must be acknowledged within 3 s; work still running after this is deferred first. */
const DEFER_AFTER_MS = 2_000;
/** The typing indicator lasts about 10 s. */
const TYPING_EVERY_MS = 8_000;
/** How long `start` waits for the gateway to be ready. */
const READY_TIMEOUT_MS = 60_000;
/** The fix of a rejected token, naming where it was set. */
function tokenFix(setting = "DISCORD_BOT_TOKEN in <state dir>/.env or channels.discord.token"): string {
  return `copy the bot token from the Discord developer portal (Applications → your app → Bot → Reset Token) into ${setting}`;
}
const INTENT_FIX =
  "Discord developer portal → Applications → your app → Bot → Privileged Gateway Intents: turn on Message Content Intent, save, then start the gateway again";

/**
 * The Discord adapter (discord.js): a client with only the intents it needs (guilds, guild
 * messages, DMs, message content), text commands and plain messages in DMs, channels and threads,
 * the registry's application commands with autocomplete, pickers as string selects with ‹ ›
 * buttons (updated in place), ephemeral answers where the router asks for them. discord.js
 * reconnects and resumes on its own and honours REST rate limits; each reconnect is one log line.
 */
export class DiscordAdapter implements ChatAdapter {
  readonly channel = "discord" as const;
  private client: Client | undefined;
  private host: AdapterHost | undefined;
  private accepting = true;

  constructor(private readonly opts: DiscordAdapterOptions) {
    // Start loading discord.js now, while the gateway reads its files and sets up its log.
    void import("discord.js").catch(() => {});
  }

  async start(host: AdapterHost): Promise<AdapterIdentity> {
    this.host = host;
    const { Client, GatewayIntentBits, Partials, Events } = await import("discord.js");
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
      ],
      // DM channels are not cached before their first message; without this their messages are dropped.
      partials: [Partials.Channel],
      rest: this.opts.apiBase ? { api: this.opts.apiBase.replace(/\/+$/, "") } : {},
      allowedMentions: NO_PINGS,
    });
    this.client = client;
    client.on(Events.MessageCreate, (message) => void this.onMessage(message));
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction));
    client.on(Events.ShardReconnecting, () => {
      host.log.warn("connection to Discord lost; reconnecting");
      host.connection("reconnecting", "connection to Discord lost");
    });
    client.on(Events.ShardResume, (_id, replayed) => {
      host.log.info(`reconnected to Discord (session resumed, ${replayed} event(s) replayed)`);
      host.connection("ready");
    });
    client.on(Events.Error, (err) => host.log.error(`Discord client error: ${err.message}`));

    await this.login(client);
    // After start: a connection Discord closes for good (token reset in the portal: 4004; intents
    // changed: 4014) stops the gateway with the fix, and a reconnect with a new session is logged too.
    client.on(Events.ShardDisconnect, (event) =>
      host.fail(closeError(event.code, tokenFix(this.opts.tokenSetting))),
    );
    client.on(Events.ShardReady, () => {
      host.log.info("reconnected to Discord (new session)");
      host.connection("ready");
    });
    if (this.opts.commands === "guild" && this.opts.guilds.length === 0) {
      host.log.warn(
        'channels.discord.commands is "guild" but channels.discord.guilds is empty: no slash commands are registered',
        {
          fix: 'list the server ids in channels.discord.guilds, or set channels.discord.commands to "global"',
        },
      );
    }
    const app = await client.application!.fetch().catch(() => client.application!);
    try {
      const written = await syncApplicationCommands(
        client.rest,
        app.id,
        host.commands,
        this.opts.commands,
        this.opts.guilds,
      );
      if (written > 0) host.log.info(`application commands updated (${written} scope(s))`);
    } catch (err) {
      host.log.warn(`could not register the Discord application commands: ${describe(err)}`);
    }
    const user = client.user!;
    return {
      channel: "discord",
      name: `${user.username}#${user.discriminator === "0" ? "0000" : user.discriminator}`,
      id: user.id,
      detail: `ready in ${client.guilds.cache.size} guild${client.guilds.cache.size === 1 ? "" : "s"}`,
    };
  }

  async stop(): Promise<void> {
    this.accepting = false;
  }

  async close(): Promise<void> {
    // Our own close is not a lost connection: nothing of it should be logged or reported.
    this.client?.removeAllListeners();
    await this.client?.destroy();
  }

  /** Logs in and waits for READY; bad tokens and a missing intent become errors with their fix. */
  private async login(client: Client): Promise<void> {
    const { Events } = await import("discord.js");
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new TesseraError(
              "CHANNEL_FAILED",
              "Discord did not get ready within 60 s",
              "check this host's network connection and channels.discord.apiBase",
            ),
          ),
        READY_TIMEOUT_MS,
      );
      const done = (err?: Error) => {
        clearTimeout(timer);
        client.off(Events.ShardDisconnect, onDisconnect);
        if (err) {
          void client.destroy();
          reject(err);
        } else resolve();
      };
      const onDisconnect = (event: { code: number }) => {
        if (event.code === 4014) {
          done(
            new TesseraError(
              "CHANNEL_FAILED",
              "Discord refused the Message Content intent (close 4014): it is not enabled for this bot",
              INTENT_FIX,
            ),
          );
        } else if (event.code === 4004) {
          done(
            new TesseraError(
              "CHANNEL_FAILED",
              "Discord rejected the bot token (close 4004)",
              tokenFix(this.opts.tokenSetting),
            ),
          );
        } else {
          done(
            new TesseraError(
              "CHANNEL_FAILED",
              `Discord closed the connection (code ${event.code})`,
              tokenFix(this.opts.tokenSetting),
            ),
          );
        }
      };
      client.once(Events.ClientReady, () => done());
      client.on(Events.ShardDisconnect, onDisconnect);
      client.login(this.opts.token).catch((err: Error & { code?: string }) => {
        if (/disallowed intent/i.test(err.message)) {
          done(
            new TesseraError(
              "CHANNEL_FAILED",
              "Discord refused the Message Content intent (close 4014): it is not enabled for this bot",
              INTENT_FIX,
            ),
          );
        } else if (err.code === "TokenInvalid" || /token/i.test(err.message)) {
          done(
            new TesseraError(
              "CHANNEL_FAILED",
              "Discord rejected the bot token (401 Unauthorized)",
              tokenFix(this.opts.tokenSetting),
            ),
          );
        } else {
          done(
            new TesseraError(
              "CHANNEL_FAILED",
              `cannot connect to Discord: ${err.message}`,
              "check this host's network connection and channels.discord.apiBase",
            ),
          );
        }
      });
    });
  }

  private async onMessage(message: Message): Promise<void> {
    if (!this.accepting || !this.client?.user) return;
    const incoming = incomingFromMessage(message, this.client.user.id);
    if (!incoming) return;
    const toModel = incoming.addressed && !/^\s*\//.test(incoming.text);
    const channel = message.channel;
    const typing =
      toModel && "sendTyping" in channel
        ? typingIndicator(() => channel.sendTyping(), TYPING_EVERY_MS)
        : undefined;
    await this.host!.dispatch(incoming, {
      deliver: async (replies) => {
        typing?.stop();
        let first = incoming.chatType !== "dm";
        for (const reply of replies) {
          for (const part of renderMessages(reply)) {
            const payload = { ...part, allowedMentions: NO_PINGS };
            const channel = message.channel;
            if (first) await message.reply(payload);
            else if (channel.isSendable()) await channel.send(payload);
            first = false;
          }
        }
      },
    }).finally(() => typing?.stop());
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (!this.accepting) return;
    try {
      if (interaction.isAutocomplete()) await this.onAutocomplete(interaction);
      else if (interaction.isChatInputCommand()) await this.onCommand(interaction);
      else if (interaction.isButton() || interaction.isStringSelectMenu()) await this.onPress(interaction);
    } catch (err) {
      this.host?.log.error(`answering a Discord interaction failed: ${describe(err)}`);
    }
  }

  private async onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const sender = senderOf(interaction);
    const focused = interaction.options.getFocused(true);
    const values: Record<string, string | undefined> = {};
    for (const option of interaction.options.data) values[option.name] = String(option.value ?? "");
    const choices = sender
      ? await this.host!.autocomplete({
          message: sender,
          command: interaction.commandName,
          arg: focused.name,
          values,
        })
      : [];
    await interaction.respond(choices.map((c) => ({ name: c.label, value: c.value })));
  }

  private async onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const sender = senderOf(interaction);
    const command = this.host!.commands.find((c) => c.name === interaction.commandName);
    if (!sender || !command) {
      await interaction.reply({ content: "This command is not available here.", flags: EPHEMERAL });
      return;
    }
    const values: Record<string, string | undefined> = {};
    for (const arg of command.args) values[arg.name] = interaction.options.getString(arg.name) ?? undefined;
    const incoming: IncomingMessage = { ...sender, text: command.toText(values), source: "native" };
    await this.answer(interaction, incoming, () => interaction.deferReply({ flags: EPHEMERAL }));
  }

  private async onPress(interaction: ButtonInteraction | StringSelectMenuInteraction): Promise<void> {
    const sender = senderOf(interaction);
    const token = interaction.isStringSelectMenu() ? interaction.values[0] : interaction.customId;
    if (!sender || !token) {
      await interaction.reply({ content: "This menu is gone — send /model again.", flags: EPHEMERAL });
      return;
    }
    const incoming: IncomingMessage = { ...sender, text: token, source: "button" };
    await this.answer(interaction, incoming, () => interaction.deferUpdate());
  }

  /**
   * Dispatches an interaction's message and answers it exactly once: a notice as an ephemeral
   * reply, an `edit` by updating the message the component was on, anything else as a reply (then
   * follow-ups). Work that outlasts `DEFER_AFTER_MS` is deferred first, so Discord never shows
   * "This interaction failed".
   */
  private async answer(
    interaction: ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction,
    incoming: IncomingMessage,
    defer: () => Promise<unknown>,
  ): Promise<void> {
    let deferred: Promise<unknown> | undefined;
    const timer = setTimeout(() => {
      deferred = defer().catch(() => {});
    }, DEFER_AFTER_MS);
    await this.host!.dispatch(incoming, {
      deliver: async (replies) => {
        clearTimeout(timer);
        await deferred;
        let answered = false;
        // Discord shows "This interaction failed" unless it is answered: silence still gets a word.
        for (const reply of replies.length ? replies : [{ text: "Nothing to show here.", notice: true }]) {
          for (const part of renderMessages(reply)) {
            await this.send(interaction, reply, part, { answered, deferred: deferred !== undefined });
            answered = true;
          }
        }
      },
    });
    clearTimeout(timer);
  }

  private async send(
    interaction: ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction,
    reply: Reply,
    part: DiscordMessage,
    state: { answered: boolean; deferred: boolean },
  ): Promise<void> {
    const payload = { content: part.content, components: part.components, allowedMentions: NO_PINGS };
    if (reply.notice) {
      const text = toPlainText(reply.text);
      if (state.answered || state.deferred) await interaction.followUp({ content: text, flags: EPHEMERAL });
      else await interaction.reply({ content: text, flags: EPHEMERAL });
      return;
    }
    if (!state.answered && reply.edit && !interaction.isChatInputCommand()) {
      if (state.deferred) await interaction.editReply(payload);
      else await interaction.update(payload);
      return;
    }
    if (!state.answered && !state.deferred) {
      await interaction.reply({ ...payload, flags: EPHEMERAL });
    } else if (!state.answered && interaction.isChatInputCommand()) {
      await interaction.editReply(payload);
    } else {
      await interaction.followUp({ ...payload, flags: EPHEMERAL });
    }
  }
}

/**
 * `MessageFlags.Ephemeral`: slash commands and menu presses are answered to whoever used them (a pin
 * still applies to the whole channel's session); text commands typed in a channel stay public.
 */
const EPHEMERAL = 1 << 6;

/** A gateway close Discord does not let the client recover from, with its fix. */
function closeError(code: number, tokenFixText: string): TesseraError {
  if (code === 4014) {
    return new TesseraError(
      "CHANNEL_FAILED",
      "Discord refused the Message Content intent (close 4014): it is not enabled for this bot",
      INTENT_FIX,
    );
  }
  if (code === 4004)
    return new TesseraError("CHANNEL_FAILED", "Discord rejected the bot token (close 4004)", tokenFixText);
  return new TesseraError(
    "CHANNEL_FAILED",
    `Discord closed the connection for good (code ${code})`,
    tokenFixText,
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
