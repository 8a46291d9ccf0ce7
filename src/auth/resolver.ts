import { byCodePoint } from "../code-point-order.js";
import { describeExpiry, formatSpan } from "../config/duration.js";
import type { EnvSnapshot } from "../config/env.js";
import type { Config } from "../config/schema.js";
import { providerInfo } from "../models/provider-catalog.js";
import { ownEntry } from "../own-entry.js";
import { describeReauthMark, type ProfileUsage, type ReauthKind } from "./auth-state.js";
import type { AuthSnapshot } from "./auth-store.js";
import { allSecretsOf, type Credential, type CredentialType, secretOf } from "./credentials.js";
import { fingerprint, maskSecret, redactSecrets } from "./mask.js";

/** A candidate's state, shown everywhere with its reason (PRODUCT §4). */
export type CandidateState =
  | "ok"
  | "expiring"
  | "expired"
  | "refreshable"
  | "cooldown"
  | "disabled"
  | "needs-reauth"
  | "missing";

const USABLE: ReadonlySet<CandidateState> = new Set(["ok", "expiring", "refreshable"]);

/** One credential the resolver considered for a provider. Holds no secret in enumerable fields. */
export interface Candidate {
  /** Profile id, or `env:NAME` for an environment credential. */
  id: string;
  kind: "profile" | "env";
  provider: string;
  type: CredentialType;
  state: CandidateState;
  usable: boolean;
  /** Why it has that state, in words: `expires in 3h`, `rate limited; cooldown 4m left`. */
  reason: string;
  /** `store`, `claude-code`, `env: NAME` or `shell env: NAME`. */
  source: string;
  masked: string;
  /** `#3f9c2e` — the only secret-derived text chat replies may show (no characters of the secret). */
  fingerprint: string;
  expiresAt?: number;
  /** An oauth credential with a refresh token that has not failed: it renews itself on use. */
  canRefresh: boolean;
  pinned: boolean;
  /** For `needs-reauth`: what the mark means, so the fix fits (`claude_code_only` wants an API key). */
  reauthKind?: ReauthKind;
}

/** The resolver's answer for one provider: candidates in the order they would be tried. */
export interface Resolution {
  provider: string;
  candidates: Candidate[];
  /** The candidate the next request uses; undefined when none can be used. */
  next?: Candidate;
  /** Why `next` is the one (or why there is none). */
  nextReason: string;
  /** A user pin never fails over to the next candidate. */
  failover: boolean;
  /** Where the order came from. */
  orderSource: "pin" | "agent order" | "config order" | "default";
  /** Stored profiles of this provider that are not candidates, and why. */
  excluded: { id: string; reason: string }[];
  /** Set when the session's pinned profile is gone or belongs to another provider. */
  pinProblem?: string;
}

export interface ResolveInput {
  provider: string;
  auth: AuthSnapshot;
  config: Config;
  env: EnvSnapshot;
  /** The session's pinned profile id, if any. */
  pin?: string;
  now: number;
  warnWithinMs: number;
}

const credentials = new WeakMap<Candidate, Credential>();

/** The credential behind a candidate, for the one place that sends it (the provider call). */
export function credentialOf(candidate: Candidate): Credential {
  const credential = credentials.get(candidate);
  if (!credential) throw new Error(`no credential attached to candidate ${candidate.id}`);
  return credential;
}

const TYPE_RANK: Record<CredentialType, number> = { oauth: 0, token: 1, api_key: 2 };

/**
 * The one function that decides which credential a request uses (PRODUCT §4). The runtime, every
 * status view, the pickers and `doctor` call it; none recomputes auth its own way. Pure: it reads the
 * snapshot it is given and writes nothing.
 *
 * Order: the session pin (no failover) → the agent's order override, else config `auth.order` →
 * otherwise all the provider's profiles, oauth before token before api_key, least recently used
 * first, `lastGood` first among equals → environment credentials. Unusable candidates move to the
 * end (a pin stays first) and are skipped.
 */
export function resolveCandidates(input: ResolveInput): Resolution {
  const { provider, auth, config, pin } = input;
  // Own keys only: a pin or order entry like `constructor` must not find `Object.prototype`'s.
  const profiles: Record<string, Credential> = Object.assign(Object.create(null), auth.profiles.profiles);
  const ofProvider = Object.keys(profiles).filter((id) => profiles[id]!.provider === provider);
  const excluded: { id: string; reason: string }[] = [];

  let pinned: string | undefined;
  let pinProblem: string | undefined;
  if (pin !== undefined) {
    const credential = profiles[pin];
    if (!credential) pinProblem = `the pinned profile ${pin} no longer exists`;
    else if (credential.provider !== provider)
      pinProblem = `the pinned profile ${pin} is for ${credential.provider}, not ${provider}`;
    else pinned = pin;
  }

  const agentOrder = ownEntry(auth.profiles.order, provider);
  const configOrder = ownEntry(config.auth.order, provider);
  const explicit = agentOrder ?? configOrder;
  const orderSource: Resolution["orderSource"] = pinned
    ? "pin"
    : agentOrder
      ? "agent order"
      : configOrder
        ? "config order"
        : "default";
  let ordered: string[];
  if (explicit) {
    const label = agentOrder ? "the agent's order override" : "config auth.order";
    ordered = explicit.filter((id) => {
      if (!profiles[id]) excluded.push({ id, reason: `listed in ${label} but not stored` });
      else if (profiles[id]!.provider !== provider)
        excluded.push({ id, reason: `listed in ${label} but is a ${profiles[id]!.provider} profile` });
      else return true;
      return false;
    });
    const fix = agentOrder
      ? `tessera models auth order set --provider ${provider} …`
      : `config auth.order.${provider}`;
    for (const id of ofProvider) {
      if (!ordered.includes(id) && id !== pinned) excluded.push({ id, reason: `not in ${label} (${fix})` });
    }
  } else {
    ordered = sortByDefaultRules(
      ofProvider,
      profiles,
      auth.state.usage,
      ownEntry(auth.state.lastGood, provider),
    );
  }
  ordered = [...new Set(ordered)].filter((id) => id !== pinned);
  if (pinned) ordered.unshift(pinned);

  const candidates: Candidate[] = ordered.map((id) =>
    profileCandidate(input, id, profiles[id]!, id === pinned),
  );
  candidates.push(...envCandidates(input));

  const head = pinned ? candidates.slice(0, 1) : [];
  const rest = pinned ? candidates.slice(1) : candidates;
  const sorted = [...head, ...rest.filter((c) => c.usable), ...rest.filter((c) => !c.usable)];

  let next: Candidate | undefined;
  let nextReason: string;
  if (pinned) {
    const first = sorted[0]!;
    // A user's explicit pin outranks our own back-off guesses (cooldown, billing pause), but not
    // facts: an expired, missing or refused credential cannot answer.
    const honoured = first.usable || first.state === "cooldown" || first.state === "disabled";
    next = honoured ? first : undefined;
    nextReason = honoured
      ? `pinned by this session${first.usable ? "" : ` (despite ${first.state}: a pin never fails over)`}`
      : `pinned profile ${pinned} is ${first.state} and a pin never fails over; /model reset to use the default order`;
  } else {
    next = sorted.find((c) => c.usable);
    nextReason = next ? whyNext(next, orderSource, candidates) : noneReason(provider, sorted);
  }
  return {
    provider,
    candidates: sorted,
    next,
    nextReason,
    failover: !pinned,
    orderSource,
    excluded,
    pinProblem,
  };
}

function sortByDefaultRules(
  ids: string[],
  profiles: Record<string, Credential>,
  usage: Record<string, ProfileUsage>,
  lastGood: string | undefined,
): string[] {
  return [...ids].sort((a, b) => {
    const byType = TYPE_RANK[profiles[a]!.type] - TYPE_RANK[profiles[b]!.type];
    if (byType !== 0) return byType;
    const byUse = (ownEntry(usage, a)?.lastUsed ?? 0) - (ownEntry(usage, b)?.lastUsed ?? 0);
    if (byUse !== 0) return byUse;
    if (a === lastGood) return -1;
    if (b === lastGood) return 1;
    return byCodePoint(a, b);
  });
}

function profileCandidate(
  input: ResolveInput,
  id: string,
  credential: Credential,
  pinned: boolean,
): Candidate {
  return buildCandidate(input, {
    id,
    kind: "profile",
    credential,
    source: profileSource(credential),
    pinned,
  });
}

/** How a stored profile's source is shown: `claude-code` when synced from Claude Code, else `store`. */
export function profileSource(credential: Credential): "claude-code" | "store" {
  return credential.origin === "claude-code" ? "claude-code" : "store";
}

function envCandidates(input: ResolveInput): Candidate[] {
  const info = providerInfo(input.config, input.provider);
  if (!info) return [];
  return info.envKeys.flatMap((key) => {
    const found = input.env.get(key.name);
    if (!found) return [];
    const credential: Credential =
      key.type === "api_key"
        ? { type: "api_key", provider: input.provider, key: found.value }
        : { type: "token", provider: input.provider, token: found.value };
    const source = `${found.origin === "shell" ? "shell env" : "env"}: ${key.name}`;
    return [buildCandidate(input, { id: `env:${key.name}`, kind: "env", credential, source, pinned: false })];
  });
}

/** Judges one credential and attaches it to its candidate out of sight (never enumerable). */
function buildCandidate(
  input: ResolveInput,
  c: { id: string; kind: Candidate["kind"]; credential: Credential; source: string; pinned: boolean },
): Candidate {
  const { credential } = c;
  const judged = judge(credential, ownEntry(input.auth.state.usage, c.id), input.now, input.warnWithinMs);
  const secret = secretOf(credential);
  const candidate: Candidate = {
    id: c.id,
    kind: c.kind,
    provider: credential.provider,
    type: credential.type,
    ...judged,
    // Environment credentials are read fresh each time; only stored oauth can refresh itself.
    canRefresh: c.kind === "profile" && judged.canRefresh,
    usable: USABLE.has(judged.state),
    source: c.source,
    masked: maskSecret(secret),
    fingerprint: `#${fingerprint(secret)}`,
    expiresAt: credential.type === "api_key" ? undefined : credential.expires,
    pinned: c.pinned,
  };
  credentials.set(candidate, credential);
  return candidate;
}

/** State and reason of one credential at `now`; needs-reauth, billing and cooldown marks overlay it. */
export function judge(
  credential: Credential,
  usage: ProfileUsage | undefined,
  now: number,
  warnWithinMs: number,
): { state: CandidateState; reason: string; canRefresh: boolean; reauthKind?: ReauthKind } {
  const secret = secretOf(credential).trim();
  const canRefresh = credential.type === "oauth" && credential.refresh.trim() !== "" && !usage?.needsReauth;
  if (secret === "" && !(credential.type === "oauth" && credential.refresh.trim() !== "")) {
    return { state: "missing", reason: "the stored secret is empty", canRefresh: false };
  }
  if (usage?.needsReauth) {
    return {
      state: "needs-reauth",
      // Redacted again as shown: a reason stored by an older version may hold a piece of the secret.
      reason: redactSecrets(describeReauthMark(usage.needsReauth), allSecretsOf(credential)),
      canRefresh: false,
      reauthKind: usage.needsReauth.kind ?? "auth",
    };
  }
  const expires = credential.type === "api_key" ? undefined : credential.expires;
  const expiry = describeExpiry(expires, now);
  let base: { state: CandidateState; reason: string };
  if (canRefresh) {
    base =
      expires === undefined
        ? { state: "refreshable", reason: "expiry unknown; refreshes on use" }
        : expires - now <= warnWithinMs
          ? { state: "refreshable", reason: `access token ${expiry}; refreshes itself on use` }
          : { state: "ok", reason: `${expiry}; refreshes itself` };
  } else if (expires === undefined) {
    base = { state: "ok", reason: credential.type === "api_key" ? "api key" : "static token, no expiry" };
  } else if (expires <= now) {
    base = { state: "expired", reason: `${expiry}; static credentials cannot refresh` };
  } else if (expires - now <= warnWithinMs) {
    base = { state: "expiring", reason: `${expiry}; cannot refresh itself` };
  } else {
    base = { state: "ok", reason: expiry! };
  }
  if (base.state === "expired") return { ...base, canRefresh };
  if (usage?.disabledUntil && usage.disabledUntil > now) {
    const why = usage.disabledReason === "billing" ? "billing problem" : (usage.disabledReason ?? "disabled");
    return {
      state: "disabled",
      reason: `${why}; paused ${formatSpan(usage.disabledUntil - now)} more`,
      canRefresh,
    };
  }
  if (usage?.cooldownUntil && usage.cooldownUntil > now) {
    return {
      state: "cooldown",
      reason: `rate limited; cooldown ${formatSpan(usage.cooldownUntil - now)} left`,
      canRefresh,
    };
  }
  return { ...base, canRefresh };
}

/** `inOrder` is the candidates before unusable ones were moved back: those ahead of `next` were skipped. */
function whyNext(next: Candidate, orderSource: Resolution["orderSource"], inOrder: Candidate[]): string {
  const skipped = inOrder.slice(0, inOrder.indexOf(next)).filter((c) => !c.usable);
  const base =
    next.kind === "env"
      ? "no stored profile is usable; using the environment"
      : orderSource === "agent order"
        ? "first usable in the agent's order override"
        : orderSource === "config order"
          ? "first usable in config auth.order"
          : `first usable by default order (oauth, token, api_key; least recently used)`;
  return skipped.length ? `${base}; skipped ${skipped.map((c) => `${c.id} (${c.state})`).join(", ")}` : base;
}

function noneReason(provider: string, sorted: Candidate[]): string {
  if (sorted.length === 0) return `no credential for ${provider}`;
  return `no usable credential: ${sorted.map((c) => `${c.id} is ${c.state}`).join(", ")}`;
}
