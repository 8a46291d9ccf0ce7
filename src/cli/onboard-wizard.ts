import { secretOf } from "../auth/credentials.js";
import { maskSecret } from "../auth/mask.js";
import { exchangeAuthCode, parseAuthCodePaste, startPkceLogin } from "../auth/oauth-login.js";
import { BOT_TOKEN_SOURCE, looksLikeBotToken } from "../doctor/bot-token-shape.js";
import { isTesseraError } from "../errors.js";
import { listCatalog } from "../models/catalog.js";
import { ANTHROPIC_OAUTH_TOKEN_URL, providerInfo } from "../models/provider-catalog.js";
import { ownEntry } from "../own-entry.js";
import type { CliContext } from "./cli-context.js";
import { chooseProfileId } from "./models-store-profile.js";
import {
  type ChannelAnswer,
  type CredentialAnswer,
  ONBOARD_PROVIDERS,
  type OnboardAnswers,
  type OnboardProvider,
  parseOwner,
  parseUserId,
  SECRET_NAMES,
  STARTER_MODEL,
  splitList,
} from "./onboard-answers.js";
import type { OnboardState } from "./onboard-flags.js";
import { joinPastedSecret, parseExpiresIn, validatePastedSecret } from "./token-validation.js";

type Prompts = typeof import("@clack/prompts");

/** Thrown when the person cancels (Ctrl-C, Esc); the command reports that nothing was written. */
export class OnboardCancelled extends Error {}

/**
 * The interactive wizard: agent → provider → API key / setup-token / keep / skip → default model →
 * Telegram → Discord → owners, then a summary to confirm. It only gathers answers; the same
 * `applyOnboarding` as `--non-interactive` writes them. Secrets are typed into masked prompts and
 * validated there, so a wrong paste is caught before anything is written.
 */
export async function runOnboardWizard(
  ctx: CliContext,
  state: OnboardState,
  loadProfiles: (agent: string) => Promise<OnboardState["storedProfiles"]>,
): Promise<OnboardAnswers> {
  const p: Prompts = await import("@clack/prompts");
  const io = { input: ctx.stdin, output: ctx.stdout };
  const ask: Ask = async (value) => {
    const answer = await value;
    if (p.isCancel(answer)) throw new OnboardCancelled("onboarding cancelled");
    return answer as never;
  };
  const { config } = state;
  p.intro("tessera onboard", io);

  const agents = [...new Set([config.agents.default, ...config.agents.list.map((a) => a.id)])];
  let agent = await ask(
    p.select<string>({
      ...io,
      message: "Which agent do you set up?",
      options: [
        ...agents.map((id) => ({
          value: id,
          label: id,
          hint: id === config.agents.default ? "default" : undefined,
        })),
        { value: "", label: "a new agent…" },
      ],
      initialValue: config.agents.default,
    }),
  );
  if (agent === "") {
    agent = await ask(
      p.text({
        ...io,
        message: "New agent id",
        validate: (v) =>
          /^[a-z0-9][a-z0-9_-]*$/i.test(v ?? "") ? undefined : "letters, digits, _ and - only",
      }),
    );
  }
  const stored = agent === config.agents.default ? state.storedProfiles : await loadProfiles(agent);

  const provider = await ask(
    p.select<OnboardProvider | "">({
      ...io,
      message: "Which model provider?",
      options: [
        ...ONBOARD_PROVIDERS.map((id) => ({ value: id, label: id })),
        { value: "" as const, label: "skip", hint: "keep the credentials I have" },
      ],
    }),
  );
  let credential: CredentialAnswer | undefined;
  let model: string | undefined;
  if (provider !== "") {
    credential = await askCredential(p, io, ask, provider, stored, state);
    model = await askModel(p, io, ask, state, provider);
  }
  const telegram = await askChannel(p, io, ask, state, "telegram");
  const discord = await askChannel(p, io, ask, state, "discord");
  const ownersText = await ask(
    p.text({
      ...io,
      message: "Owners to add (may pin credentials and see credential status), e.g. telegram:123456789",
      placeholder: config.access.owners.length ? `now: ${config.access.owners.join(", ")}` : "blank = none",
      defaultValue: "",
      validate: (v) => validateEach(splitList(v ?? ""), parseOwner),
    }),
  );
  const answers: OnboardAnswers = {
    agent,
    credential,
    model,
    telegram,
    discord,
    owners: splitList(ownersText).map(parseOwner),
  };
  p.note(summarize(answers), "About to write", io);
  if (!(await ask(p.confirm({ ...io, message: "Write these settings?", initialValue: true })))) {
    throw new OnboardCancelled("onboarding cancelled");
  }
  return answers;
}

type Io = { input: CliContext["stdin"]; output: CliContext["stdout"] };
/** Awaits a prompt; a cancelled prompt throws `OnboardCancelled` instead of returning clack's symbol. */
type Ask = <T>(value: Promise<T>) => Promise<Exclude<T, symbol>>;

async function askCredential(
  p: Prompts,
  io: Io,
  ask: Ask,
  provider: OnboardProvider,
  stored: OnboardState["storedProfiles"],
  state: OnboardState,
): Promise<CredentialAnswer | undefined> {
  const profileId = `${provider}:default`;
  const existing = ownEntry(stored, profileId);
  const options: { value: string; label: string; hint?: string }[] = [{ value: "api_key", label: "API key" }];
  if (provider === "anthropic")
    options.push(
      { value: "token", label: "setup-token", hint: "from `claude setup-token` (Claude subscription)" },
      { value: "login", label: "log in (OAuth)", hint: "open a URL on any machine, paste the code back" },
    );
  if (existing && existing.type !== "oauth")
    options.push({
      value: "keep",
      label: `keep the stored ${profileId}`,
      hint: `${existing.type} ${maskSecret(secretOf(existing))}`,
    });
  options.push({ value: "skip", label: "skip", hint: "use an environment variable or add one later" });
  const method = await ask(
    p.select<string>({ ...io, message: `How does Tessera authenticate to ${provider}?`, options }),
  );
  if (method === "skip") return undefined;
  if (method === "keep" && existing)
    return { provider, profileId, type: existing.type as "api_key" | "token" };
  if (method === "login") return loginAnswer(p, io, ask, state);
  const type = method === "token" ? "token" : "api_key";
  if (type === "token")
    p.note(
      "Run `claude setup-token` in another terminal, then paste the token it prints.",
      "setup-token",
      io,
    );
  const raw = await ask(
    p.password({
      ...io,
      message: type === "token" ? "Paste the setup-token" : `Paste the ${provider} API key`,
      validate: (v) =>
        validationMessage(() => validatePastedSecret(provider, type, joinPastedSecret(v ?? ""))),
    }),
  );
  let expires: number | undefined;
  if (type === "token") {
    const span = await ask(
      p.text({
        ...io,
        message: "When does it expire? (e.g. 365d; blank = unknown)",
        defaultValue: "",
        validate: (v) => (v ? validationMessage(() => parseExpiresIn(v)) : undefined),
      }),
    );
    const expiresIn = parseExpiresIn(span || undefined);
    if (expiresIn !== undefined) expires = Date.now() + expiresIn;
  }
  return { provider, profileId, type, secret: joinPastedSecret(raw), expires };
}

/**
 * The OAuth (PKCE) login inside the wizard, the same flow as `tessera models auth login`: the URL
 * can be opened on any machine, the pasted `code#state` is checked against this attempt before
 * anything is sent, and the tokens never appear on screen.
 */
async function loginAnswer(p: Prompts, io: Io, ask: Ask, state: OnboardState): Promise<CredentialAnswer> {
  const login = startPkceLogin();
  p.note(
    `Open this URL in a browser (on any machine) and log in:\n\n${login.url}`,
    "Log in to Anthropic",
    io,
  );
  const pasted = await ask(
    p.password({
      ...io,
      message: "Paste the code the page shows (code#state)",
      validate: (v) => validationMessage(() => parseAuthCodePaste(v ?? "", login.state)),
    }),
  );
  const { code } = parseAuthCodePaste(pasted, login.state);
  const tokenUrl = providerInfo(state.config, "anthropic")?.oauthTokenUrl ?? ANTHROPIC_OAUTH_TOKEN_URL;
  const oauth = await exchangeAuthCode({ tokenUrl, code, state: login.state, verifier: login.verifier });
  // As `tessera models auth login` names it; an email that cannot be an id is refused before writing.
  const profileId = chooseProfileId("anthropic", undefined, oauth.email ?? "default");
  return { provider: "anthropic", profileId, type: "oauth", oauth };
}

async function askModel(p: Prompts, io: Io, ask: Ask, state: OnboardState, provider: OnboardProvider) {
  const models = listCatalog(state.config).filter((e) => e.provider === provider && e.allowed);
  const current = state.config.models.default;
  const initial = models.some((m) => m.ref === current) ? current : STARTER_MODEL[provider];
  const chosen = await ask(
    p.select<string>({
      ...io,
      message: "Default model",
      options: models.map((m) => ({ value: m.ref, label: m.ref, hint: m.aliases.join(", ") || undefined })),
      initialValue: initial,
    }),
  );
  return chosen === current ? undefined : chosen;
}

async function askChannel(
  p: Prompts,
  io: Io,
  ask: Ask,
  state: OnboardState,
  channel: "telegram" | "discord",
): Promise<ChannelAnswer | undefined> {
  const current = state.config.channels[channel];
  const envName = SECRET_NAMES[channel];
  const use = await ask(p.confirm({ ...io, message: `Use ${channel}?`, initialValue: current.enabled }));
  if (!use) return current.enabled ? { enabled: false, allowFrom: [] } : undefined;
  const have =
    (channel === "telegram"
      ? state.config.channels.telegram.botToken
      : state.config.channels.discord.token) ?? state.dotenv[envName];
  let token: string | undefined;
  const replace = have
    ? await ask(
        p.confirm({
          ...io,
          message: `Replace the ${channel} bot token (${maskSecret(have)})?`,
          initialValue: false,
        }),
      )
    : true;
  if (replace) {
    token = (
      await ask(
        p.password({
          ...io,
          message: `${channel} bot token (${BOT_TOKEN_SOURCE[channel]})`,
          validate: (v) =>
            looksLikeBotToken(channel, v ?? "")
              ? undefined
              : `that does not look like a ${channel} bot token`,
        }),
      )
    ).trim();
  }
  const allowText = await ask(
    p.text({
      ...io,
      message: `${channel} user ids to allow (send /whoami to the bot to see yours)`,
      placeholder: current.allowFrom.length ? `now: ${current.allowFrom.join(", ")}` : "blank = none",
      defaultValue: "",
      validate: (v) => validateEach(splitList(v ?? ""), (id) => parseUserId(channel, id)),
    }),
  );
  return { enabled: true, token, allowFrom: splitList(allowText).map((id) => parseUserId(channel, id)) };
}

function validateEach(values: string[], parse: (v: string) => unknown): string | undefined {
  for (const value of values) {
    const message = validationMessage(() => parse(value));
    if (message) return message;
  }
  return undefined;
}

/** A validator's refusal as one line for the prompt (never the input itself). */
function validationMessage(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (isTesseraError(err)) return err.hint ? `${err.message} — ${err.hint}` : err.message;
    throw err;
  }
}

function summarize(a: OnboardAnswers): string {
  const lines = [`agent: ${a.agent}`];
  if (a.credential)
    lines.push(
      `credential: ${a.credential.profileId} (${a.credential.type}${a.credential.secret ? ` ${maskSecret(a.credential.secret)}` : ", kept"})`,
    );
  if (a.model) lines.push(`default model: ${a.model}`);
  for (const channel of ["telegram", "discord"] as const) {
    const c = a[channel];
    if (!c) continue;
    lines.push(
      `${channel}: ${c.enabled ? "on" : "off"}${c.token ? `, token ${maskSecret(c.token)} → .env` : ""}${c.allowFrom.length ? `, allow ${c.allowFrom.join(", ")}` : ""}`,
    );
  }
  if (a.owners.length) lines.push(`owners: + ${a.owners.join(", ")}`);
  return lines.join("\n");
}
