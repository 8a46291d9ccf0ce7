import type { Api } from "grammy";

/** Telegram keeps drafts to the message limit; a longer answer shows its first 4096 characters. */
const DRAFT_MAX = 4096;
/** At most one draft update per this many milliseconds (drafts are cheap, but not free). */
const DRAFT_INTERVAL_MS = 300;

/**
 * Shows a model answer in a private chat while it streams, as a message draft
 * (`sendMessageDraft`, Bot API 9.3+), at most one update every 300 ms with one request in flight;
 * the final message is sent separately as a normal reply. Drafts are a courtesy: a failure (an older
 * self-hosted Bot API server, a chat that is not private) turns them off and never fails the answer.
 *
 * Why not @grammyjs/stream: it needs Node 22 (`Promise.withResolvers`), and it sends the final
 * message itself, which would bypass the router's fitted reply (credential notes, owner notices).
 */
export class DraftStream {
  private text = "";
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly api: Api,
    private readonly chatId: number,
    private readonly draftId: number,
    private readonly threadId: number | undefined,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Adds streamed text; a draft update follows within the interval. */
  push(delta: string): void {
    if (this.closed) return;
    this.text += delta;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.send();
    }, DRAFT_INTERVAL_MS);
  }

  /** Stops updating (the final message is about to be sent); waits for a draft request in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sending;
  }

  private async send(): Promise<void> {
    if (this.closed || this.sending) return;
    const text = this.text.slice(0, DRAFT_MAX);
    this.sending = this.api
      .sendMessageDraft(
        this.chatId,
        this.draftId,
        text,
        this.threadId ? { message_thread_id: this.threadId } : {},
      )
      .then(
        () => {},
        (error) => {
          this.closed = true;
          this.onFailure(error);
        },
      )
      .finally(() => {
        this.sending = undefined;
      });
    await this.sending;
    if (!this.closed && this.text.length !== text.length) this.push("");
  }
}
