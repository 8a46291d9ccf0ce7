import { claudeCodeLocation } from "../auth/claude-code.js";
import { allSecretsOf, type Credential } from "../auth/credentials.js";
import { redactSecrets } from "../auth/mask.js";
import { OAuthRefresher } from "../auth/oauth-refresh.js";
import { type Candidate, credentialOf, type Resolution, resolveCandidates } from "../auth/resolver.js";
import { credentialFix, noUsableCredentialFix, refusedAsClaudeCodeOnly } from "../auth/status-report.js";
import { formatSpan, parseDuration } from "../config/duration.js";
import type { Config } from "../config/schema.js";
import { isTesseraError } from "../errors.js";
import { formatRef, type ModelRef } from "../models/catalog.js";
import { ANTHROPIC_OAUTH_TOKEN_URL, type ProviderInfo, providerInfo } from "../models/provider-catalog.js";
import { CLAUDE_CODE_ONLY_ADVICE, CLAUDE_CODE_ONLY_FIX, ProviderError } from "../models/provider-error.js";
import type { ChatAnswer, ChatClient, ChatMessage, WireCredential } from "../models/providers/chat-types.js";
import { clientFor as defaultClientFor } from "../models/providers/client-for.js";
import type { AgentServices } from "./services.js";

/** The conversation memory a turn needs; the session store provides it. */
export interface ConversationMemory {
  history(sessionKey: string): Promise<ChatMessage[]>;
  appendHistory(sessionKey: string, messages: ChatMessage[]): Promise<void>;
  /** The file a session's history is kept in, for messages about it. */
  pathOf?(sessionKey: string): string;
}

export interface TurnInput {
  sessionKey: string;
  text: string;
  model: ModelRef;
  /** The session's pinned profile for this provider, if any: used alone, never failed over. */
  pin?: string;
  /** The session's history when the caller already holds it; otherwise it is read from `memory`. */
  history?: ChatMessage[];
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

/** What a turn produced. `error` is set when no model answered; its text is safe to show. */
export interface TurnResult {
  text: string;
  model: string;
  /** The candidate (profile id or `env:NAME`) that answered. */
  answeredBy?: string;
  /** One line saying which credential answered after others failed. */
  note?: string;
  error?: { message: string; fix: string };
}

/**
 * Bookkeeping after a model answer that could not be written (read-only state dir, full disk): the
 * answer was delivered all the same, and this says what was not recorded, with the fix.
 */
export interface BookkeepingFailure {
  message: string;
  fix: string;
}

export interface AgentTurnDeps {
  services: AgentServices;
  memory: ConversationMemory;
  /**
   * Where bookkeeping failures go (the log, the owners); default: one line on stderr, which is the
   * gateway's log and the console user's terminal. Never called for the answer itself.
   */
  onBookkeepingFailure?: (failure: BookkeepingFailure) => void;
  clientFor?: (info: ProviderInfo) => ChatClient;
  now?: () => number;
  maxTokens?: number;
  /** How many earlier messages go with each request. */
  historyLimit?: number;
}

/**
 * One plain chat message → one model answer (PRODUCT §8, last bullet): the session's model, the
 * credential the resolver chose, the session's recent history. Without a user pin, an auth,
 * rate-limit or billing failure marks that credential and the next candidate is tried, and the answer
 * notes the switch; with a user pin the error is shown with its fix. Provider outages and bad requests
 * are not credential failures and are never failed over.
 */
export class AgentTurnRunner {
  private refresherState: { config: Config; refresher: OAuthRefresher } | undefined;
  private readonly clientFor: (info: ProviderInfo) => ChatClient;
  private readonly now: () => number;

  constructor(private readonly deps: AgentTurnDeps) {
    this.now = deps.now ?? Date.now;
    this.clientFor = deps.clientFor ?? defaultClientFor;
  }

  /**
   * The OAuth refresher for the config in use: built again after a config reload (the gateway
   * replaces `services.config`), so a changed token URL or Claude Code sync setting takes effect.
   */
  private get refresher(): OAuthRefresher {
    const { services } = this.deps;
    if (this.refresherState?.config !== services.config) {
      const refresher = new OAuthRefresher({
        store: services.store,
        tokenUrl: providerInfo(services.config, "anthropic")?.oauthTokenUrl ?? ANTHROPIC_OAUTH_TOKEN_URL,
        claudeCode: services.config.auth.claudeCode.sync
          ? claudeCodeLocation(services.processEnv, process.platform, services.processEnv.HOME)
          : undefined,
        now: this.now,
      });
      this.refresherState = { config: services.config, refresher };
    }
    return this.refresherState.refresher;
  }

  async run(input: TurnInput): Promise<TurnResult> {
    const { services } = this.deps;
    const modelRef = formatRef(input.model);
    const info = providerInfo(services.config, input.model.provider);
    if (!info) {
      return failure(
        modelRef,
        `unknown provider "${input.model.provider}"`,
        "/model list shows the models you can use",
      );
    }
    const resolution = resolveCandidates({
      provider: info.id,
      auth: await services.store.load(),
      config: services.config,
      env: services.env,
      pin: input.pin,
      now: this.now(),
      warnWithinMs: parseDuration(services.config.auth.warnWithin),
    });
    if (resolution.pinProblem)
      return failure(modelRef, resolution.pinProblem, "/model reset, or pin another profile");
    const queue = resolution.failover
      ? resolution.candidates.filter((c) => c.usable)
      : resolution.next
        ? [resolution.next]
        : [];
    if (queue.length === 0) return this.nothingUsable(modelRef, resolution);

    const history = (input.history ?? (await this.deps.memory.history(input.sessionKey))).slice(
      -(this.deps.historyLimit ?? 40),
    );
    const messages: ChatMessage[] = [...history, { role: "user", content: input.text }];
    const failed: string[] = [];
    let claudeCodeOnly = false;
    for (const candidate of queue) {
      try {
        const answer = await this.attempt(info, candidate, messages, input);
        this.recordAnswer(input, candidate.id, info.id, answer.text);
        return {
          text: answer.text,
          model: modelRef,
          answeredBy: candidate.id,
          note: failed.length ? `answered with ${candidate.id} (${failed.join("; ")})` : undefined,
        };
      } catch (err) {
        const verdict = await this.recordFailure(candidate, err);
        if (!verdict.failover || !resolution.failover) {
          const pinned = !resolution.failover
            ? ` (this session is pinned to ${candidate.id}; pins never fail over)`
            : "";
          return failure(modelRef, `${verdict.message}${pinned}`, verdict.fix, failed);
        }
        failed.push(`${candidate.id}: ${verdict.short}`);
        claudeCodeOnly ||= verdict.claudeCodeOnly === true;
      }
    }
    // Out of candidates: a Claude-Code-only refusal among them means more of the same cannot help.
    return failure(
      modelRef,
      `every ${info.id} credential failed: ${failed.join("; ")}`,
      claudeCodeOnly
        ? `${CLAUDE_CODE_ONLY_FIX}; tessera models status shows each credential's state`
        : "tessera models status shows each credential's state and the fix",
    );
  }

  /**
   * The bookkeeping after a paid answer, which must never cost the person that answer (issue 12.5)
   * nor hold it up: the credential's success is coalesced into the next batched `auth-state.json`
   * write (`AuthStore.markSuccess`), and the exchange is appended to the session's history in the
   * background — the answer goes out first. The session's next message waits for that write
   * (`SessionStore.get`), so it always sees this exchange. A write that fails (read-only state dir,
   * full disk) is reported through `onBookkeepingFailure`, with its path and fix.
   */
  private recordAnswer(input: TurnInput, candidateId: string, provider: string, answer: string): void {
    const { store } = this.deps.services;
    void store.markSuccess(candidateId, provider, this.now());
    const usageFailure = store.takeUsageWriteFailure();
    if (usageFailure) this.reportBookkeeping("the credential's last use", store.stateFile.path, usageFailure);
    const { memory } = this.deps;
    memory
      .appendHistory(input.sessionKey, [
        { role: "user", content: input.text },
        { role: "assistant", content: answer },
      ])
      .catch((err) =>
        this.reportBookkeeping("this exchange in the chat's history", memory.pathOf?.(input.sessionKey), err),
      );
  }

  private reportBookkeeping(what: string, path: string | undefined, err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    const message = `answered, but could not record ${what}${path ? ` in ${path}` : ""}: ${detail}`;
    const fix =
      (isTesseraError(err) && err.hint) ||
      `make the state dir writable and check that its disk has room (tessera doctor checks the files)`;
    const report = this.deps.onBookkeepingFailure ?? reportOnStderr;
    try {
      report({ message: redactSecrets(message), fix });
    } catch {
      // A reporter that fails must not turn the delivered answer into an error.
    }
  }

  /** One request with one candidate; an oauth credential is refreshed first if due, and once more on a 401. */
  private async attempt(
    info: ProviderInfo,
    candidate: Candidate,
    messages: ChatMessage[],
    input: TurnInput,
  ): Promise<ChatAnswer> {
    let credential: Credential = credentialOf(candidate);
    if (credential.type === "oauth" && candidate.kind === "profile")
      credential = await this.refresher.fresh(candidate.id);
    const client = this.clientFor(info);
    const request = {
      model: input.model.model,
      messages,
      maxTokens: this.deps.maxTokens ?? 4096,
      stream: input.onDelta !== undefined,
      onDelta: input.onDelta,
      signal: input.signal,
    };
    try {
      return await client.send(request, wireCredential(credential));
    } catch (err) {
      if (!(err instanceof ProviderError && err.kind === "auth" && credential.type === "oauth")) throw err;
      // A 401 on an oauth credential: exactly one forced refresh and one retry, never a loop.
      const refreshed = await this.refresher.fresh(candidate.id, {
        force: true,
        rejectedAccess: credential.access,
      });
      return client.send(request, wireCredential(refreshed));
    }
  }

  /** Marks the credential per the failure and says whether another candidate may help. */
  private async recordFailure(
    candidate: Candidate,
    err: unknown,
  ): Promise<{ failover: boolean; message: string; short: string; fix: string; claudeCodeOnly?: boolean }> {
    const { store } = this.deps.services;
    const secrets = allSecretsOf(credentialOf(candidate));
    const clean = (text: string) => redactSecrets(text, secrets);
    if (err instanceof ProviderError) {
      const message = clean(err.message);
      switch (err.kind) {
        case "rate_limit": {
          await store.markFailure(candidate.id, "rate_limit", {
            retryAfterMs: err.retryAfterMs,
            now: this.now(),
          });
          const wait = err.retryAfterMs ? `, retry after ${formatSpan(err.retryAfterMs)}` : "";
          return {
            failover: true,
            message,
            short: `rate limited${wait}`,
            fix: "wait a moment, or /model @<profile> to use another credential",
          };
        }
        case "billing":
          await store.markFailure(candidate.id, "billing", { now: this.now() });
          return {
            failover: true,
            message,
            short: "billing problem",
            fix: err.hint ?? "check the account's billing",
          };
        case "auth":
          await store.markFailure(candidate.id, "auth", { message, now: this.now() });
          return {
            failover: true,
            message,
            short: "credential refused",
            fix: credentialFix(candidate.provider, candidate),
          };
        case "claude_code_only":
          // Recorded as its own kind of mark, so every view (status, doctor, notices) gives this fix.
          await store.markFailure(candidate.id, "auth", {
            message: "Anthropic accepts this credential only from Claude Code",
            kind: "claude_code_only",
            now: this.now(),
          });
          return {
            failover: true,
            message: CLAUDE_CODE_ONLY_ADVICE,
            short: "Anthropic accepts it only from Claude Code",
            fix: CLAUDE_CODE_ONLY_FIX,
            claudeCodeOnly: true,
          };
        default:
          return { failover: false, message, short: err.kind, fix: err.hint ?? "try again" };
      }
    }
    if (isTesseraError(err) && err.code === "OAUTH_FAILED") {
      // The refresher already marked the profile needs-reauth with the provider's words.
      return {
        failover: true,
        message: clean(err.message),
        short: "token refresh failed",
        fix: err.hint ?? credentialFix(candidate.provider, candidate),
      };
    }
    if (isTesseraError(err))
      return { failover: false, message: clean(err.message), short: err.code, fix: err.hint ?? "try again" };
    return {
      failover: false,
      message: clean(String((err as Error)?.message ?? err)),
      short: "error",
      fix: "try again",
    };
  }

  private nothingUsable(modelRef: string, resolution: Resolution): TurnResult {
    const fix =
      resolution.failover || refusedAsClaudeCodeOnly(resolution)
        ? noUsableCredentialFix(resolution)
        : "/model reset to use the default credential order, or fix the pinned credential (tessera models status)";
    return failure(modelRef, resolution.nextReason, fix);
  }
}

function reportOnStderr(failure: BookkeepingFailure): void {
  process.stderr.write(`warning: ${failure.message}\n  fix: ${failure.fix}\n`);
}

/** How a stored credential is presented: api keys as keys, everything else as a bearer token. */
export function wireCredential(credential: Credential): WireCredential {
  if (credential.type === "api_key") return { kind: "api_key", secret: credential.key };
  return { kind: "bearer", secret: credential.type === "oauth" ? credential.access : credential.token };
}

function failure(model: string, message: string, fix: string, failed: string[] = []): TurnResult {
  const tried = failed.length ? ` (earlier: ${failed.join("; ")})` : "";
  return { text: "", model, error: { message: `${message}${tried}`, fix } };
}
