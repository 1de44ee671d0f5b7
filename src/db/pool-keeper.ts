import type { Logger } from '../log.ts';
import type { Sql } from './client.ts';

// The connection pool, replaced when it stops answering. When PostgreSQL restarts under load, postgres.js
// 3.4.9 can leave connections that met the server while it was starting up with queries that never settle
// (porsager/postgres#1193, a fix proposed upstream): the consumers then wait forever on a database that is
// back. Every few seconds the keeper looks for that: the pool not answering a ping, or a query or transaction
// in flight for longer than any of ours takes (`stuckAfterMs`). Either while a fresh pool answers means the
// pool is the problem, not the database: the fresh pool takes over and the old one is ended at once, which
// fails its stuck queries, so the consumers retry them on the new pool. A database that is down fails the
// fresh pool too, and nothing is done.
//
// Everything holds one `sql` that forwards to the current pool, so nobody needs to know it changed.

export interface PoolKeeperOptions {
  make: () => Sql;
  logger: Logger;
  checkEveryMs?: number;
  pingTimeoutMs?: number;
  /** Consecutive failed pings before a fresh pool is tried. */
  failuresBeforeSwap?: number;
  /** A query or transaction running longer than this is stuck (default 120 s). */
  stuckAfterMs?: number;
}

export interface PoolKeeper {
  sql: Sql;
  /** How many times the pool was replaced. */
  readonly replaced: number;
  /** One check now (the timer does this on its own). */
  check(): Promise<void>;
  end(opts?: { timeout?: number }): Promise<void>;
}

export function keepPool(o: PoolKeeperOptions): PoolKeeper {
  const pingTimeoutMs = o.pingTimeoutMs ?? 5_000;
  const failuresBeforeSwap = o.failuresBeforeSwap ?? 2;
  let current = o.make();
  let failures = 0;
  let replaced = 0;
  let checking: Promise<void> | undefined;
  let ended = false;
  const stuckAfterMs = o.stuckAfterMs ?? 120_000;
  // Start times of what runs through the pool now: top-level queries and whole transactions.
  const inFlight = new Map<object, number>();
  const begun = (): (() => void) => {
    const key = {};
    inFlight.set(key, performance.now());
    return () => inFlight.delete(key);
  };
  /** Times a query from the moment it is awaited (a postgres.js query only runs then). */
  const timed = <T>(work: T): T => {
    const q = work as unknown as { then?: (...a: unknown[]) => unknown };
    if (!q || typeof q.then !== 'function') return work; // a fragment (identifiers, values), not a query
    const then = q.then as (this: unknown, ok?: unknown, fail?: unknown) => unknown;
    function timedThen(
      this: unknown,
      onFulfilled?: (v: unknown) => unknown,
      onRejected?: (e: unknown) => unknown,
    ) {
      const done = begun();
      return then.call(
        this,
        (v: unknown) => {
          done();
          return onFulfilled ? onFulfilled(v) : v;
        },
        (e: unknown) => {
          done();
          if (onRejected) return onRejected(e);
          throw e;
        },
      );
    }
    Object.defineProperty(q, 'then', { value: timedThen, configurable: true, writable: true });
    return work;
  };
  const oldestMs = () => {
    let oldest = 0;
    const now = performance.now();
    for (const started of inFlight.values()) oldest = Math.max(oldest, now - started);
    return oldest;
  };

  const ping = async (pool: Sql) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pool`select 1`,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${pingTimeoutMs} ms`)), pingTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const checkOnce = async () => {
    const stuck = oldestMs() > stuckAfterMs;
    try {
      await ping(current);
      failures = 0;
    } catch {
      failures++;
    }
    if ((!stuck && failures < failuresBeforeSwap) || ended) return;
    const fresh = o.make();
    try {
      await ping(fresh);
    } catch {
      // The database itself is not answering: the pool is not the problem.
      await fresh.end({ timeout: 0 }).catch(() => undefined);
      return;
    }
    if (ended) {
      await fresh.end({ timeout: 0 }).catch(() => undefined);
      return;
    }
    const old = current;
    current = fresh;
    failures = 0;
    replaced++;
    o.logger.warn(
      { replaced, stuckForMs: Math.round(oldestMs()) },
      'database pool stopped answering while the database answers; replaced it',
    );
    // What was in flight on the old pool fails now; its callers retry on the new one.
    inFlight.clear();
    await old.end({ timeout: 0 }).catch(() => undefined);
  };

  const check = () => {
    checking ??= checkOnce().finally(() => {
      checking = undefined;
    });
    return checking;
  };
  const timer = setInterval(() => void check(), o.checkEveryMs ?? 3_000);
  timer.unref();

  const forward = (() => {}) as unknown as Sql;
  const sql = new Proxy(forward, {
    apply: (_t, _this, args) => timed((current as unknown as (...a: unknown[]) => unknown)(...args)),
    get: (_t, prop) => {
      const pool = current;
      const value = (pool as unknown as Record<PropertyKey, unknown>)[prop];
      if (typeof value !== 'function') return value;
      if (prop === 'begin' || prop === 'reserve') {
        return (...args: unknown[]) => {
          const done = begun();
          const result = (value as (...a: unknown[]) => Promise<unknown>).apply(pool, args);
          void result.then(done, done);
          return result;
        };
      }
      return value.bind(pool);
    },
  });

  return {
    sql,
    get replaced() {
      return replaced;
    },
    check,
    async end(opts) {
      ended = true;
      clearInterval(timer);
      await checking?.catch(() => undefined);
      await current.end(opts);
    },
  };
}
