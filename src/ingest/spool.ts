import type { Kv } from '../bus/kv.ts';
import { Nap } from '../bus/nap.ts';
import type { Bus } from '../bus/types.ts';
import type { Sql } from '../db/client.ts';
import {
  claimReplayKey,
  deleteReplayKeys,
  deleteSpoolEntries,
  insertSpoolEntries,
  liveReplayKeys,
  oldestSpoolEntries,
  type SpoolEntry,
  spoolDepth,
  tryDrainLock,
} from '../db/spool.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export type { SpoolEntry } from '../db/spool.ts';

/** What the webhook's replay check needs: set a key once, for a while. */
export type ReplayGuard = Pick<Kv, 'setIfAbsent'>;

export interface SpoolOptions {
  sql: Sql;
  bus: Bus;
  kv: Kv;
  logger: Logger;
  metrics: Metrics;
  /** Rows appended per drain transaction. */
  batchSize?: number;
  /** How often an idle drainer looks for rows another replica spooled. */
  idleMs?: number;
}

export interface DrainResult {
  /** False when another replica's drainer holds the lock; this one did nothing. */
  locked: boolean;
  appended: number;
  /** The spool was empty once this pass was done (as far as this pass could see). */
  empty: boolean;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

/**
 * Degraded intake. While Redis cannot take a webhook request, its shard entries go to a PostgreSQL table
 * instead, and the request is still acknowledged; a drainer appends them to their streams in id order once
 * Redis answers, one drainer at a time across replicas. From the first spooled request until the spool is
 * found empty this process spools every request, so none overtakes one still waiting; while Redis is up
 * and the spool empty, nothing here runs per request.
 */
export class Spool {
  private spooling = false;
  private inFlight = 0;
  // Bumped when a put starts and when it ends: a drain pass that saw it unchanged overlapped no put.
  private generation = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly nap = new Nap();
  private readonly batchSize: number;
  private readonly idleMs: number;

  constructor(private readonly o: SpoolOptions) {
    this.batchSize = o.batchSize ?? 500;
    this.idleMs = o.idleMs ?? 1_000;
    o.metrics.watchSpool(() => spoolDepth(o.sql));
  }

  /** True while this process sends requests to the spool rather than the stream. */
  get active(): boolean {
    return this.spooling;
  }

  /** Keeps one request's entries; resolves once they are committed. */
  async put(requestId: string, entries: SpoolEntry[]): Promise<void> {
    this.inFlight++;
    this.generation++;
    try {
      await insertSpoolEntries(this.o.sql, requestId, entries);
    } finally {
      this.inFlight--;
      this.generation++;
    }
    this.o.metrics.spooledRequests.inc();
    if (this.spooling) return;
    this.spooling = true;
    this.o.logger.warn('position stream unavailable; webhook requests go to the PostgreSQL spool');
    // The drainer polls quickly from now on (and backs off while the stream stays down).
    this.nap.wake();
  }

  /**
   * The replay guard the webhook uses: Redis as usual, the database when Redis fails. While the spool is in
   * use both are asked, since keys kept in the database during the outage are not back in Redis until the
   * drainer hands them over. Neither answering is a 503, never a pass.
   */
  replayGuard(): ReplayGuard {
    return {
      setIfAbsent: async (key, value, ttlMs) => {
        let fresh: boolean | undefined;
        try {
          fresh = await this.o.kv.setIfAbsent(key, value, ttlMs);
          if (!fresh || !this.spooling) return fresh;
        } catch {
          // Redis is down: the database keeps the key meanwhile.
        }
        try {
          return await claimReplayKey(this.o.sql, key, ttlMs);
        } catch (err) {
          this.o.logger.warn({ err: errorText(err) }, 'replay guard unavailable in Redis and PostgreSQL');
          // Redis alone vouched for it: the key is kept there, which is where the guard normally lives.
          if (fresh) return true;
          throw new AppError('WT_UNAVAILABLE', 'the webhook cannot check this request now; retry shortly');
        }
      },
    };
  }

  /** One drain pass: up to a batch of rows, oldest first, each deleted in the transaction that saw it appended. */
  async drainOnce(): Promise<DrainResult> {
    const { sql, bus } = this.o;
    let failure: unknown;
    const result = await sql.begin(async (tx): Promise<DrainResult> => {
      if (!(await tryDrainLock(tx))) return { locked: false, appended: 0, empty: false };
      const rows = await oldestSpoolEntries(tx, this.batchSize);
      // Per stream in id order; streams are independent of each other.
      const byStream = new Map<string, typeof rows>();
      for (const row of rows) {
        const list = byStream.get(row.stream) ?? [];
        list.push(row);
        byStream.set(row.stream, list);
      }
      const appended: number[] = [];
      try {
        for (const [stream, list] of byStream) {
          await bus.appendMany(
            stream,
            list.map((r) => r.fields),
          );
          appended.push(...list.map((r) => r.id));
        }
      } catch (err) {
        failure = err;
      }
      await deleteSpoolEntries(tx, appended);
      return { locked: true, appended: appended.length, empty: !failure && rows.length < this.batchSize };
    });
    if (result.appended > 0) this.o.metrics.spoolDrained.inc(result.appended);
    if (failure) throw failure;
    if (result.empty) await this.returnReplayKeys();
    return result;
  }

  /** Hands replay keys kept in the database back to Redis, with the time each has left. */
  private async returnReplayKeys(): Promise<void> {
    await this.o.sql.begin(async (tx) => {
      const keys = await liveReplayKeys(tx, 1_000);
      for (const { key, ttlMs } of keys) await this.o.kv.setIfAbsent(key, '1', Math.max(ttlMs, 1));
      await deleteReplayKeys(
        tx,
        keys.map((k) => k.key),
      );
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.nap.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopping) {
      let wait = this.spooling ? 50 : this.idleMs;
      try {
        const quiet = this.inFlight === 0;
        const generation = this.generation;
        const pass = await this.drainOnce();
        backoff = 100;
        if (pass.appended > 0 && !pass.empty) continue;
        if (pass.locked && pass.empty && quiet && this.inFlight === 0 && generation === this.generation) {
          if (this.spooling) this.o.logger.info('spool drained; webhook requests go to the stream again');
          this.spooling = false;
          wait = this.idleMs;
        }
      } catch (err) {
        this.o.logger.warn({ err: errorText(err), retryInMs: backoff }, 'spool drain failed; backing off');
        wait = backoff;
        backoff = Math.min(backoff * 2, 2_000);
      }
      await this.pause(wait);
    }
  }

  private pause(ms: number): Promise<void> {
    return this.stopping ? Promise.resolve() : this.nap.for(ms);
  }
}

/** The spool and its drainer, running. */
export function startSpool(o: SpoolOptions): Spool {
  const spool = new Spool(o);
  spool.start();
  return spool;
}
