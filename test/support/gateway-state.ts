import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthStore } from "../../src/auth/auth-store.js";
import type { ChatFake } from "../fakes/chat-fake.js";
import type { GatewayProcess } from "./run-gateway.js";
import { fakeSecret } from "./secrets.js";

/** Where a gateway end-to-end test runs: a temp state dir and the environment the child gets. */
export interface GatewayState {
  dir: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** The stored Anthropic keys: `anthropic:default` first in the order, then `anthropic:work`. */
  keys: { default: string; work: string };
  /** Writes `config.json` (replacing it). */
  writeConfig(config: Record<string, unknown>): Promise<void>;
}

/**
 * The common start of the gateway e2e tests: a fresh state dir whose config points Anthropic at the
 * stand-in (plus `config`), two stored Anthropic keys in a fixed order, an environment with nothing
 * of the test's own, and the stand-in reset to echo the last user message.
 */
export async function gatewayState(
  name: string,
  anthropic: ChatFake,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<GatewayState> {
  const dir = await mkdtemp(join(tmpdir(), `tessera-e2e-${name}-`));
  const stateDir = join(dir, "state");
  await mkdir(stateDir, { recursive: true });
  anthropic.requests.length = 0;
  anthropic.resetScript();
  anthropic.setReplyText((req) => {
    const messages = (req.body?.messages ?? []) as { content: string }[];
    return `echo: ${messages.at(-1)?.content ?? ""}`;
  });
  const writeConfig = (more: Record<string, unknown>) =>
    writeFile(
      join(stateDir, "config.json"),
      JSON.stringify({ models: { providers: { anthropic: { baseUrl: anthropic.url } } }, ...more }),
    );
  await writeConfig(config);
  const keys = { default: fakeSecret("sk-ant-api03-"), work: fakeSecret("sk-ant-api03-") };
  const who = { actor: "cli:test", surface: "cli" };
  const store = new AuthStore(stateDir, "main");
  await store.upsertProfile(
    "anthropic:default",
    { type: "api_key", provider: "anthropic", key: keys.default },
    who,
  );
  await store.upsertProfile(
    "anthropic:work",
    { type: "api_key", provider: "anthropic", key: keys.work },
    who,
  );
  await store.setOrder("anthropic", ["anthropic:default", "anthropic:work"], who);
  return {
    dir,
    stateDir,
    keys,
    writeConfig,
    env: {
      PATH: process.env.PATH,
      HOME: join(dir, "home"),
      TESSERA_STATE_DIR: stateDir,
      TESSERA_PROVIDER_RETRIES: "0",
      NO_COLOR: "1",
      ...env,
    },
  };
}

/** Stops a gateway a test left running (SIGTERM, then waits for it). */
export async function stopGateway(gateway: GatewayProcess | undefined): Promise<void> {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill("SIGTERM");
    await gateway.exited;
  }
}
