import type { Logger } from '../log.ts';
import type { Bus, StreamEntry } from './types.ts';

// At-least-once, effect-once: a batch is acknowledged only after its handler's effect is stored; entries
// left pending by a dead consumer are reclaimed; an entry that keeps failing goes to the dead-letter stream
// with its error. A failure of the database or network is not the entry's fault: the batch is retried in
// place with backoff and never counted towards dead-lettering.

export interface ConsumerOptions {
  bus: Bus;
  stream: string;
  group: string;
  consumer: string;
  logger: Logger;
  /** Must be idempotent: an entry can arrive more than once. */
  handle: (entries: StreamEntry[]) => Promise<void>;
  batchSize?: number;
  blockMs?: number;
  /** Deliveries after which a failing entry is dead-lettered. */
  maxDeliveries?: number;
  /** An entry pending this long is presumed abandoned by its consumer. */
  reclaimIdleMs?: number;
  reclaimEveryMs?: number;
  /**
   * Idle time for the first reclaim after start. A consumer that has just been given sole ownership of a
   * stream (a shard lease) sets 0: whatever its predecessor left pending is its own at once.
   */
  initialReclaimIdleMs?: number;
  isTransient?: (err: unknown) => boolean;
  onDeadLetter?: (entry: StreamEntry, error: string) => void;
  onBatch?: (entries: StreamEntry[], ms: number) => void;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isTransientError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|write EPIPE/.test(message);
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

export class StreamConsumer {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly lastErrors = new Map<string, string>();
  private readonly o: Required<Omit<ConsumerOptions, 'onDeadLetter' | 'onBatch' | 'initialReclaimIdleMs'>> &
    Pick<ConsumerOptions, 'onDeadLetter' | 'onBatch' | 'initialReclaimIdleMs'>;

  constructor(opts: ConsumerOptions) {
    this.o = {
      batchSize: 200,
      blockMs: 1_000,
      maxDeliveries: 5,
      reclaimIdleMs: 30_000,
      reclaimEveryMs: 5_000,
      isTransient: isTransientError,
      ...opts,
    };
  }

  get running() {
    return this.loop !== undefined && !this.stopping;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Finishes the batch in hand, acknowledges it, and returns; unread entries stay in the stream. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { bus, stream, group, consumer, logger } = this.o;
    let nextReclaim = 0;
    let reclaimIdleMs = this.o.initialReclaimIdleMs ?? this.o.reclaimIdleMs;
    let backoff = 100;
    // Made sure of at start and after any failure (the stream or group may have been deleted meanwhile), not
    // on every read: an XGROUP CREATE refused with BUSYGROUP per batch is a round trip and an error for nothing.
    let groupReady = false;
    while (!this.stopping) {
      try {
        if (!groupReady) {
          await bus.ensureGroup(stream, group);
          groupReady = true;
        }
        let entries: StreamEntry[] = [];
        if (Date.now() >= nextReclaim) {
          entries = await bus.reclaim(stream, group, consumer, {
            minIdleMs: reclaimIdleMs,
            count: this.o.batchSize,
          });
          // Keep draining a backlog of reclaimable entries before reading new ones.
          if (entries.length < this.o.batchSize) {
            nextReclaim = Date.now() + this.o.reclaimEveryMs;
            reclaimIdleMs = this.o.reclaimIdleMs;
          }
          if (entries.length)
            logger.info({ stream, group, count: entries.length }, 'reclaimed stale entries');
        }
        if (entries.length === 0) {
          entries = await bus.read(stream, group, consumer, {
            count: this.o.batchSize,
            blockMs: this.o.blockMs,
          });
        }
        if (entries.length > 0) await this.process(entries);
        backoff = 100;
      } catch (err) {
        if (this.stopping) break;
        groupReady = false;
        logger.warn(
          { stream, group, err: errorText(err), retryInMs: backoff },
          'consumer loop error; backing off',
        );
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  /** Runs the handler with transient failures retried in place; resolves false if stopped meanwhile. */
  private async attempt(entries: StreamEntry[]): Promise<{ ok: true } | { ok: false; error: unknown }> {
    let backoff = 100;
    for (;;) {
      try {
        const started = performance.now();
        await this.o.handle(entries);
        this.o.onBatch?.(entries, performance.now() - started);
        return { ok: true };
      } catch (error) {
        if (!this.o.isTransient(error)) return { ok: false, error };
        if (this.stopping) throw error; // left pending: reclaimed after restart
        this.o.logger.warn(
          { stream: this.o.stream, group: this.o.group, err: errorText(error), retryInMs: backoff },
          'transient failure; retrying batch',
        );
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  private async process(entries: StreamEntry[]): Promise<void> {
    const { bus, stream, group } = this.o;
    const live: StreamEntry[] = [];
    for (const e of entries) {
      if (e.deliveries > this.o.maxDeliveries) {
        await this.kill(
          e,
          this.lastErrors.get(e.id) ?? `delivered ${e.deliveries - 1} times without being acknowledged`,
        );
      } else live.push(e);
    }
    if (live.length === 0) return;
    const whole = await this.attempt(live);
    if (whole.ok) {
      await bus.ack(
        stream,
        group,
        live.map((e) => e.id),
      );
      for (const e of live) this.lastErrors.delete(e.id);
      return;
    }
    if (live.length === 1) return this.failed(live[0]!, whole.error);
    // One bad entry must not hold up the rest: retry one by one to find it.
    for (const e of live) {
      const one = await this.attempt([e]);
      if (one.ok) {
        await bus.ack(stream, group, [e.id]);
        this.lastErrors.delete(e.id);
      } else await this.failed(e, one.error);
    }
  }

  private async failed(entry: StreamEntry, error: unknown): Promise<void> {
    const text = errorText(error);
    if (entry.deliveries >= this.o.maxDeliveries) return this.kill(entry, text);
    this.lastErrors.set(entry.id, text);
    this.o.logger.warn(
      { stream: this.o.stream, id: entry.id, deliveries: entry.deliveries, err: text },
      'entry failed; left pending for retry',
    );
  }

  private async kill(entry: StreamEntry, error: string): Promise<void> {
    await this.o.bus.deadLetter(this.o.stream, this.o.group, entry, error);
    this.lastErrors.delete(entry.id);
    this.o.onDeadLetter?.(entry, error);
    this.o.logger.error(
      { stream: this.o.stream, id: entry.id, deliveries: entry.deliveries, err: error },
      'entry moved to dead-letter stream',
    );
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
