/**
 * Scripting for the provider fakes: which request gets which `FakeReply` instead of the fake's
 * normal answer. One-shot replies ("the next request gets a 429") are taken before standing rules
 * ("every request with key K gets a 401"), so a test can stack a transient failure on top of a
 * standing one; when nothing matches, the fake answers normally.
 */
import type { FakeReply, RecordedRequest } from "./http-fake.js";

/** A standing rule: return a reply to take over the request, or `undefined` to pass. */
export type ReplyRule = (req: RecordedRequest) => FakeReply | undefined;

/** The scripting calls every provider fake exposes. */
export interface ScriptControls {
  /** Queues one-shot replies, used in order by the next requests (of any credential). */
  nextReply(...replies: FakeReply[]): void;
  /** Queues one-shot replies for the next requests that use `credential` (key or token value). */
  nextReplyFor(credential: string, ...replies: FakeReply[]): void;
  /** Every request using `credential` gets `reply` until the returned function is called. */
  onCredential(credential: string, reply: FakeReply): () => void;
  /** Adds a standing rule (checked after one-shot replies, in the order added); returns its remover. */
  addRule(rule: ReplyRule): () => void;
  /** How many one-shot replies are still queued; lets a test assert its script was used up. */
  pendingReplies(): number;
  /** Forgets queued replies and rules; recorded requests stay. */
  resetScript(): void;
}

/** A fake's script: the `controls` it hands to tests, and the lookup it makes for each request. */
export interface ReplyScript {
  controls: ScriptControls;
  /** The scripted reply for `req` (consuming a one-shot one), or `undefined` for the normal answer. */
  take(req: RecordedRequest): FakeReply | undefined;
}

/**
 * Creates an empty script. `credentialOf` reads the credential value a request used, for the
 * per-credential calls. `controls` is a plain object of closures, so a fake can spread it into the
 * object it returns.
 */
export function createReplyScript(credentialOf: (req: RecordedRequest) => string | undefined): ReplyScript {
  const queue: { reply: FakeReply; matches: (req: RecordedRequest) => boolean }[] = [];
  const rules: ReplyRule[] = [];

  const addRule = (rule: ReplyRule): (() => void) => {
    rules.push(rule);
    return () => {
      const index = rules.indexOf(rule);
      if (index >= 0) rules.splice(index, 1);
    };
  };

  const controls: ScriptControls = {
    nextReply(...replies) {
      for (const reply of replies) queue.push({ reply, matches: () => true });
    },
    nextReplyFor(credential, ...replies) {
      for (const reply of replies) queue.push({ reply, matches: (req) => credentialOf(req) === credential });
    },
    onCredential(credential, reply) {
      return addRule((req) => (credentialOf(req) === credential ? reply : undefined));
    },
    addRule,
    pendingReplies: () => queue.length,
    resetScript() {
      queue.length = 0;
      rules.length = 0;
    },
  };

  return {
    controls,
    take(req) {
      const index = queue.findIndex((entry) => entry.matches(req));
      if (index >= 0) return queue.splice(index, 1)[0]?.reply;
      for (const rule of rules) {
        const reply = rule(req);
        if (reply) return reply;
      }
      return undefined;
    },
  };
}
