/**
 * The gateway half of the Discord stand-in: a `ws` WebSocket server speaking Discord's JSON gateway
 * protocol (v10, no compression) the way @discordjs/ws 1.2 expects it.
 *
 * It keeps what a client can observe across connections: sessions with their sequence numbers and
 * every dispatch sent on them, so a RESUME replays what was missed (dispatches made while the client
 * was away are queued on its session), and an IDENTIFY starts over. A clean close by the client
 * (1000/1001) ends its session, as on Discord; any other close leaves it resumable.
 *
 * Known simplifications: the server never closes a connection for missed heartbeats; no rate limit
 * on gateway sends; one shard; no zlib or ETF.
 */
import type { AddressInfo } from "node:net";
import type { GatewayGuildCreateDispatchData, GatewayReadyDispatchData } from "discord.js";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { sessionId as newSessionId, OP } from "./discord-payloads.js";
import { RecordLog } from "./record-log.js";

/** One frame the client sent, with `d.token` of IDENTIFY and RESUME replaced by `"<redacted>"`. */
export interface GatewayFrame {
  op: number;
  d: unknown;
  /** Which WebSocket connection (1, 2, …) it came on; a reconnect opens a new one. */
  connection: number;
  receivedAt: number;
}

/** One dispatch (op 0) the fake sent, or queued for a session whose client is away. */
export interface SentDispatch {
  t: string;
  s: number;
  d: unknown;
  sessionId: string;
  /** False while queued for a resume; set when it went over a socket. */
  delivered: boolean;
}

/** A WebSocket connection the client opened; `path` tells a resume (to `resume_gateway_url`) from a first connect. */
export interface GatewayConnection {
  id: number;
  /** The request path and query, e.g. `/?v=10&encoding=json` or `/resume?v=10&encoding=json`. */
  url: string;
  /** Set once the client identified or resumed on it. */
  sessionId?: string;
  /** The close code, once closed (by either side). */
  closeCode?: number;
}

/** What the gateway needs from the rest of the fake. */
export interface GatewayHooks {
  tokenIsValid(token: string): boolean;
  /** The close code for intents the client may not use (4013 invalid, 4014 disallowed), if any. */
  intentsProblem(intents: unknown): { code: number; reason: string } | undefined;
  ready(session: { id: string; resumeUrl: string; shard?: [number, number] }): GatewayReadyDispatchData;
  guildCreates(): GatewayGuildCreateDispatchData[];
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  history: SentDispatch[];
  connection?: Connection;
  ended: boolean;
}

interface Connection {
  info: GatewayConnection;
  socket: WebSocket;
  session?: Session;
}

/** The running gateway; `DiscordFake` wraps it. */
export class DiscordGateway {
  readonly frames = new RecordLog<GatewayFrame>("gateway frame", (f) => `op ${f.op}`);
  readonly dispatches: SentDispatch[] = [];
  readonly connections: GatewayConnection[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly open = new Set<Connection>();
  private readonly liveWaiters = new Set<() => void>();
  private acksToSkip = 0;
  private resumesToReject = 0;
  private nextConnection = 1;

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
    private readonly hooks: GatewayHooks,
    private readonly heartbeatIntervalMs: number,
  ) {
    server.on("connection", (socket, request) => this.accept(socket, request.url ?? "/"));
  }

  /** Listens on 127.0.0.1 on a free port. */
  static async start(hooks: GatewayHooks, heartbeatIntervalMs: number): Promise<DiscordGateway> {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    const { port } = server.address() as AddressInfo;
    return new DiscordGateway(server, `ws://127.0.0.1:${port}`, hooks, heartbeatIntervalMs);
  }

  /** Where READY tells the client to resume; a path of its own so tests can see the client used it. */
  get resumeUrl(): string {
    return `${this.url}/resume`;
  }

  /** True when a client holds a session on an open socket (READY or RESUMED sent). */
  get live(): boolean {
    return [...this.open].some((c) => c.session && !c.session.ended);
  }

  /** True when any session can still receive dispatches (now or after a resume). */
  get hasSession(): boolean {
    return [...this.sessions.values()].some((s) => !s.ended);
  }

  /** The live sessions' ids and intents, newest last. */
  sessionInfo(): { id: string; intents: number; seq: number; connected: boolean }[] {
    return [...this.sessions.values()]
      .filter((s) => !s.ended)
      .map((s) => ({ id: s.id, intents: s.intents, seq: s.seq, connected: s.connection !== undefined }));
  }

  /**
   * Sends a dispatch to every session; `build` gets the session's intents and returns the data, or
   * undefined when that session would not receive the event. Returns how many sessions got it.
   */
  dispatch(t: string, build: (intents: number) => unknown): number {
    let count = 0;
    for (const session of this.sessions.values()) {
      if (session.ended) continue;
      const d = build(session.intents);
      if (d === undefined) continue;
      this.send(session, t, d);
      count++;
    }
    return count;
  }

  /** Resolves once a client holds a session on an open socket. */
  waitForLive(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.live) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`discord fake: no live gateway session within ${timeoutMs}ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.liveWaiters.delete(check);
      };
      this.liveWaiters.add(check);
      check();
    });
  }

  /** Closes every open connection with `code`; sessions stay resumable (unless the code is 1000/1001). */
  closeSockets(code: number, reason: string): void {
    for (const connection of this.open) this.drop(connection, code, reason);
  }

  /** Sends op 7 Reconnect: the client closes and resumes. */
  requestReconnect(): void {
    for (const connection of this.open)
      this.sendRaw(connection, { op: OP.Reconnect, d: null, s: null, t: null });
  }

  skipHeartbeatAcks(count: number): void {
    this.acksToSkip += count;
  }

  rejectResumes(count: number): void {
    this.resumesToReject += count;
  }

  async close(): Promise<void> {
    this.frames.close();
    this.liveWaiters.clear();
    for (const connection of this.open) connection.socket.terminate();
    this.open.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ─── Connections ───────────────────────────────────────────────────────────────────────────────

  private accept(socket: WebSocket, url: string): void {
    const info: GatewayConnection = { id: this.nextConnection++, url };
    this.connections.push(info);
    const connection: Connection = { info, socket };
    this.open.add(connection);
    socket.on("message", (data, isBinary) => this.receive(connection, data, isBinary));
    socket.on("close", (code) => this.closed(connection, code));
    socket.on("error", () => undefined);
    this.sendRaw(connection, {
      op: OP.Hello,
      d: { heartbeat_interval: this.heartbeatIntervalMs, _trace: ['["gateway-fake",{"micros":0}]'] },
      s: null,
      t: null,
    });
  }

  private closed(connection: Connection, code: number): void {
    connection.info.closeCode ??= code;
    this.open.delete(connection);
    const session = connection.session;
    if (session?.connection === connection) {
      session.connection = undefined;
      if (code === 1000 || code === 1001) session.ended = true;
    }
  }

  private drop(connection: Connection, code: number, reason: string): void {
    connection.info.closeCode = code;
    this.open.delete(connection);
    if (connection.session?.connection === connection) connection.session.connection = undefined;
    connection.socket.close(code, reason);
  }

  private receive(connection: Connection, data: RawData, isBinary: boolean): void {
    let frame: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error("binary frame");
      frame = JSON.parse(rawText(data)) as { op?: unknown; d?: unknown };
    } catch {
      this.drop(connection, 4002, "Error while decoding payload.");
      return;
    }
    const op = typeof frame.op === "number" ? frame.op : -1;
    this.frames.push({ op, d: redactToken(frame.d), connection: connection.info.id, receivedAt: Date.now() });
    switch (op) {
      case OP.Heartbeat:
        if (this.acksToSkip > 0) this.acksToSkip--;
        else this.sendRaw(connection, { op: OP.HeartbeatAck, d: null, s: null, t: null });
        return;
      case OP.Identify:
        this.identify(connection, frame.d);
        return;
      case OP.Resume:
        this.resume(connection, frame.d);
        return;
      case OP.PresenceUpdate:
      case OP.VoiceStateUpdate:
      case OP.RequestGuildMembers:
        if (!connection.session) this.drop(connection, 4003, "Not authenticated.");
        return;
      default:
        this.drop(connection, 4001, "Unknown opcode.");
    }
  }

  private identify(connection: Connection, d: unknown): void {
    if (connection.session) {
      this.drop(connection, 4005, "Already authenticated.");
      return;
    }
    const body = isObject(d) ? d : {};
    if (typeof body.token !== "string" || !this.hooks.tokenIsValid(body.token)) {
      this.drop(connection, 4004, "Authentication failed.");
      return;
    }
    const problem = this.hooks.intentsProblem(body.intents);
    if (problem) {
      this.drop(connection, problem.code, problem.reason);
      return;
    }
    const session: Session = {
      id: newSessionId(),
      intents: body.intents as number,
      seq: 0,
      history: [],
      connection,
      ended: false,
    };
    this.sessions.set(session.id, session);
    connection.session = session;
    connection.info.sessionId = session.id;
    const shard = Array.isArray(body.shard) ? (body.shard as [number, number]) : undefined;
    this.send(session, "READY", this.hooks.ready({ id: session.id, resumeUrl: this.resumeUrl, shard }));
    for (const guild of this.hooks.guildCreates()) this.send(session, "GUILD_CREATE", guild);
    this.wakeLiveWaiters();
  }

  private resume(connection: Connection, d: unknown): void {
    if (connection.session) {
      this.drop(connection, 4005, "Already authenticated.");
      return;
    }
    const body = isObject(d) ? d : {};
    if (typeof body.token !== "string" || !this.hooks.tokenIsValid(body.token)) {
      this.drop(connection, 4004, "Authentication failed.");
      return;
    }
    const session = typeof body.session_id === "string" ? this.sessions.get(body.session_id) : undefined;
    const seq = typeof body.seq === "number" ? body.seq : 0;
    if (this.resumesToReject > 0 || !session || session.ended || seq > session.seq) {
      if (this.resumesToReject > 0) this.resumesToReject--;
      if (session) session.ended = true;
      this.sendRaw(connection, { op: OP.InvalidSession, d: false, s: null, t: null });
      return;
    }
    if (session.connection && session.connection !== connection) {
      this.drop(session.connection, 4000, "Session resumed elsewhere.");
    }
    session.connection = connection;
    connection.session = session;
    connection.info.sessionId = session.id;
    for (const missed of session.history.filter((h) => h.s > seq)) {
      this.sendRaw(connection, { op: OP.Dispatch, t: missed.t, s: missed.s, d: missed.d });
      missed.delivered = true;
    }
    this.send(session, "RESUMED", { _trace: ['["gateway-fake",{"micros":0}]'] });
    this.wakeLiveWaiters();
  }

  private send(session: Session, t: string, d: unknown): void {
    const record: SentDispatch = { t, s: ++session.seq, d, sessionId: session.id, delivered: false };
    session.history.push(record);
    this.dispatches.push(record);
    const connection = session.connection;
    if (!connection) return;
    this.sendRaw(connection, { op: OP.Dispatch, t, s: record.s, d });
    record.delivered = true;
  }

  private sendRaw(
    connection: Connection,
    payload: { op: number; d: unknown; s: number | null; t: string | null },
  ): void {
    if (connection.socket.readyState === connection.socket.OPEN)
      connection.socket.send(JSON.stringify(payload));
  }

  private wakeLiveWaiters(): void {
    for (const check of [...this.liveWaiters]) check();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** IDENTIFY and RESUME carry the bot token; it must not survive in what tests can print. */
function redactToken(d: unknown): unknown {
  if (!isObject(d) || !("token" in d)) return d;
  return { ...d, token: "<redacted>" };
}
