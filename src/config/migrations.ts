/**
 * Legacy config values and how they map to today's. Applied to the raw JSON on every load, in
 * memory, each reporting a one-line notice; `tessera doctor --fix` writes the result back. A migration
 * returns the notice when it changed something.
 */
export interface ConfigMigration {
  id: string;
  apply(raw: Record<string, unknown>): string | undefined;
}

export const CONFIG_MIGRATIONS: ConfigMigration[] = [
  {
    // The Claude Code slot may hold an oauth credential (with refresh token) or a static token;
    // mode "token" would refuse the oauth one, "oauth" accepts both.
    id: "auth.claude-cli-mode-oauth",
    apply(raw) {
      const entry = getPath(raw, ["auth", "profiles", "anthropic:claude-cli"]);
      if (!isRecord(entry) || entry.mode !== "token") return undefined;
      entry.mode = "oauth";
      return 'auth.profiles["anthropic:claude-cli"].mode: "token" → "oauth" (Claude Code credentials may refresh)';
    },
  },
];

/** Runs every migration on `raw` in place and returns the notices of those that changed something. */
export function migrateConfig(raw: Record<string, unknown>): string[] {
  const notices: string[] = [];
  for (const migration of CONFIG_MIGRATIONS) {
    const notice = migration.apply(raw);
    if (notice) notices.push(notice);
  }
  return notices;
}

function getPath(root: unknown, keys: string[]): unknown {
  let node = root;
  for (const key of keys) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
