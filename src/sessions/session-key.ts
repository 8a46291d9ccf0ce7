/** The parts of a message that decide which session it belongs to (the router's `IncomingMessage` fits). */
export interface SessionAddress {
  channel: string;
  chatType: "dm" | "group" | "channel";
  chatId: string;
  senderId: string;
  topicId?: string;
  threadId?: string;
}

/**
 * The session a message belongs to — one conversation with its own pins and history:
 *
 * - `agent:<agentId>:<channel>:dm:<userId>` — a direct chat, one per person (never shared between
 *   people, so one user's `/model` never changes another's);
 * - `agent:<agentId>:<channel>:group:<chatId>[:topic:<id>]` — a group, or one forum topic of it;
 * - `agent:<agentId>:<channel>:channel:<id>[:thread:<id>]` — a channel, or one thread under it;
 * - `agent:<agentId>:console:local` — the local console, whoever `--as` says is typing.
 *
 * A group is one shared session: any allowed member's `/model` applies to everyone in it.
 */
export function sessionKeyFor(agentId: string, address: SessionAddress): string {
  const base = `agent:${agentId}:${address.channel}`;
  if (address.channel === "console") return `${base}:local`;
  switch (address.chatType) {
    case "dm":
      return `${base}:dm:${address.senderId}`;
    case "group":
      return `${base}:group:${address.chatId}${address.topicId ? `:topic:${address.topicId}` : ""}`;
    case "channel":
      return `${base}:channel:${address.chatId}${address.threadId ? `:thread:${address.threadId}` : ""}`;
  }
}
