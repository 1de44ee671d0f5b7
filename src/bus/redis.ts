import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  CONNECT_TIMEOUT_MS,
  RespConnection,
  type RespReply,
  RespReplyError,
  reconnectDelayMs,
} from './resp.ts';
import type { Bus, Claim, Fields, GroupInfo, ReadOptions, ReclaimOptions, StreamEntry } from './types.ts';
import { deadLetterStream, PartialAppendError } from './types.ts';

type RawEntry = [id: string, flat: string[] | null];

const toFields = (flat: string[] | null): Fields => {
  const out: Fields = {};
  if (!flat) return out;
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
};

const flatten = (fields: Fields): string[] => {
  const out: string[] = [];
  for (const k in fields) out.push(k, fields[k]!);
  return out;
};

// appendOnce for many callers in one script run. ARGV[1] = number of calls; per call: claim ttl in ms (0 = no
// claim), number of entries, then per entry its number of field strings and the strings. KEYS, in the same
// order: the claim key (when there is one), then each entry's stream. A call's reply is its ids, or 0 when
// its key was already claimed (a nil would cut the reply array short); an entry its stream refused (a key of
// another type) reads "!" and the error, and the other calls and entries go on.
const APPEND_ONCE = `
local out = {}
local k, a = 1, 2
for c = 1, tonumber(ARGV[1]) do
  local ttl, n = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  local fresh = true
  if ttl > 0 then
    fresh = redis.call('SET', KEYS[k], '1', 'PX', ttl, 'NX')
    k = k + 1
  end
  local ids = {}
  for e = 1, n do
    local nf = tonumber(ARGV[a])
    if fresh then
      local id = redis.pcall('XADD', KEYS[k], '*', unpack(ARGV, a + 1, a + nf))
      if type(id) == 'table' then id = '!' .. tostring(id.err) end
      ids[e] = id
    end
    k, a = k + 1, a + 1 + nf
  end
  if fresh then out[c] = ids else out[c] = 0 end
end
return out`;
const APPEND_ONCE_SHA = createHash('sha1').update(APPEND_ONCE).digest('hex');

/** Calls to appendOnce waiting for the next script run, and the most one run takes. */
interface OnceCall {
  claim: Claim | undefined;
  entries: { stream: string; fields: Fields }[];
  resolve(ids: string[] | null): void;
  reject(err: unknown): void;
}
const ONCE_BATCH = 256;

export interface RedisBusOptions {
  url: string;
  /** Prefixed to every stream name, so tests and tenants can share one server. */
  prefix?: string;
}

/** Redis Streams: consumer groups, XAUTOCLAIM for stale entries, a `:dead` stream per stream. */
export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  readonly prefix: string;
  // Blocking reads hold their connection, so each reader (stream, group, consumer) gets its own; the shared
  // one stays pipelined.
  private readonly blocking = new Map<string, { conn: Redis; ready: Promise<void> }>();
  private closed = false;
  private readonly onceQueue: OnceCall[] = [];
  /** appendOnce's own connection: its script runs are the webhook's hot path (see resp.ts). */
  private readonly fast: RespConnection;

  private constructor(redis: Redis, fast: RespConnection, prefix: string) {
    this.redis = redis;
    this.fast = fast;
    this.prefix = prefix;
  }

  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const redis = new Redis(opts.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      // Fail fast while disconnected: callers answer 503 or back off instead of queueing without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: reconnectDelayMs,
    });
    redis.on('error', () => {
      // Connection errors surface as rejected commands; ioredis reconnects on its own.
    });
    await redis.connect();
    let fast: RespConnection;
    try {
      fast = await RespConnection.open(opts.url);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    return new RedisBus(redis, fast, opts.prefix ?? 'wt:');
  }

  private key(stream: string) {
    return this.prefix + stream;
  }

  private async blockingConnection(reader: string): Promise<Redis> {
    let entry = this.blocking.get(reader);
    if (!entry) {
      const conn = this.redis.duplicate({ enableAutoPipelining: false, lazyConnect: true });
      conn.on('error', () => {});
      entry = { conn, ready: conn.connect() };
      this.blocking.set(reader, entry);
    }
    await entry.ready;
    return entry.conn;
  }

  async append(stream: string, fields: Fields): Promise<string> {
    return (await this.redis.xadd(this.key(stream), '*', ...flatten(fields)))!;
  }

  /**
   * Calls made in the same turn of the event loop share one script run (one round trip and one command for
   * Redis however many webhook requests arrived together); each still claims and appends on its own.
   */
  appendOnce(
    claim: Claim | undefined,
    entries: { stream: string; fields: Fields }[],
  ): Promise<string[] | null> {
    return new Promise((resolve, reject) => {
      if (this.onceQueue.push({ claim, entries, resolve, reject }) === 1)
        setImmediate(() => this.flushOnce());
    });
  }

  private flushOnce(): void {
    while (this.onceQueue.length > 0) {
      const calls = this.onceQueue.splice(0, ONCE_BATCH);
      const keys: string[] = [];
      const args: (string | number)[] = [calls.length];
      for (const { claim, entries } of calls) {
        args.push(claim ? Math.max(1, Math.ceil(claim.ttlMs)) : 0, entries.length);
        if (claim) keys.push(this.key(claim.key));
        for (const { stream, fields } of entries) {
          keys.push(this.key(stream));
          const flat = flatten(fields);
          args.push(flat.length, ...flat);
        }
      }
      this.runAppendOnce(keys, args).then(
        (replies) => {
          for (const [i, c] of calls.entries()) {
            const ids = replies[i]!;
            const refused = ids === 0 ? undefined : ids.find((id) => id.startsWith('!'));
            if (ids === 0) c.resolve(null);
            else if (refused === undefined) c.resolve(ids);
            else
              c.reject(
                new PartialAppendError(
                  ids.map((id) => (id.startsWith('!') ? undefined : id)),
                  refused.slice(1),
                ),
              );
          }
        },
        (err) => {
          for (const c of calls) c.reject(err);
        },
      );
    }
  }

  /** The script by its hash; by its text when Redis does not have it (after a restart), which caches it. */
  private async runAppendOnce(keys: string[], args: (string | number)[]): Promise<(string[] | 0)[]> {
    let reply: RespReply;
    try {
      reply = await this.fast.command(['EVALSHA', APPEND_ONCE_SHA, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof RespReplyError && err.message.startsWith('NOSCRIPT'))) throw err;
      reply = await this.fast.command(['EVAL', APPEND_ONCE, keys.length, ...keys, ...args]);
    }
    return reply as (string[] | 0)[];
  }

  async appendMany(stream: string, entries: Fields[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const key = this.key(stream);
    const multi = this.redis.multi();
    for (const fields of entries) multi.xadd(key, '*', ...flatten(fields));
    const results = await multi.exec();
    if (!results) throw new Error('redis transaction aborted');
    return results.map(([err, id]) => {
      if (err) throw err;
      return id as string;
    });
  }

  async ensureGroup(stream: string, group: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key(stream), group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async read(stream: string, group: string, consumer: string, opts: ReadOptions): Promise<StreamEntry[]> {
    const key = this.key(stream);
    const conn = opts.blockMs > 0 ? await this.blockingConnection(`${key}|${group}|${consumer}`) : this.redis;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', opts.count];
    if (opts.blockMs > 0) args.push('BLOCK', opts.blockMs);
    args.push('STREAMS', key, '>');
    const reply = (await conn.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
    if (!reply) return [];
    return reply[0]![1].map(([id, flat]) => ({ id, fields: toFields(flat), deliveries: 1 }));
  }

  async tail(stream: string, afterId: string, opts: ReadOptions): Promise<{ id: string; fields: Fields }[]> {
    const key = this.key(stream);
    // One tail at a time per stream and process (a local hub fans it out), so one connection per stream.
    const conn = opts.blockMs > 0 ? await this.blockingConnection(`${key}|tail`) : this.redis;
    const args: (string | number)[] = ['COUNT', opts.count];
    if (opts.blockMs > 0) args.push('BLOCK', opts.blockMs);
    args.push('STREAMS', key, afterId);
    const reply = (await conn.call('XREAD', ...args)) as [string, RawEntry[]][] | null;
    return reply ? reply[0]![1].map(([id, flat]) => ({ id, fields: toFields(flat) })) : [];
  }

  async lastId(stream: string): Promise<string> {
    const rows = (await this.redis.xrevrange(this.key(stream), '+', '-', 'COUNT', 1)) as RawEntry[];
    return rows[0]?.[0] ?? '0-0';
  }

  async ack(stream: string, group: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.redis.xack(this.key(stream), group, ...ids);
  }

  async reclaim(
    stream: string,
    group: string,
    consumer: string,
    opts: ReclaimOptions,
  ): Promise<StreamEntry[]> {
    const key = this.key(stream);
    const reply = (await this.redis.call(
      'XAUTOCLAIM',
      key,
      group,
      consumer,
      opts.minIdleMs,
      '0-0',
      'COUNT',
      opts.count,
    )) as [string, RawEntry[], string[]?];
    const claimed = reply[1].filter(([, flat]) => flat !== null);
    if (claimed.length === 0) return [];
    // XAUTOCLAIM does not report delivery counts; XPENDING per claimed id does (already incremented).
    const pipe = this.redis.pipeline();
    for (const [id] of claimed) pipe.xpending(key, group, id, id, 1);
    const counts = (await pipe.exec()) ?? [];
    return claimed.map(([id, flat], i) => {
      const row = (counts[i]?.[1] as [string, string, number, number][] | undefined)?.[0];
      return { id, fields: toFields(flat), deliveries: row ? Number(row[3]) : 1 };
    });
  }

  async deadLetter(stream: string, group: string, entry: StreamEntry, error: string): Promise<void> {
    await this.redis
      .multi()
      .xadd(
        this.key(deadLetterStream(stream)),
        '*',
        ...flatten({
          ...entry.fields,
          dead_source_id: entry.id,
          dead_group: group,
          dead_deliveries: String(entry.deliveries),
          dead_error: error,
        }),
      )
      .xack(this.key(stream), group, entry.id)
      .exec();
  }

  async trim(stream: string, maxLen: number): Promise<number> {
    return this.redis.xtrim(this.key(stream), 'MAXLEN', '~', maxLen);
  }

  async length(stream: string): Promise<number> {
    return this.redis.xlen(this.key(stream));
  }

  async groupInfo(stream: string, group: string): Promise<GroupInfo> {
    const groups = (await this.redis.call('XINFO', 'GROUPS', this.key(stream)).catch((err: Error) => {
      if (err.message.includes('no such key')) return [];
      throw err;
    })) as (string | number | null)[][];
    for (const flat of groups) {
      const info: Record<string, string | number | null> = {};
      for (let i = 0; i < flat.length; i += 2) info[String(flat[i])] = flat[i + 1] ?? null;
      if (info.name === group) {
        return { pending: Number(info.pending ?? 0), lag: info.lag === null ? null : Number(info.lag ?? 0) };
      }
    }
    return { pending: 0, lag: null };
  }

  async range(
    stream: string,
    start = '-',
    end = '+',
    count = 100,
  ): Promise<{ id: string; fields: Fields }[]> {
    const rows = (await this.redis.xrange(this.key(stream), start, end, 'COUNT', count)) as RawEntry[];
    return rows.map(([id, flat]) => ({ id, fields: toFields(flat) }));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.blocking.values()].map(({ conn }) => conn.quit().catch(() => conn.disconnect())),
    );
    await this.fast.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
