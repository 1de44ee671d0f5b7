import net from 'node:net';
import tls from 'node:tls';

// A lean Redis connection for the webhook's one hot command (appendOnce's script run), which ioredis costs
// about 15 µs of CPU per accepted request under load: its Command, auto-pipeline and promise layers, where
// this writes the command as one string and parses the reply in place (measured with bench:ingest's (b)).
// RESP2, pipelined: replies answer commands in the order sent. Everything else stays on ioredis.
//
// Like the ioredis connection beside it (no offline queue): while disconnected a command fails at once, so
// the webhook spools or answers 503 instead of waiting; the connection comes back on its own.

/** An error reply from Redis (its own message, e.g. "NOSCRIPT No matching script"). */
export class RespReplyError extends Error {
  override name = 'RespReplyError';
}

/** A reply; an error inside an array (EXEC's, say) stays in its place as a RespReplyError. */
export type RespReply = string | number | null | RespReplyError | RespReply[];

/** Both Redis connections of a bus: how long a connection attempt may take, and the wait before attempt n. */
export const CONNECT_TIMEOUT_MS = 5_000;
export const reconnectDelayMs = (attempt: number) => Math.min(attempt * 200, 2_000);

interface Target {
  host: string;
  port: number;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number;
}

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS), as REDIS_URL takes them. */
export function parseRedisUrl(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`expected a redis:// or rediss:// URL, got ${u.protocol}//`);
  }
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new Error('the path of a Redis URL is a database number');
  // Options both connections would not read alike are refused rather than half applied.
  if (u.search !== '') throw new Error('a Redis URL takes no ?options: the database goes in the path');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === 'rediss:',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: path === '' ? 0 : Number(path),
  };
}

/** One command as RESP: an array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const s = typeof arg === 'string' ? arg : String(arg);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

const CR = 13;
/** Marks a reply not yet wholly received. */
const INCOMPLETE = Symbol('incomplete');
type Parsed = { value: RespReply; end: number } | typeof INCOMPLETE;

/** Parses the reply that starts at `at`; INCOMPLETE when its bytes have not all arrived. */
export function parseReply(buf: Buffer, at: number): Parsed {
  if (at >= buf.length) return INCOMPLETE;
  const lineEnd = buf.indexOf(CR, at);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return INCOMPLETE;
  const type = buf[at];
  const line = buf.toString('latin1', at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 0x2b: // +
      return { value: line, end: next };
    case 0x2d: // -
      return { value: new RespReplyError(buf.toString('utf8', at + 1, lineEnd)), end: next };
    case 0x3a: // :
      return { value: Number(line), end: next };
    case 0x24: {
      // $
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (next + len + 2 > buf.length) return INCOMPLETE;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case 0x2a: {
      // *
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      const items: RespReply[] = [];
      let end = next;
      for (let i = 0; i < len; i++) {
        const item = parseReply(buf, end);
        if (item === INCOMPLETE) return INCOMPLETE;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP type byte ${type} from Redis`);
  }
}

interface Waiter {
  resolve(reply: RespReply): void;
  reject(err: Error): void;
}

export class RespConnection {
  private socket: net.Socket | undefined;
  private ready = false;
  private closed = false;
  private readonly waiting: Waiter[] = [];
  private buffered: Buffer | undefined;
  private attempts = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly target: Target;

  private constructor(url: string) {
    this.target = parseRedisUrl(url);
  }

  /** Connects (and authenticates and selects the database); throws if that fails. */
  static async open(url: string): Promise<RespConnection> {
    const conn = new RespConnection(url);
    try {
      await conn.connect();
    } catch (err) {
      // Never connected: the caller gets the error, and nothing keeps retrying behind its back.
      await conn.close();
      throw err;
    }
    return conn;
  }

  get connected(): boolean {
    return this.ready;
  }

  /** Sends one command: its reply; rejects with a RespReplyError, or at once when not connected. */
  command(args: readonly (string | number)[]): Promise<RespReply> {
    if (!this.ready || !this.socket) {
      return Promise.reject(new Error('Redis connection is not ready (reconnecting)'));
    }
    return this.send(this.socket, encodeCommand(args));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }

  private send(socket: net.Socket, wire: string): Promise<RespReply> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      socket.write(wire);
    });
  }

  private connect(): Promise<void> {
    const { host, port } = this.target;
    const socket = this.target.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`Redis at ${host}:${port}: no connection within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      socket.once(this.target.tls ? 'secureConnect' : 'connect', () => {
        this.handshake(socket).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.ready = true;
            this.attempts = 0;
            resolve();
          },
          (err: Error) => fail(err),
        );
      });
      socket.on('error', (err) => fail(new Error(`Redis at ${host}:${port}: ${err.message}`)));
      socket.once('close', () => {
        fail(new Error(`Redis at ${host}:${port}: connection closed`));
        this.onClose(socket);
      });
    });
  }

  /** AUTH and SELECT as the URL asks; their errors name the step, never the password. */
  private async handshake(socket: net.Socket): Promise<void> {
    const { username, password, db } = this.target;
    const steps: [string, (string | number)[]][] = [];
    if (password !== undefined) {
      steps.push(['AUTH', username === undefined ? ['AUTH', password] : ['AUTH', username, password]]);
    }
    if (db !== 0) steps.push([`SELECT ${db}`, ['SELECT', db]]);
    for (const [step, args] of steps) {
      try {
        await this.send(socket, encodeCommand(args));
      } catch (err) {
        throw new Error(`Redis refused ${step}: ${(err as Error).message}`);
      }
    }
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    const buf = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    let at = 0;
    try {
      for (;;) {
        const parsed = parseReply(buf, at);
        if (parsed === INCOMPLETE) break;
        at = parsed.end;
        const waiter = this.waiting.shift();
        if (!waiter) throw new Error('Redis sent a reply nothing asked for');
        if (parsed.value instanceof RespReplyError) waiter.reject(parsed.value);
        else waiter.resolve(parsed.value);
      }
    } catch (err) {
      // Out of step with the server: nothing later can be matched to its command.
      socket.destroy(err as Error);
      return;
    }
    this.buffered = at < buf.length ? buf.subarray(at) : undefined;
  }

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.ready = false;
    this.buffered = undefined;
    // Sent, but whether Redis ran them is unknown: their callers treat them as failed.
    const lost = new Error('Redis connection lost before it answered');
    for (const waiter of this.waiting.splice(0)) waiter.reject(lost);
    if (this.closed) return;
    this.attempts++;
    this.retry = setTimeout(() => {
      this.connect().catch(() => {
        // Its close handler schedules the next attempt.
      });
    }, reconnectDelayMs(this.attempts));
    this.retry.unref();
  }
}
