/**
 * A real chat stack in a temp dir for router, command and adapter tests: config file, auth store,
 * session store, audit log and the composed router — nothing mocked. Every reply that passes through
 * `send` is checked for secret fragments, so no test can forget to.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allSecretsOf, type Credential } from "../../src/auth/credentials.js";
import { flushDeferredSuccesses } from "../../src/auth/deferred-successes.js";
import type { PlainMessageHandler } from "../../src/router/index.js";
import { toPlainText } from "../../src/router/markup.js";
import type { Router } from "../../src/router/router.js";
import type { IncomingMessage, Reply } from "../../src/router/types.js";
import { composeRouter } from "../../src/runtime/compose.js";
import { type AgentServices, openAgentServices } from "../../src/runtime/services.js";
import { type Pins, type SessionStore, settleSessionWrites } from "../../src/sessions/session-store.js";
import { expectNoSecretIn, fakeSecret } from "../support/secrets.js";

export interface ChatFixture {
  dir: string;
  stateDir: string;
  home: string;
  services: AgentServices;
  sessions: SessionStore;
  router: Router;
  /** Every secret seeded into the store or the environment. */
  secrets: string[];
  /** Sends one message (console owner by default) and returns the replies, checked for secrets. */
  send(text: string, overrides?: Partial<IncomingMessage>): Promise<Reply[]>;
  /** `send`, then the replies' text as a person reads it (markup removed), joined. */
  say(text: string, overrides?: Partial<IncomingMessage>): Promise<string>;
  /** The session's pins as on disk now. */
  pins(sessionKey: string): Promise<Pins>;
  /** New services, store and router on the same directory: what a process restart sees. */
  restart(): Promise<void>;
  seedProfile(id: string, credential: Credential): Promise<void>;
  cleanup(): Promise<void>;
}

export interface FixtureOptions {
  config?: Record<string, unknown>;
  profiles?: Record<string, Credential>;
  env?: Record<string, string>;
  onPlainMessage?: PlainMessageHandler;
}

/** Answers a plain message with `echo: <text>`, so routing tests can see what reached the handler. */
export const echoHandler: PlainMessageHandler = async ({ message }) => ({
  text: `echo: ${message.text}`,
  format: "plain",
});

export async function chatFixture(opts: FixtureOptions = {}): Promise<ChatFixture> {
  const dir = await mkdtemp(join(tmpdir(), "tessera-chat-"));
  const stateDir = join(dir, "state");
  const home = join(dir, "home");
  await mkdir(home, { recursive: true });
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (opts.config)
    await writeFile(join(stateDir, "config.json"), JSON.stringify(opts.config), { mode: 0o600 });
  const secrets = [...Object.values(opts.env ?? {})];

  const open = async () => {
    const services = await openAgentServices({ stateDir, processEnv: { HOME: home, ...opts.env } });
    const sessions = services.sessions;
    // Plain messages echo unless a test passes a handler: these tests are about routing, and the real
    // agent turn has its own tests against the fake providers (test/runtime, test/e2e).
    const router = composeRouter({ services, onPlainMessage: opts.onPlainMessage ?? echoHandler });
    return { services, sessions, router };
  };

  const fixture: ChatFixture = {
    dir,
    stateDir,
    home,
    ...(await open()),
    secrets,
    async send(text, overrides = {}) {
      const replies = await fixture.router.handle(consoleMessage(text, overrides));
      for (const reply of replies) {
        expectNoSecretIn(JSON.stringify(reply), fixture.secrets);
      }
      return replies;
    },
    async say(text, overrides) {
      return (await fixture.send(text, overrides)).map((r) => toPlainText(r.text)).join("\n\n");
    },
    async pins(sessionKey) {
      const entry = await fixture.sessions.get(sessionKey);
      return { model: entry?.model?.ref, profile: entry?.profile?.id };
    },
    async restart() {
      Object.assign(fixture, await open());
    },
    async seedProfile(id, credential) {
      fixture.secrets.push(...allSecretsOf(credential));
      await fixture.services.store.upsertProfile(id, credential, { actor: "test", surface: "test" });
    },
    async cleanup() {
      // The agent turn hands its answer back before the session's history write lands, and usage is
      // written in batches: both must be done before the directory goes, or they race its removal.
      await settleSessionWrites();
      await flushDeferredSuccesses();
      await rm(dir, { recursive: true, force: true });
    },
  };
  for (const [id, credential] of Object.entries(opts.profiles ?? {}))
    await fixture.seedProfile(id, credential);
  return fixture;
}

/** A message from the console user unless overridden (channel, sender, chat type …). */
export function consoleMessage(text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    channel: "console",
    chatId: "local",
    chatType: "dm",
    senderId: "local",
    text,
    addressed: true,
    ...overrides,
  };
}

/** A Telegram DM from `userId`. */
export function telegramDm(userId: string): Partial<IncomingMessage> {
  return { channel: "telegram", chatId: userId, chatType: "dm", senderId: userId, botUsername: "TesseraBot" };
}

const KEY_PREFIX: Record<string, string> = {
  anthropic: "sk-ant-api03-",
  openai: "sk-proj-",
  openrouter: "sk-or-v1-",
};

/** A fresh, random api_key credential for `provider`. */
export function apiKeyFor(provider: string): Credential {
  return { type: "api_key", provider, key: fakeSecret(KEY_PREFIX[provider] ?? "sk-") };
}
