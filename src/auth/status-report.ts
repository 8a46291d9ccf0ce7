import { byCodePoint } from "../code-point-order.js";
import { describeExpiry } from "../config/duration.js";
import type { EnvSnapshot } from "../config/env.js";
import type { Config } from "../config/schema.js";
import { providersInUse } from "../models/catalog.js";
import { endpointOf, providerInfo } from "../models/provider-catalog.js";
import { CLAUDE_CODE_ONLY_FIX } from "../models/provider-error.js";
import { ownEntry } from "../own-entry.js";
import { describeReauthMark, type ReauthKind } from "./auth-state.js";
import type { AuthSnapshot } from "./auth-store.js";
import { allSecretsOf, providerOfProfileId } from "./credentials.js";
import { redactSecrets } from "./mask.js";
import {
  type Candidate,
  type CandidateState,
  profileSource,
  type Resolution,
  resolveCandidates,
} from "./resolver.js";

/** One candidate as every view shows it. Contains no secret — only `masked`. */
export interface ProfileStatus {
  id: string;
  type: Candidate["type"];
  state: CandidateState;
  reason: string;
  expiresAt: number | null;
  /** `expires in 3h` / `expired 2d ago`, or null for credentials without expiry. */
  expires: string | null;
  source: string;
  /** Last 4 characters plus fingerprint; for the CLI. */
  masked: string;
  /** Fingerprint only; what chat replies show. */
  fingerprint: string;
  next: boolean;
  usable: boolean;
  pinned: boolean;
}

export interface ProviderStatus {
  provider: string;
  /** Where requests go; null for a provider Tessera does not know (e.g. imported from another tool). */
  endpoint: string | null;
  /** Whether a configured model (default, alias, allow list) uses this provider. */
  inUse: boolean;
  usedBy: string[];
  /** Id of the candidate the next request uses, or null. */
  next: string | null;
  nextReason: string;
  failover: boolean;
  orderSource: Resolution["orderSource"];
  /** Set when the session's pinned profile is gone or belongs to another provider (chat view). */
  pinProblem: string | null;
  profiles: ProfileStatus[];
  excluded: { id: string; reason: string }[];
}

export interface Problem {
  severity: "error" | "warning" | "info";
  provider?: string;
  profileId?: string;
  what: string;
  /** The exact command or setting that fixes it. */
  fix: string;
  /** The `--check` exit code this problem causes when its provider is in use. */
  exit?: 1 | 2;
}

/**
 * The status report: the single object that `tessera models status` (text, `--json`, `--check`) and
 * the chat's `/model status` render. Built from the one resolver; no view computes auth itself.
 */
export interface StatusReport {
  configPath: string;
  agent: string;
  storePath: string;
  defaultModel: string;
  aliases: Record<string, string>;
  warnWithinMs: number;
  shellEnv: { enabled: boolean; imported: string[]; error?: string };
  providers: ProviderStatus[];
  problems: Problem[];
  /** The `--check` verdict: 1 = broken, 2 = expiring soon without self-refresh, 0 = fine. */
  check: { exitCode: 0 | 1 | 2; reasons: string[] };
}

export interface BuildReportInput {
  config: Config;
  configPath: string;
  agent: string;
  storePath: string;
  auth: AuthSnapshot;
  env: EnvSnapshot;
  now: number;
  warnWithinMs: number;
  /** Session pins, for the chat view: the pinned profile applies to its provider. */
  pin?: string;
  /**
   * The chat view's session model provider: listed (and its problems reported) even when no
   * configured model uses it and it has no credential, as used by "this session". Views without a
   * session (the CLI, `--check`) leave it out.
   */
  sessionProvider?: string;
}

export function buildStatusReport(input: BuildReportInput): StatusReport {
  const { config, auth, env, now, warnWithinMs } = input;
  const inUse = providersInUse(config);
  if (input.sessionProvider && !inUse.has(input.sessionProvider))
    inUse.set(input.sessionProvider, ["this session"]);
  const ids = new Set<string>(inUse.keys());
  for (const credential of Object.values(auth.profiles.profiles)) ids.add(credential.provider);
  for (const provider of ["anthropic", "openai", "openrouter", ...Object.keys(config.models.providers)]) {
    const info = providerInfo(config, provider);
    if (info?.envKeys.some((k) => env.get(k.name))) ids.add(provider);
  }

  const providers: ProviderStatus[] = [];
  const problems: Problem[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  // A pin whose profile is gone still belongs to the provider its id names, so the view can say so.
  const pinnedProvider = input.pin
    ? Object.hasOwn(auth.profiles.profiles, input.pin)
      ? auth.profiles.profiles[input.pin]!.provider
      : providerOfProfileId(input.pin)
    : undefined;
  if (pinnedProvider) ids.add(pinnedProvider);

  for (const provider of [...ids].sort(byUseThenName(inUse))) {
    const resolution = resolveCandidates({
      provider,
      auth,
      config,
      env,
      pin: provider === pinnedProvider ? input.pin : undefined,
      now,
      warnWithinMs,
    });
    const info = providerInfo(config, provider);
    const usedBy = inUse.get(provider) ?? [];
    const status: ProviderStatus = {
      provider,
      endpoint: info ? endpointOf(info) : null,
      inUse: usedBy.length > 0,
      usedBy,
      next: resolution.next?.id ?? null,
      nextReason: resolution.nextReason,
      failover: resolution.failover,
      orderSource: resolution.orderSource,
      pinProblem: resolution.pinProblem ?? null,
      profiles: resolution.candidates.map((c) => toProfileStatus(c, resolution.next, now)),
      excluded: resolution.excluded,
    };
    providers.push(status);
    const found = problemsOf(status, resolution);
    // An excluded profile is not routed by default, but a session may pin it: a refused one still
    // needs the user (PRODUCT §6.1: "a credential is needs-reauth" fails --check).
    for (const { id } of resolution.excluded) {
      const mark = ownEntry(auth.state.usage, id)?.needsReauth;
      const credential = ownEntry(auth.profiles.profiles, id);
      if (!mark || !credential) continue;
      found.push({
        severity: "error",
        provider,
        profileId: id,
        what: `${id}: ${redactSecrets(describeReauthMark(mark), allSecretsOf(credential))} (not in the order, but sessions can pin it)`,
        fix: credentialFix(provider, {
          id,
          type: credential.type,
          source: profileSource(credential),
          reauthKind: mark.kind,
        }),
        exit: 1,
      });
    }
    problems.push(...found);
    if (status.inUse) {
      for (const p of found) {
        if (p.exit === 1) errors.push(p.what);
        else if (p.exit === 2) warnings.push(p.what);
      }
    }
  }
  // Entries kept aside (an unknown credential type): shown, never used, never a --check failure.
  for (const [id, entry] of Object.entries(auth.profiles.unsupported ?? {}).sort(([a], [b]) =>
    byCodePoint(a, b),
  )) {
    problems.push({
      severity: entry.invalid ? "error" : "warning",
      provider: entry.provider,
      profileId: id,
      what: `${id}: unsupported — ${entry.reason}; kept in the store as it is and never used`,
      fix: entry.invalid
        ? `correct "${id}" in ${input.storePath} by hand, or store it again: tessera models auth ${entry.type === "api_key" ? "paste-api-key" : "paste-token"} --provider ${entry.provider} --profile-id ${id}`
        : `nothing is needed; to drop it, remove "${id}" from ${input.storePath} by hand`,
    });
  }
  if (env.shellError) {
    problems.push({
      severity: "warning",
      what: env.shellError,
      fix: "check $SHELL and env.shellEnv.timeoutMs, or put the keys in <state>/.env",
    });
  }
  const exitCode = errors.length ? 1 : warnings.length ? 2 : 0;
  return {
    configPath: input.configPath,
    agent: input.agent,
    storePath: input.storePath,
    defaultModel: config.models.default,
    aliases: config.models.aliases,
    warnWithinMs,
    shellEnv: { enabled: config.env.shellEnv.enabled, imported: env.shellImported, error: env.shellError },
    providers,
    problems,
    check: { exitCode, reasons: exitCode === 1 ? errors : exitCode === 2 ? warnings : [] },
  };
}

function toProfileStatus(c: Candidate, next: Candidate | undefined, now: number): ProfileStatus {
  return {
    id: c.id,
    type: c.type,
    state: c.state,
    reason: c.reason,
    expiresAt: c.expiresAt ?? null,
    expires: describeExpiry(c.expiresAt, now) ?? null,
    source: c.source,
    masked: c.masked,
    fingerprint: c.fingerprint,
    next: c === next,
    usable: c.usable,
    pinned: c.pinned,
  };
}

function byUseThenName(inUse: Map<string, string[]>) {
  return (a: string, b: string) => Number(inUse.has(b)) - Number(inUse.has(a)) || byCodePoint(a, b);
}

/** Problems of one provider with the exact fix for each (PRODUCT §6.1). */
function problemsOf(status: ProviderStatus, resolution: Resolution): Problem[] {
  const { provider } = status;
  const problems: Problem[] = [];
  const used = status.inUse ? ` (used by ${status.usedBy.join(", ")})` : "";
  if (resolution.pinProblem) {
    problems.push({
      severity: "warning",
      provider,
      what: `${resolution.pinProblem}; this session uses the default order instead`,
      fix: `/model reset, or pin a stored profile: /model @<profileId> (tessera models auth list)`,
    });
  }
  if (resolution.candidates.length === 0) {
    if (status.inUse) {
      problems.push({
        severity: "error",
        provider,
        what: `${provider}: no credential${used}`,
        fix: addCredentialFix(provider),
        exit: 1,
      });
    }
    return problems;
  }
  for (const c of resolution.candidates) {
    const fix = credentialFix(provider, c);
    if (c.state === "expired" && c.type !== "api_key") {
      problems.push({
        severity: "error",
        provider,
        profileId: c.id,
        what: `${c.id}: ${c.type === "token" ? "static token" : "oauth credential without a refresh token"} ${describeExpiryText(c)}`,
        fix,
        exit: 1,
      });
    } else if (c.state === "needs-reauth") {
      problems.push({
        severity: "error",
        provider,
        profileId: c.id,
        what: `${c.id}: ${c.reason}`,
        fix,
        exit: 1,
      });
    } else if (c.state === "missing") {
      problems.push({ severity: "warning", provider, profileId: c.id, what: `${c.id}: ${c.reason}`, fix });
    } else if (c.state === "cooldown" || c.state === "disabled") {
      problems.push({
        severity: "info",
        provider,
        profileId: c.id,
        what: `${c.id}: ${c.reason}`,
        fix:
          c.state === "disabled"
            ? `check the ${provider} account's billing; it is retried automatically when the pause ends`
            : "none needed; it is retried when the cooldown ends",
      });
    }
  }
  const next = resolution.next;
  if (!next) {
    problems.push({
      severity: "error",
      provider,
      what: `${provider}: no usable credential${used}: ${resolution.nextReason}`,
      fix: noUsableCredentialFix(resolution),
      exit: 1,
    });
  }
  // "A credential it would use" is every candidate in the order, as for an expired static token
  // above: a fallback that is about to expire is worth renewing before it is needed.
  for (const c of resolution.candidates) {
    if (c.state !== "expiring") continue;
    problems.push({
      severity: "warning",
      provider,
      profileId: c.id,
      what: `${c.id}: ${c === next ? "in use and " : ""}${describeExpiryText(c)}; it cannot refresh itself`,
      fix: credentialFix(provider, c),
      exit: 2,
    });
  }
  return problems;
}

function describeExpiryText(c: Candidate): string {
  return c.reason.split(";")[0] ?? c.state;
}

/** The command that adds a first (or another) credential for a provider. */
export function addCredentialFix(provider: string): string {
  if (provider === "anthropic") {
    return "tessera models auth paste-api-key --provider anthropic   (or: claude setup-token, then tessera models auth paste-token --provider anthropic)";
  }
  return `tessera models auth paste-api-key --provider ${provider}`;
}

/**
 * Whether a candidate that could have answered is one Anthropic accepts only from Claude Code: any
 * candidate when the resolution fails over, else the pinned one. Then the fix is an API key, never
 * a new login or setup-token (they make the same kind of credential).
 */
export function refusedAsClaudeCodeOnly(resolution: Pick<Resolution, "candidates" | "failover">): boolean {
  return resolution.candidates.some(
    (c) => c.reauthKind === "claude_code_only" && (resolution.failover || c.pinned),
  );
}

/** The fix when no candidate of a provider can be used: an API key after a Claude-Code-only refusal, else a first (or another) credential. */
export function noUsableCredentialFix(
  resolution: Pick<Resolution, "provider" | "candidates" | "failover">,
): string {
  return refusedAsClaudeCodeOnly(resolution) ? CLAUDE_CODE_ONLY_FIX : addCredentialFix(resolution.provider);
}

/**
 * The command that replaces or renews one credential. Takes only the facts every view has (a resolver
 * candidate, a report line, a stored profile), so no caller has to dress one up as another.
 * `reauthKind` is the kind of its needs-reauth mark, if any: a Claude-Code-only refusal wants an API
 * key whatever the credential's type or source.
 */
export function credentialFix(
  provider: string,
  c: { id: string; type: Candidate["type"]; source: string; reauthKind?: ReauthKind },
): string {
  if (c.reauthKind === "claude_code_only") return CLAUDE_CODE_ONLY_FIX;
  if (c.id.startsWith("env:"))
    return `replace ${c.source.replace(/^.*: /, "")} in the environment or <state>/.env`;
  if (c.source === "claude-code")
    return "run `claude` and log in again (Tessera picks the new credential up from Claude Code)";
  if (c.type === "oauth") return `tessera models auth login --provider ${provider}`;
  if (c.type === "token" && provider === "anthropic") {
    return `run \`claude setup-token\`, then: tessera models auth paste-token --provider anthropic --profile-id ${c.id}`;
  }
  if (c.type === "token")
    return `tessera models auth paste-token --provider ${provider} --profile-id ${c.id}`;
  return `tessera models auth paste-api-key --provider ${provider} --profile-id ${c.id}`;
}
