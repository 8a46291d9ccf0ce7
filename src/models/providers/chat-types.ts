/**
 * The neutral request and answer every provider client speaks, so the agent turn never knows which
 * wire protocol is underneath.
 */
export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens: number;
  /** Stream the answer (SSE); `onDelta` receives text as it arrives. */
  stream: boolean;
  onDelta?: (text: string) => void;
  /** Aborts the request (gateway shutdown, user cancel). */
  signal?: AbortSignal;
}

export interface ChatAnswer {
  text: string;
  model: string;
  stopReason?: string;
  usage?: { inputTokens?: number; outputTokens?: number };
}

/** How a credential is presented on the wire. */
export interface WireCredential {
  /** `api_key` → `x-api-key` on Anthropic; `bearer` → `Authorization: Bearer` (+ OAuth beta on Anthropic). */
  kind: "api_key" | "bearer";
  secret: string;
}

/** One provider protocol implementation. */
export interface ChatClient {
  send(request: ChatRequest, credential: WireCredential): Promise<ChatAnswer>;
}
