import type { Redis } from 'ioredis';

// Small keyed state shared by replicas: leases (one owner per shard or cron run), replay guards, cache
// entries and rate-limit counters. Redis in production, a Map in the embedded default.

export interface Kv {
  /** Sets key to value only if absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Extends the key's life only if it still holds `value` (a lease still ours). */
  renewIfOwner(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes the key only if it still holds `value`. */
  releaseIfOwner(key: string, value: string): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Several keys in one round trip. */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** Increments many counters in one round trip, each (re)given `ttlMs` to live. */
  incrMany(keys: string[], ttlMs: number): Promise<void>;
  /** Adds `by` to a counter, giving it `ttlMs` to live when it is new; returns the new total. */
  incrBy(key: string, by: number, ttlMs: number): Promise<number>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(keys: string[]): Promise<number>;
  /** Increments a counter, giving it `ttlMs` to live when it is new; returns the count and ms left. */
  incrWindow(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
  /** Keys matching a prefix (small sets only: replica registrations). */
  keysWithPrefix(prefix: string): Promise<string[]>;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const INCR_MANY = `for _, k in ipairs(KEYS) do redis.call('incr', k) redis.call('pexpire', k, ARGV[1]) end return #KEYS`;
const INCR_BY = `local n = redis.call('incrby', KEYS[1], ARGV[1]) if n == tonumber(ARGV[1]) then redis.call('pexpire', KEYS[1], ARGV[2]) end return n`;
const INCR_WINDOW = `local n = redis.call('incr', KEYS[1]) if n == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end return {n, redis.call('pttl', KEYS[1])}`;

export class RedisKv implements Kv {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'wt:',
  ) {}

  private k(key: string) {
    return this.prefix + key;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    return (await this.redis.set(this.k(key), value, 'PX', ttlMs, 'NX')) === 'OK';
  }
  async renewIfOwner(key: string, value: string, ttlMs: number) {
    return Number(await this.redis.eval(RENEW, 1, this.k(key), value, ttlMs)) === 1;
  }
  async releaseIfOwner(key: string, value: string) {
    return Number(await this.redis.eval(RELEASE, 1, this.k(key), value)) === 1;
  }
  async get(key: string) {
    return this.redis.get(this.k(key));
  }
  async mget(keys: string[]) {
    return keys.length ? this.redis.mget(...keys.map((k) => this.k(k))) : [];
  }
  async incrBy(key: string, by: number, ttlMs: number) {
    return Number(await this.redis.eval(INCR_BY, 1, this.k(key), by, ttlMs));
  }
  async incrMany(keys: string[], ttlMs: number) {
    if (keys.length) await this.redis.eval(INCR_MANY, keys.length, ...keys.map((k) => this.k(k)), ttlMs);
  }
  async set(key: string, value: string, ttlMs: number) {
    await this.redis.set(this.k(key), value, 'PX', ttlMs);
  }
  async del(keys: string[]) {
    return keys.length ? this.redis.del(...keys.map((k) => this.k(k))) : 0;
  }
  async incrWindow(key: string, ttlMs: number) {
    const [count, ttl] = (await this.redis.eval(INCR_WINDOW, 1, this.k(key), ttlMs)) as [number, number];
    return { count: Number(count), ttlMs: Number(ttl) };
  }
  async keysWithPrefix(prefix: string) {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.k(prefix)}*`, 'COUNT', 500);
      cursor = next;
      out.push(...keys.map((k) => k.slice(this.prefix.length)));
    } while (cursor !== '0');
    return out;
  }
}

export class MemoryKv implements Kv {
  private readonly map = new Map<string, { value: string; expiresAt: number }>();
  // Expired keys go when read; keys never read again (a replay guard's signatures) go when the map has doubled.
  private pruneAt = 10_000;

  constructor(private readonly now: () => number = Date.now) {}

  private put(key: string, value: string, ttlMs: number) {
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
    if (this.map.size <= this.pruneAt) return;
    const now = this.now();
    for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
    this.pruneAt = Math.max(10_000, this.map.size * 2);
  }

  private live(key: string) {
    const e = this.map.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    this.put(key, value, ttlMs);
    return true;
  }
  async renewIfOwner(key: string, value: string, ttlMs: number) {
    const e = this.live(key);
    if (!e || e.value !== value) return false;
    e.expiresAt = this.now() + ttlMs;
    return true;
  }
  async releaseIfOwner(key: string, value: string) {
    const e = this.live(key);
    if (!e || e.value !== value) return false;
    this.map.delete(key);
    return true;
  }
  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async mget(keys: string[]) {
    return keys.map((k) => this.live(k)?.value ?? null);
  }
  async incrMany(keys: string[], ttlMs: number) {
    for (const k of keys) {
      const e = this.live(k);
      this.put(k, String(Number(e?.value ?? 0) + 1), ttlMs);
    }
  }
  async incrBy(key: string, by: number, ttlMs: number) {
    const e = this.live(key);
    if (!e) {
      this.put(key, String(by), ttlMs);
      return by;
    }
    e.value = String(Number(e.value) + by);
    return Number(e.value);
  }
  async set(key: string, value: string, ttlMs: number) {
    this.put(key, value, ttlMs);
  }
  async del(keys: string[]) {
    let n = 0;
    for (const k of keys) if (this.live(k) && this.map.delete(k)) n++;
    return n;
  }
  async incrWindow(key: string, ttlMs: number) {
    const e = this.live(key);
    if (!e) {
      this.put(key, '1', ttlMs);
      return { count: 1, ttlMs };
    }
    e.value = String(Number(e.value) + 1);
    return { count: Number(e.value), ttlMs: e.expiresAt - this.now() };
  }
  async keysWithPrefix(prefix: string) {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix) && this.live(k));
  }
}
