import { dirname, join } from "node:path";
import type { Actor } from "../audit/audit-log.js";
import { TesseraError } from "../errors.js";
import { withFileLock } from "../files/file-lock.js";
import { ownEntry } from "../own-entry.js";
import type { AuthStore } from "./auth-store.js";
import {
  CLAUDE_CLI_PROFILE_ID,
  type ClaudeCodeLocation,
  syncClaudeCode,
  writeBackClaudeCode,
} from "./claude-code.js";
import type { OAuthCredential } from "./credentials.js";
import { fingerprint, redactSecrets } from "./mask.js";
import { ANTHROPIC_OAUTH_CLIENT_ID, postTokenGrant, type TokenResponse } from "./oauth-token-endpoint.js";

/** Refresh when less than this remains, so a request never starts with a token about to die. */
export const REFRESH_SKEW_MS = 5 * 60_000;

export interface RefreshOptions {
  /** Refresh even if the token looks fresh (the provider just answered 401). */
  force?: boolean;
  /** The access token the provider rejected; a forced refresh is skipped when the stored one differs. */
  rejectedAccess?: string;
}

export interface OAuthRefresherDeps {
  store: AuthStore;
  /** Token endpoint (config `models.providers.anthropic.oauthTokenUrl`). */
  tokenUrl: string;
  /** Where Claude Code keeps its credential; enables re-read before and write-back after refreshing `anthropic:claude-cli`. */
  claudeCode?: ClaudeCodeLocation;
  timeoutMs?: number;
  now?: () => number;
  who?: Actor;
}

/**
 * Keeps oauth credentials alive (PRODUCT §5). A refresh happens at most once per credential at a
 * time across every process:
 * - in-process, concurrent callers share one promise (single flight);
 * - across processes, a per-credential lock (`<agent>/refresh-locks/<id>`) is held around the token
 *   exchange, and the store is re-read after taking it, so a token another process already rotated is
 *   reused instead of spending the (single-use) refresh token again;
 * - the rotated pair is swapped into the store under the store's own short lock, compare-and-swap on
 *   the refresh token, so a concurrent re-login is never overwritten.
 * A failed refresh marks the profile needs-reauth with the provider's words (secrets removed); it is
 * not retried in a loop.
 */
export class OAuthRefresher {
  private readonly inflight = new Map<string, Promise<OAuthCredential>>();
  private readonly now: () => number;

  constructor(private readonly deps: OAuthRefresherDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Returns the profile's oauth credential with at least five minutes left, refreshing if needed. */
  async fresh(profileId: string, opts: RefreshOptions = {}): Promise<OAuthCredential> {
    const running = this.inflight.get(profileId);
    if (running) {
      // Someone in this process is already refreshing: wait, then decide again on the result.
      await running.catch(() => {});
      return this.fresh(profileId, opts);
    }
    const job = this.refreshIfNeeded(profileId, opts).finally(() => this.inflight.delete(profileId));
    this.inflight.set(profileId, job);
    return job;
  }

  private async current(profileId: string): Promise<OAuthCredential> {
    const profiles = (await this.deps.store.profilesFile.read()).profiles;
    const credential = Object.hasOwn(profiles, profileId) ? profiles[profileId] : undefined;
    if (credential?.type !== "oauth") {
      throw new TesseraError(
        "PROFILE_NOT_FOUND",
        `profile ${profileId} is not an oauth credential (it is ${credential ? credential.type : "missing"})`,
        "tessera models auth list",
      );
    }
    return credential;
  }

  private needsRefresh(credential: OAuthCredential, opts: RefreshOptions): boolean {
    if (opts.force) return opts.rejectedAccess === undefined || credential.access === opts.rejectedAccess;
    return credential.expires !== undefined && credential.expires - this.now() < REFRESH_SKEW_MS;
  }

  private async refreshIfNeeded(profileId: string, opts: RefreshOptions): Promise<OAuthCredential> {
    let credential = await this.current(profileId);
    if (!this.needsRefresh(credential, opts)) return credential;
    const lockPath = join(dirname(this.deps.store.path), "refresh-locks", encodeURIComponent(profileId));
    const timeoutMs = this.deps.timeoutMs ?? 30_000;
    return withFileLock(
      lockPath,
      async () => {
        credential = await this.current(profileId);
        if (!this.needsRefresh(credential, opts)) return credential; // another process refreshed it
        if (
          profileId === CLAUDE_CLI_PROFILE_ID &&
          credential.origin === "claude-code" &&
          this.deps.claudeCode
        ) {
          // Claude Code may have refreshed on its own; its newer token is as good as ours and costs nothing.
          await syncClaudeCode(this.deps.store, this.deps.claudeCode);
          credential = await this.current(profileId);
          if (!this.needsRefresh(credential, opts)) return credential;
        }
        return this.exchange(profileId, credential, timeoutMs);
      },
      { waitMs: timeoutMs + 15_000 },
    );
  }

  private async exchange(
    profileId: string,
    old: OAuthCredential,
    timeoutMs: number,
  ): Promise<OAuthCredential> {
    const { store } = this.deps;
    let tokens: TokenResponse;
    try {
      tokens = await postTokenGrant(
        this.deps.tokenUrl,
        { grant_type: "refresh_token", refresh_token: old.refresh, client_id: ANTHROPIC_OAUTH_CLIENT_ID },
        { timeoutMs, secrets: [old.access, old.refresh] },
      );
    } catch (err) {
      // postTokenGrant's messages carry no secret; anything else is masked here all the same.
      const reason = redactSecrets((err as Error).message, [old.access, old.refresh]);
      await store.markFailure(profileId, "auth", {
        message: `token refresh failed: ${reason}`,
        now: this.now(),
      });
      throw new TesseraError(
        "OAUTH_FAILED",
        `refreshing ${profileId} failed: ${reason}`,
        profileId === CLAUDE_CLI_PROFILE_ID
          ? "run `claude` and log in again, then `tessera models status`"
          : `tessera models auth login --provider ${old.provider}`,
      );
    }
    const updated: OAuthCredential = {
      ...old,
      access: tokens.access_token,
      refresh: tokens.refresh_token ?? old.refresh,
      expires: this.now() + tokens.expires_in * 1000,
      updatedAt: this.now(),
    };
    const stored = await store.profilesFile.update((data) => {
      const current = ownEntry(data.profiles, profileId);
      // Compare-and-swap: if the profile changed under us (a re-login), keep the newer one.
      if (current?.type === "oauth" && current.refresh !== old.refresh) return current;
      data.profiles[profileId] = updated;
      return updated;
    });
    if (stored === updated) {
      await store.clearUsageMarks(profileId);
      if (profileId === CLAUDE_CLI_PROFILE_ID && old.origin === "claude-code" && this.deps.claudeCode) {
        await writeBackClaudeCode(this.deps.claudeCode, {
          access: updated.access,
          refresh: updated.refresh,
          expires: updated.expires!,
        });
      }
      await store.auditLog?.append(
        this.deps.who ?? { actor: "tessera", surface: "runtime" },
        "profile.refresh",
        {
          agent: store.agentId,
          target: profileId,
          detail: `oauth #${fingerprint(updated.access)}`,
        },
      );
    }
    return stored as OAuthCredential;
  }
}
