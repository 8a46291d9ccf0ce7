/**
 * The parts of a benchmark's state dir every gateway benchmark sets up the same way: one Anthropic
 * key stored through the built sources' own AuthStore (so the store layout is the one measured), and
 * the minimal environment the gateway runs with (nothing of the caller's own, which would change
 * what is measured).
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Stores `anthropic:default` (a fixed fake key) in `state` with the AuthStore built into `dist`. */
export async function storeBenchKey(dist, state) {
  const { AuthStore } = await import(pathToFileURL(join(dist, "src", "auth", "auth-store.js")).href);
  await new AuthStore(state, "main").upsertProfile(
    "anthropic:default",
    { type: "api_key", provider: "anthropic", key: `sk-ant-api03-${"b".repeat(86)}` },
    { actor: "cli:bench", surface: "cli" },
  );
}

/** The gateway's environment: PATH, a HOME under `root`, the state dir, no colour, plus `more`. */
export function benchEnv(root, state, more = {}) {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(root, "home"),
    TESSERA_STATE_DIR: state,
    NO_COLOR: "1",
    ...more,
  };
}
