import type { ProviderInfo } from "../provider-catalog.js";
import { anthropicMessagesClient } from "./anthropic-messages.js";
import type { ChatClient } from "./chat-types.js";
import { openaiChatClient } from "./openai-chat.js";

/** The client for a provider's wire protocol, pointed at its (configurable) base URL. */
export function clientFor(info: ProviderInfo): ChatClient {
  const opts = { provider: info.id, baseUrl: info.baseUrl, timeoutMs: info.timeoutMs };
  return info.api === "anthropic-messages" ? anthropicMessagesClient(opts) : openaiChatClient(opts);
}
