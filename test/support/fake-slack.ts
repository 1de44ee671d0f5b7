/**
 * A local, Slack-compatible fake for tests: the Web API over HTTP and Socket Mode over WebSocket, on one
 * 127.0.0.1 port. An unmodified Bolt app runs against it when given `clientOptions.slackApiUrl = fake.apiUrl`
 * (SLACK_API_URL): @slack/web-api sends every method there, including the socket-mode client's
 * `apps.connections.open`, whose answer points the WebSocket back at this server.
 *
 * What it mirrors from @slack/web-api 8 and @slack/socket-mode 3 (read from their source):
 * - Web API calls are `POST {slackApiUrl}{method}` with form-encoded bodies (objects and arrays JSON-encoded
 *   per field, booleans and numbers as strings), multipart when an argument is binary, the token in
 *   `Authorization: Bearer`. JSON bodies are accepted too, as Slack does.
 * - A 429 must carry `Retry-After` (seconds) or the client gives up; any other non-200 is retried by p-retry.
 * - Socket Mode: the client resolves `start()` on `{type:'hello'}`, acks with `{envelope_id, payload}`
 *   (`payload` is `{}` for a bare `ack()`), and on `{type:'disconnect'}` closes and reconnects after
 *   `clientPingTimeout` × consecutive failures (5 s by default; Bolt's App does not expose it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

export type Args = Record<string, unknown>;

/** One request the fake answered: a Web API method, a `response_url` post, or a file upload. */
export interface FakeCall {
  /** Web API method (`chat.postMessage`), or `response_url` / `file_upload` for those endpoints. */
  method: string;
  /** Parsed body (form, JSON or multipart) merged with the query string, without `token`. */
  args: Args;
  /** From `Authorization: Bearer …` or the `token` argument. */
  token: string | undefined;
  /** HTTP status the fake answered with (429 / 5xx when a fault was injected). */
  status: number;
  /** JSON body the fake answered with (undefined for a bare 5xx). */
  result: Args | undefined;
  /** `Date.now()` when the call was answered. */
  at: number;
}

export type Fault =
  | { status: 429; retryAfterS: number }
  | { status: 500 | 502 | 503 | 504 }
  | { error: string };

export interface FakeReaction {
  name: string;
  users: string[];
  count: number;
}

export interface FakeFile {
  id: string;
  name: string;
  title: string;
  size: number;
  bytes: Buffer | undefined;
  alt_text?: string;
}

export interface FakeMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  thread_ts?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  edited?: { user: string; ts: string };
  reactions?: FakeReaction[];
  files?: Omit<FakeFile, 'bytes'>[];
  /** Set for messages made with chat.startStream. */
  stream?: 'in_progress' | 'completed';
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
}

export interface FakeView {
  id: string;
  team_id: string;
  app_id: string;
  bot_id: string;
  type: string;
  callback_id: string;
  private_metadata: string;
  external_id: string;
  hash: string;
  blocks: unknown[];
  state: { values: Record<string, unknown> };
  root_view_id: string;
  previous_view_id: string | null;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  /** Set for App Home views (views.publish). */
  user_id?: string;
  [key: string]: unknown;
}

/** What the app sent back for an envelope: Bolt's `ack(body)` arrives as `{envelope_id, payload: body}`. */
export interface SocketAck<P extends Args = Args> {
  envelope_id: string;
  payload: P;
}

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Args;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SlackEventInput {
  type: string;
  [key: string]: unknown;
}

export interface SendOptions {
  /** How long to wait for a connection and then for the ack; default `ackTimeoutMs`. */
  timeoutMs?: number;
}

export interface SendEventOptions extends SendOptions {
  teamId?: string;
  /** Reuse an event_id to simulate Slack redelivering the same event. */
  eventId?: string;
  retryAttempt?: number;
  /** Defaults to `timeout` when retryAttempt > 0, as Slack sends. */
  retryReason?: string;
}

export interface SlashCommandInput {
  command: string;
  text?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  trigger_id?: string;
  response_url?: string;
}

export interface InteractionInput {
  type:
    | 'block_actions'
    | 'view_submission'
    | 'view_closed'
    | 'shortcut'
    | 'message_action'
    | 'block_suggestion';
  [key: string]: unknown;
}

export type MethodHandler = (args: Args, call: { token: string; method: string }) => Args;

export interface FakeSlackOptions {
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  /** The user interactions and commands come from when the test names none. */
  humanUserId?: string;
  /** When set, Web API calls with any other bot token answer `invalid_auth`. */
  botToken?: string;
  /** When set, apps.connections.open with any other app token answers `invalid_auth`. */
  appToken?: string;
  /** Default wait for a connection and an ack in the send helpers; Slack itself waits 3 s. */
  ackTimeoutMs?: number;
  /** Send a WebSocket ping to each connection this often, as Slack does; 0 (default) sends none. */
  pingIntervalMs?: number;
  /** Overrides merged into users.info answers, by user id. */
  users?: Record<string, Args>;
  /** Overrides merged into conversations.info answers, by channel id. */
  channels?: Record<string, Args>;
}

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/`: pass as SLACK_API_URL / `clientOptions.slackApiUrl`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly humanUserId: string;
  /** Every request answered, in order. */
  readonly calls: readonly FakeCall[];
  /** Every ack received over Socket Mode, in order. */
  readonly acks: readonly SocketAck[];
  /** Open Socket Mode connections that have been sent `hello`. */
  readonly connections: number;

  /** Messages the app posted (chat.postMessage, chat.startStream, in_channel responses, file shares), by ts. */
  messages(channel: string): FakeMessage[];
  ephemerals(channel: string): FakeEphemeral[];
  /** Modals and App Home views, by view id. */
  view(id: string): FakeView | undefined;
  file(id: string): FakeFile | undefined;
  /** A fresh, strictly increasing Slack timestamp (`1700000000.000123`), for events a test sends. */
  nextTs(): string;

  /** Make the next `times` calls of `method` fail with the fault instead of being handled. */
  failNext(method: string, fault: Fault, times?: number): void;
  /** Answer `method` with `handler` instead of the built-in behaviour (`ok: true` is added if missing). */
  handle(method: string, handler: MethodHandler): void;
  /** Resolves with the first call (already made or future) of `method` that matches. */
  waitForCall(method: string, predicate?: (call: FakeCall) => boolean, timeoutMs?: number): Promise<FakeCall>;
  waitForConnections(count: number, timeoutMs?: number): Promise<void>;

  sendEvent(event: SlackEventInput, opts?: SendEventOptions): Promise<SocketAck>;
  sendSlashCommand(command: SlashCommandInput, opts?: SendOptions): Promise<SocketAck>;
  sendInteraction(payload: InteractionInput, opts?: SendOptions): Promise<SocketAck>;
  /** Deliver a raw envelope to one connection; the helpers above build on this. */
  sendEnvelope(envelope: Envelope, opts?: SendOptions): Promise<SocketAck>;
  /** Send `{type:'disconnect', reason}` to every connection and wait for them to close. */
  disconnectAll(reason?: string, timeoutMs?: number): Promise<void>;

  close(): Promise<void>;
}

const VERIFICATION_TOKEN = 'fake-verification-token';
const DEFAULT_TIMEOUT_MS = 5_000;
// Form-encoded values the client never JSON-encodes; everything else that looks like JSON is decoded.
const FREE_TEXT_ARGS = new Set([
  'text',
  'markdown_text',
  'initial_comment',
  'title',
  'alt_text',
  'filename',
  'content',
  'status',
  'name',
]);

class SlackApiError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function fail(code: string): never {
  throw new SlackApiError(code);
}

function str(args: Args, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function need(args: Args, key: string, code = 'invalid_arguments'): string {
  return str(args, key) ?? fail(code);
}

function list(args: Args, key: string): unknown[] | undefined {
  const value = args[key];
  return Array.isArray(value) ? value : undefined;
}

function object(value: unknown): Args | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Args) : undefined;
}

function randomId(prefix: string): string {
  return prefix + randomBytes(5).toString('hex').toUpperCase();
}

function decodeFormValue(key: string, value: string): unknown {
  if (FREE_TEXT_ARGS.has(key)) return value;
  const trimmed = value.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface ParsedBody {
  args: Args;
  files: { field: string; bytes: Buffer }[];
}

async function parseBody(req: IncomingMessage, url: URL): Promise<ParsedBody> {
  const raw = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  const args: Args = {};
  const files: ParsedBody['files'] = [];
  for (const [key, value] of url.searchParams) args[key] = decodeFormValue(key, value);
  if (raw.length === 0) return { args, files };
  if (contentType.startsWith('application/json')) {
    Object.assign(args, object(JSON.parse(raw.toString('utf8'))) ?? {});
  } else if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form) {
      if (typeof value === 'string') args[key] = decodeFormValue(key, value);
      else files.push({ field: key, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8')))
      args[key] = decodeFormValue(key, value);
  } else {
    files.push({ field: 'body', bytes: raw });
  }
  return { args, files };
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1];
}

function send(
  res: ServerResponse,
  status: number,
  body: Args | string,
  headers: Record<string, string> = {},
) {
  const isJson = typeof body !== 'string';
  res.writeHead(status, {
    'content-type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    ...headers,
  });
  res.end(isJson ? JSON.stringify(body) : body);
}

interface Connection {
  id: number;
  ws: WebSocket;
  ready: boolean;
  ping: NodeJS.Timeout | undefined;
}

interface PendingAck {
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Waiter {
  check: () => boolean;
  fail: (error: Error) => void;
}

class FakeSlackServer implements FakeSlack {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly humanUserId: string;
  readonly calls: FakeCall[] = [];
  readonly acks: SocketAck[] = [];
  apiUrl = '';
  origin = '';

  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly opts: FakeSlackOptions;
  private readonly ackTimeoutMs: number;
  private readonly store = new Map<string, FakeMessage[]>();
  private readonly ephemeralStore = new Map<string, FakeEphemeral[]>();
  private readonly views = new Map<string, FakeView>();
  private readonly files = new Map<string, FakeFile>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly overrides = new Map<string, MethodHandler>();
  private readonly handlers: Record<string, MethodHandler>;
  private readonly tickets = new Set<string>();
  private readonly sockets = new Map<number, Connection>();
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly waiters = new Set<Waiter>();
  private lastTsMicros = 0;
  private nextConnectionId = 1;
  private roundRobin = 0;
  private closed = false;

  constructor(opts: FakeSlackOptions) {
    this.opts = opts;
    this.teamId = opts.teamId ?? 'T0WATCHTWR';
    this.teamDomain = opts.teamDomain ?? 'watchtower-test';
    this.appId = opts.appId ?? 'A0WATCHTWR';
    this.botUserId = opts.botUserId ?? 'U0WATCHBOT';
    this.botId = opts.botId ?? 'B0WATCHBOT';
    this.humanUserId = opts.humanUserId ?? 'U0HUMAN01';
    this.ackTimeoutMs = opts.ackTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.handlers = this.builtinHandlers();
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, `fake-slack: ${String(error)}`);
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.origin}/api/`;
  }

  get connections(): number {
    return [...this.sockets.values()].filter((c) => c.ready).length;
  }

  messages(channel: string): FakeMessage[] {
    return [...(this.store.get(channel) ?? [])];
  }

  ephemerals(channel: string): FakeEphemeral[] {
    return [...(this.ephemeralStore.get(channel) ?? [])];
  }

  view(id: string): FakeView | undefined {
    return this.views.get(id);
  }

  file(id: string): FakeFile | undefined {
    return this.files.get(id);
  }

  nextTs(): string {
    this.lastTsMicros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    const seconds = Math.floor(this.lastTsMicros / 1_000_000);
    return `${seconds}.${String(this.lastTsMicros % 1_000_000).padStart(6, '0')}`;
  }

  failNext(method: string, fault: Fault, times = 1): void {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(fault);
    this.faults.set(method, queue);
  }

  handle(method: string, handler: MethodHandler): void {
    this.overrides.set(method, handler);
  }

  waitForCall(
    method: string,
    predicate: (call: FakeCall) => boolean = () => true,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    return this.waitFor(
      () => this.calls.find((call) => call.method === method && predicate(call)),
      timeoutMs,
      `a ${method} call`,
    );
  }

  async waitForConnections(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.waitFor(
      () => (this.connections === count ? true : undefined),
      timeoutMs,
      `${count} Socket Mode connection(s), have ${this.connections}`,
    );
  }

  // ---- Socket Mode: sending envelopes ----

  sendEvent(event: SlackEventInput, opts: SendEventOptions = {}): Promise<SocketAck> {
    const teamId = opts.teamId ?? this.teamId;
    const retryAttempt = opts.retryAttempt ?? 0;
    const eventTs = str(event, 'event_ts') ?? str(event, 'ts') ?? this.nextTs();
    const isMessageLike = event.type === 'message' || event.type === 'app_mention';
    const payload: Args = {
      token: VERIFICATION_TOKEN,
      team_id: teamId,
      context_team_id: teamId,
      context_enterprise_id: null,
      api_app_id: this.appId,
      event: { ...(isMessageLike ? { ts: eventTs } : {}), event_ts: eventTs, ...event },
      type: 'event_callback',
      event_id: opts.eventId ?? randomId('Ev'),
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: teamId,
          user_id: this.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${Buffer.from(randomUUID()).toString('base64url')}`,
    };
    return this.sendEnvelope(
      {
        envelope_id: randomUUID(),
        type: 'events_api',
        payload,
        accepts_response_payload: false,
        retry_attempt: retryAttempt,
        retry_reason: opts.retryReason ?? (retryAttempt > 0 ? 'timeout' : ''),
      },
      opts,
    );
  }

  sendSlashCommand(command: SlashCommandInput, opts: SendOptions = {}): Promise<SocketAck> {
    const channelId = command.channel_id ?? 'C0OPS00001';
    const userId = command.user_id ?? this.humanUserId;
    const payload: Args = {
      token: VERIFICATION_TOKEN,
      team_id: this.teamId,
      team_domain: this.teamDomain,
      channel_id: channelId,
      channel_name: command.channel_name ?? 'ops',
      user_id: userId,
      user_name: command.user_name ?? 'ada',
      command: command.command,
      text: command.text ?? '',
      api_app_id: this.appId,
      is_enterprise_install: 'false',
      response_url: command.response_url ?? this.responseUrl(channelId, userId),
      trigger_id: command.trigger_id ?? this.triggerId(),
    };
    return this.sendEnvelope(
      { envelope_id: randomUUID(), type: 'slash_commands', payload, accepts_response_payload: true },
      opts,
    );
  }

  sendInteraction(input: InteractionInput, opts: SendOptions = {}): Promise<SocketAck> {
    const user = {
      id: this.humanUserId,
      username: 'ada',
      name: 'ada',
      team_id: this.teamId,
      ...object(input.user),
    };
    const channelId = str(object(input.channel) ?? {}, 'id');
    const payload: Args = {
      token: VERIFICATION_TOKEN,
      api_app_id: this.appId,
      team: { id: this.teamId, domain: this.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      trigger_id: this.triggerId(),
      ...(channelId && typeof user.id === 'string'
        ? { response_url: this.responseUrl(channelId, user.id) }
        : {}),
      ...input,
      user,
    };
    return this.sendEnvelope(
      { envelope_id: randomUUID(), type: 'interactive', payload, accepts_response_payload: true },
      opts,
    );
  }

  async sendEnvelope(envelope: Envelope, opts: SendOptions = {}): Promise<SocketAck> {
    const timeoutMs = opts.timeoutMs ?? this.ackTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const connection = await this.waitFor(() => this.pickConnection(), timeoutMs, 'a Socket Mode connection');
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pendingAcks.delete(envelope.envelope_id);
          reject(new Error(`fake-slack: no ack for ${envelope.type} envelope within ${timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.pendingAcks.set(envelope.envelope_id, { resolve, reject, timer });
      connection.ws.send(JSON.stringify(envelope));
    });
  }

  async disconnectAll(reason = 'refresh_requested', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const leaving = [...this.sockets.values()];
    for (const connection of leaving) {
      connection.ready = false;
      connection.ws.send(
        JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-applink' } }),
      );
    }
    try {
      await this.waitFor(
        () => (leaving.every((c) => !this.sockets.has(c.id)) ? true : undefined),
        timeoutMs,
        'connections to close after disconnect',
      );
    } catch {
      // Slack drops connections that ignore a disconnect; so do we.
      for (const connection of leaving) connection.ws.terminate();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.pendingAcks.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('fake-slack: closed before the ack arrived'));
    }
    this.pendingAcks.clear();
    for (const waiter of this.waiters) waiter.fail(new Error('fake-slack: closed'));
    this.waiters.clear();
    for (const connection of this.sockets.values()) {
      clearInterval(connection.ping);
      connection.ws.terminate();
    }
    this.sockets.clear();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- Internals: waiting ----

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = probe();
      if (first !== undefined) {
        resolve(first);
        return;
      }
      if (this.closed) {
        reject(new Error('fake-slack: closed'));
        return;
      }
      const waiter: Waiter = {
        check: () => {
          const value = probe();
          if (value === undefined) return false;
          clearTimeout(timer);
          resolve(value);
          return true;
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`fake-slack: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) this.waiters.delete(waiter);
    }
  }

  // ---- Internals: Socket Mode connections ----

  private pickConnection(): Connection | undefined {
    const ready = [...this.sockets.values()].filter((c) => c.ready && c.ws.readyState === c.ws.OPEN);
    if (ready.length === 0) return undefined;
    const connection = ready[this.roundRobin % ready.length];
    this.roundRobin += 1;
    return connection;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.origin);
    const ticket = url.searchParams.get('ticket');
    // Tickets from apps.connections.open are single-use, as Slack's are.
    if (url.pathname !== '/link/' || ticket === null || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const connection: Connection = { id: this.nextConnectionId++, ws, ready: false, ping: undefined };
    this.sockets.set(connection.id, connection);
    ws.on('message', (data, isBinary) => this.onSocketMessage(data, isBinary));
    ws.on('close', () => {
      clearInterval(connection.ping);
      this.sockets.delete(connection.id);
      this.changed();
    });
    ws.on('error', () => ws.terminate());
    if (this.opts.pingIntervalMs) {
      connection.ping = setInterval(() => ws.ping(`ping-${Date.now()}`), this.opts.pingIntervalMs);
    }
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'fake-applink', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    connection.ready = true;
    this.changed();
  }

  private onSocketMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: Args | undefined;
    try {
      message = object(JSON.parse(data.toString()));
    } catch {
      return;
    }
    const envelopeId = message && str(message, 'envelope_id');
    if (!message || !envelopeId) return;
    const ack: SocketAck = { envelope_id: envelopeId, payload: object(message.payload) ?? {} };
    this.acks.push(ack);
    const pending = this.pendingAcks.get(envelopeId);
    if (pending) {
      clearTimeout(pending.timer);
      this.pendingAcks.delete(envelopeId);
      pending.resolve(ack);
    }
    this.changed();
  }

  private triggerId(): string {
    return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
  }

  private responseUrl(channel: string, user: string): string {
    return `${this.origin}/response/${channel}/${user}/${randomBytes(6).toString('hex')}`;
  }

  // ---- Internals: HTTP ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const [, root, ...rest] = url.pathname.split('/');
    if (root === 'api' && rest[0]) return this.webApi(rest[0], req, res, url);
    if (root === 'upload' && rest[0] && req.method === 'POST') return this.upload(rest[0], req, res, url);
    if (root === 'response' && rest[0] && rest[1] && req.method === 'POST') {
      return this.respond(rest[0], rest[1], req, res, url);
    }
    send(res, 404, 'Not Found');
  }

  private record(call: Omit<FakeCall, 'at'>): void {
    this.calls.push({ ...call, at: Date.now() });
    this.changed();
  }

  private async webApi(method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { args } = await parseBody(req, url);
    const token = bearer(req.headers.authorization) ?? str(args, 'token');
    delete args.token;
    const answer = (status: number, result: Args | undefined, headers: Record<string, string> = {}) => {
      this.record({ method, args, token, status, result });
      send(res, status, result ?? 'Internal Server Error', headers);
    };

    const fault = this.faults.get(method)?.shift();
    if (fault && 'error' in fault) return answer(200, { ok: false, error: fault.error });
    if (fault?.status === 429) {
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterS) });
    }
    if (fault) return answer(fault.status, undefined);

    const handler = this.overrides.get(method) ?? this.handlers[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method', req_method: method });
    try {
      const result = handler(args, { token: this.authenticate(method, token), method });
      answer(200, { ok: true, ...result });
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      answer(200, { ok: false, error: error.code });
    }
  }

  private authenticate(method: string, token: string | undefined): string {
    if (!token) fail('not_authed');
    const isAppToken = token.startsWith('xapp-');
    if (method === 'apps.connections.open') {
      if (!isAppToken) fail('not_allowed_token_type');
      if (this.opts.appToken !== undefined && token !== this.opts.appToken) fail('invalid_auth');
      return token;
    }
    if (isAppToken) fail('not_allowed_token_type');
    if (this.opts.botToken !== undefined && token.startsWith('xoxb-') && token !== this.opts.botToken) {
      fail('invalid_auth');
    }
    return token;
  }

  private async upload(fileId: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { args, files } = await parseBody(req, url);
    const file = this.files.get(fileId);
    const bytes = files[0]?.bytes ?? Buffer.alloc(0);
    const token = bearer(req.headers.authorization);
    if (!file) {
      this.record({
        method: 'file_upload',
        args: { file_id: fileId, ...args },
        token,
        status: 404,
        result: undefined,
      });
      send(res, 404, 'Not Found');
      return;
    }
    file.bytes = bytes;
    file.size = bytes.length;
    this.record({
      method: 'file_upload',
      args: { file_id: fileId, size: bytes.length },
      token,
      status: 200,
      result: undefined,
    });
    send(res, 200, `OK - ${bytes.length}`);
  }

  private async respond(
    channel: string,
    user: string,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    const { args } = await parseBody(req, url);
    const result = { ok: true };
    const text = str(args, 'text') ?? '';
    const blocks = list(args, 'blocks');
    const threadTs = str(args, 'thread_ts');
    if (args.response_type === 'in_channel') {
      this.post(channel, { text, blocks, thread_ts: threadTs });
    } else if (!args.delete_original && !args.replace_original) {
      this.addEphemeral({ channel, user, ts: this.nextTs(), text, blocks, thread_ts: threadTs });
    }
    this.record({
      method: 'response_url',
      args: { ...args, channel, user },
      token: undefined,
      status: 200,
      result,
    });
    send(res, 200, result);
  }

  // ---- Internals: the store ----

  private channelMessages(channel: string): FakeMessage[] {
    let messages = this.store.get(channel);
    if (!messages) {
      messages = [];
      this.store.set(channel, messages);
    }
    return messages;
  }

  private findMessage(channel: string, ts: string): FakeMessage {
    return this.store.get(channel)?.find((m) => m.ts === ts) ?? fail('message_not_found');
  }

  private post(
    channel: string,
    content: {
      text: string;
      blocks?: unknown[];
      attachments?: unknown[];
      thread_ts?: string;
      metadata?: unknown;
    },
  ): FakeMessage {
    const message: FakeMessage = {
      type: 'message',
      channel,
      ts: this.nextTs(),
      text: content.text,
      user: this.botUserId,
      bot_id: this.botId,
      app_id: this.appId,
      team: this.teamId,
    };
    if (content.thread_ts) message.thread_ts = content.thread_ts;
    if (content.blocks) message.blocks = content.blocks;
    if (content.attachments) message.attachments = content.attachments;
    if (content.metadata !== undefined) message.metadata = content.metadata;
    this.channelMessages(channel).push(message);
    return message;
  }

  private addEphemeral(ephemeral: FakeEphemeral): void {
    const ephemerals = this.ephemeralStore.get(ephemeral.channel) ?? [];
    ephemerals.push(ephemeral);
    this.ephemeralStore.set(ephemeral.channel, ephemerals);
  }

  private wire(message: FakeMessage): Args {
    const { channel: _channel, ...rest } = message;
    return rest;
  }

  private makeView(input: Args, previous?: FakeView): FakeView {
    const id = previous?.id ?? randomId('V');
    return {
      id,
      team_id: this.teamId,
      app_id: this.appId,
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
      callback_id: '',
      private_metadata: '',
      external_id: '',
      clear_on_close: false,
      notify_on_close: false,
      state: { values: {} },
      root_view_id: previous?.root_view_id ?? id,
      previous_view_id: null,
      ...input,
      type: str(input, 'type') ?? fail('invalid_arguments'),
      blocks: list(input, 'blocks') ?? [],
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
    };
  }

  private streamText(args: Args): string {
    const chunkText = (list(args, 'chunks') ?? [])
      .map((chunk) => str(object(chunk) ?? {}, 'text') ?? '')
      .join('');
    return (str(args, 'markdown_text') ?? '') + chunkText;
  }

  private streamingMessage(args: Args): FakeMessage {
    const message = this.findMessage(need(args, 'channel', 'channel_not_found'), need(args, 'ts'));
    if (message.stream !== 'in_progress') fail('message_not_in_streaming_state');
    return message;
  }

  private builtinHandlers(): Record<string, MethodHandler> {
    return {
      'auth.test': (_args, { token }) => ({
        url: `https://${this.teamDomain}.slack.com/`,
        team: 'Watch Tower Test',
        user: token.startsWith('xoxb-') ? 'watchtower' : 'installer',
        team_id: this.teamId,
        user_id: token.startsWith('xoxb-') ? this.botUserId : 'U0INSTALLR',
        ...(token.startsWith('xoxb-') ? { bot_id: this.botId } : {}),
        is_enterprise_install: false,
      }),

      'apps.connections.open': () => {
        const ticket = randomUUID();
        this.tickets.add(ticket);
        return { url: `${this.origin.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.appId}` };
      },

      'chat.postMessage': (args) => {
        const channel = need(args, 'channel', 'channel_not_found');
        const blocks = list(args, 'blocks');
        const attachments = list(args, 'attachments');
        const text = str(args, 'text') ?? str(args, 'markdown_text');
        if (text === undefined && !blocks?.length && !attachments?.length) fail('no_text');
        const message = this.post(channel, {
          text: text ?? '',
          blocks,
          attachments,
          thread_ts: str(args, 'thread_ts'),
          metadata: args.metadata,
        });
        return { channel, ts: message.ts, message: this.wire(message) };
      },

      'chat.update': (args) => {
        const channel = need(args, 'channel', 'channel_not_found');
        const message = this.findMessage(channel, need(args, 'ts', 'message_not_found'));
        const text = str(args, 'text');
        const blocks = list(args, 'blocks');
        const attachments = list(args, 'attachments');
        if (text === undefined && !blocks && !attachments) fail('no_text');
        if (text !== undefined) message.text = text;
        if (blocks) message.blocks = blocks;
        if (attachments) message.attachments = attachments;
        if (args.metadata !== undefined) message.metadata = args.metadata;
        message.edited = { user: this.botUserId, ts: this.nextTs() };
        return { channel, ts: message.ts, text: message.text, message: this.wire(message) };
      },

      'chat.delete': (args) => {
        const channel = need(args, 'channel', 'channel_not_found');
        const message = this.findMessage(channel, need(args, 'ts', 'message_not_found'));
        const messages = this.channelMessages(channel);
        messages.splice(messages.indexOf(message), 1);
        return { channel, ts: message.ts };
      },

      'chat.postEphemeral': (args) => {
        const channel = need(args, 'channel', 'channel_not_found');
        const user = need(args, 'user', 'user_not_in_channel');
        const blocks = list(args, 'blocks');
        const text = str(args, 'text');
        if (text === undefined && !blocks?.length) fail('no_text');
        const ts = this.nextTs();
        this.addEphemeral({ channel, user, ts, text: text ?? '', blocks, thread_ts: str(args, 'thread_ts') });
        return { message_ts: ts };
      },

      'chat.startStream': (args) => {
        const channel = need(args, 'channel', 'channel_not_found');
        const message = this.post(channel, {
          text: this.streamText(args),
          thread_ts: need(args, 'thread_ts'),
        });
        message.stream = 'in_progress';
        return { channel, ts: message.ts };
      },

      'chat.appendStream': (args) => {
        const message = this.streamingMessage(args);
        message.text += this.streamText(args);
        return { channel: message.channel, ts: message.ts };
      },

      'chat.stopStream': (args) => {
        const message = this.streamingMessage(args);
        message.text += this.streamText(args);
        const blocks = list(args, 'blocks');
        if (blocks) message.blocks = blocks;
        message.stream = 'completed';
        return { channel: message.channel, ts: message.ts, message: this.wire(message) };
      },

      'reactions.add': (args) => {
        const message = this.findMessage(need(args, 'channel', 'channel_not_found'), need(args, 'timestamp'));
        const name = need(args, 'name', 'invalid_name');
        message.reactions ??= [];
        const reaction = message.reactions.find((r) => r.name === name);
        if (reaction?.users.includes(this.botUserId)) fail('already_reacted');
        if (reaction) {
          reaction.users.push(this.botUserId);
          reaction.count += 1;
        } else {
          message.reactions.push({ name, users: [this.botUserId], count: 1 });
        }
        return {};
      },

      'reactions.remove': (args) => {
        const message = this.findMessage(need(args, 'channel', 'channel_not_found'), need(args, 'timestamp'));
        const name = need(args, 'name', 'invalid_name');
        const reaction = message.reactions?.find((r) => r.name === name);
        if (!reaction?.users.includes(this.botUserId)) fail('no_reaction');
        reaction.users = reaction.users.filter((u) => u !== this.botUserId);
        reaction.count -= 1;
        if (reaction.count === 0) message.reactions = message.reactions?.filter((r) => r !== reaction);
        return {};
      },

      'views.open': (args) => {
        need(args, 'trigger_id');
        const view = this.makeView(object(args.view) ?? fail('invalid_arguments'));
        this.views.set(view.id, view);
        return { view };
      },

      'views.push': (args) => {
        need(args, 'trigger_id');
        const view = this.makeView(object(args.view) ?? fail('invalid_arguments'));
        this.views.set(view.id, view);
        return { view };
      },

      'views.update': (args) => {
        const externalId = str(args, 'external_id');
        const previous = externalId
          ? [...this.views.values()].find((v) => v.external_id === externalId)
          : this.views.get(need(args, 'view_id'));
        if (!previous) fail('not_found');
        const hash = str(args, 'hash');
        if (hash !== undefined && hash !== previous.hash) fail('hash_conflict');
        const view = this.makeView(object(args.view) ?? fail('invalid_arguments'), previous);
        this.views.set(view.id, view);
        return { view };
      },

      'views.publish': (args) => {
        const userId = need(args, 'user_id', 'user_not_found');
        const previous = [...this.views.values()].find((v) => v.user_id === userId);
        const view = this.makeView(
          { ...(object(args.view) ?? fail('invalid_arguments')), user_id: userId },
          previous,
        );
        this.views.set(view.id, view);
        return { view };
      },

      'assistant.threads.setStatus': (args) => {
        need(args, 'channel_id', 'channel_not_found');
        need(args, 'thread_ts');
        return {};
      },

      'files.getUploadURLExternal': (args) => {
        const filename = need(args, 'filename');
        const length = Number(need(args, 'length', 'invalid_length'));
        const id = randomId('F');
        const file: FakeFile = { id, name: filename, title: filename, size: length, bytes: undefined };
        const altText = str(args, 'alt_text');
        if (altText) file.alt_text = altText;
        this.files.set(id, file);
        return { upload_url: `${this.origin}/upload/${id}`, file_id: id };
      },

      'files.completeUploadExternal': (args) => {
        const requested = (list(args, 'files') ?? fail('invalid_arguments')).map(
          (entry) => object(entry) ?? {},
        );
        const completed = requested.map((entry) => {
          const file = this.files.get(need(entry, 'id', 'file_not_found')) ?? fail('file_not_found');
          if (!file.bytes) fail('file_upload_not_complete');
          file.title = str(entry, 'title') ?? file.title;
          const { bytes: _bytes, ...shared } = file;
          return shared;
        });
        const channel = str(args, 'channel_id') ?? str(args, 'channels');
        if (channel) {
          const message = this.post(channel, {
            text: str(args, 'initial_comment') ?? '',
            blocks: list(args, 'blocks'),
            thread_ts: str(args, 'thread_ts'),
          });
          message.files = completed;
        }
        return { files: completed.map(({ id, title }) => ({ id, title })) };
      },

      'users.info': (args) => {
        const id = need(args, 'user', 'user_not_found');
        const name = id === this.botUserId ? 'watchtower' : `user-${id.toLowerCase()}`;
        return {
          user: {
            id,
            team_id: this.teamId,
            name,
            real_name: name,
            deleted: false,
            is_bot: id === this.botUserId,
            tz: 'Africa/Lagos',
            tz_label: 'West Africa Standard Time',
            tz_offset: 3600,
            profile: { display_name: name, real_name: name },
            ...this.opts.users?.[id],
          },
        };
      },

      'conversations.info': (args) => {
        const id = need(args, 'channel', 'channel_not_found');
        return {
          channel: {
            id,
            name: id.startsWith('D') ? undefined : `channel-${id.toLowerCase()}`,
            is_channel: id.startsWith('C'),
            is_group: false,
            is_im: id.startsWith('D'),
            is_private: id.startsWith('G') || id.startsWith('D'),
            is_member: true,
            is_archived: false,
            created: 1_700_000_000,
            context_team_id: this.teamId,
            ...this.opts.channels?.[id],
          },
        };
      },

      'conversations.history': (args) => {
        const messages = this.store.get(need(args, 'channel', 'channel_not_found')) ?? [];
        const topLevel = messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
        return { messages: topLevel.map((m) => this.wire(m)).reverse(), has_more: false };
      },

      'conversations.replies': (args) => {
        const channel = need(args, 'channel', 'channel_not_found');
        const ts = need(args, 'ts', 'thread_not_found');
        // The parent may be a user's message, which the fake never stored; then only the replies come back.
        const thread = this.channelMessages(channel).filter((m) => m.ts === ts || m.thread_ts === ts);
        if (thread.length === 0) fail('thread_not_found');
        return { messages: thread.map((m) => this.wire(m)), has_more: false };
      },
    };
  }
}

/** Starts the fake on a free 127.0.0.1 port. Close it in `afterEach`/`afterAll`. */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlackServer(opts);
  await fake.listen();
  return fake;
}
