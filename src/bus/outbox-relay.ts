import { SpanKind } from '@opentelemetry/api';
import { pgArray } from '../db/arrays.ts';
import type { Sql } from '../db/client.ts';
import type { StoredEvent } from '../db/events.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { correlationAttributes, withSpan } from '../telemetry.ts';
import { sleep } from './consumer.ts';
import { Nap } from './nap.ts';
import type { Bus, Fields } from './types.ts';

export interface RelayOptions {
  sql: Sql;
  bus: Bus;
  stream: string;
  logger: Logger;
  metrics?: Metrics;
  batchSize?: number;
  /** Poll interval while idle; a nudge (a commit in this process) polls at once. */
  idleMs?: number;
  /** About how many entries the event stream keeps. */
  maxLen?: number;
}

/**
 * The transactional outbox's relay: publishes events rows not yet published to the event stream, oldest
 * first, and marks them. By polling, not LISTEN/NOTIFY, so it runs on the embedded database too. Rows are
 * claimed with SKIP LOCKED, so relays on several replicas never publish the same row at once; a crash
 * between publishing and marking republishes, and consumers dedupe by event id.
 */
export class OutboxRelay {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly nap = new Nap();
  private batches = 0;

  constructor(private readonly o: RelayOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Something was just committed: look now instead of at the next tick. */
  nudge(): void {
    this.nap.wake();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.nap.wake();
    await this.loop;
  }

  /** Publishes one batch; returns how many rows it published. */
  async relayOnce(): Promise<number> {
    const { sql, bus, stream } = this.o;
    return sql.begin(async (tx) => {
      const rows = await tx`
        select id, event_id, type, entity_type, entity_id, payload, correlation_id, actor, occurred_at
        from events where published_at is null
        order by id limit ${this.o.batchSize ?? 500}
        for update skip locked`;
      if (rows.length === 0) return 0;
      // One PRODUCER span per batch published; the events' correlation ids tie it to their requests.
      await withSpan(
        `${stream} publish`,
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.destination.name': stream, 'messaging.batch.message_count': rows.length },
        },
        async (span) => {
          if (span.isRecording())
            span.setAttributes(correlationAttributes(rows.map((r) => r.correlation_id)));
          await bus.appendMany(
            stream,
            rows.map((r) => ({
              id: String(r.id),
              event_id: r.event_id,
              type: r.type,
              entity_type: r.entity_type,
              entity_id: r.entity_id,
              payload: JSON.stringify(r.payload),
              correlation_id: r.correlation_id ?? '',
              actor: r.actor ?? '',
              occurred_at: (r.occurred_at as Date).toISOString(),
            })),
          );
          await tx`update events set published_at = now() where id = any(${pgArray(rows.map((r) => Number(r.id)))}::bigint[])`;
        },
      );
      this.o.metrics?.eventsRelayed.inc(rows.length);
      // Bounded: consumers more than this far behind read the rest from the events table.
      if (++this.batches % 100 === 0) await bus.trim(stream, this.o.maxLen ?? 100_000);
      return rows.length;
    });
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopping) {
      try {
        const n = await this.relayOnce();
        backoff = 100;
        if (n > 0) continue;
      } catch (err) {
        this.o.logger.warn(
          { err: (err as Error).message, retryInMs: backoff },
          'outbox relay failed; backing off',
        );
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
        continue;
      }
      await this.nap.for(this.o.idleMs ?? 50);
    }
  }
}

/** An event as the relay put it on the event stream, back as a StoredEvent. */
export function decodeEventEntry(fields: Fields): StoredEvent {
  return {
    id: Number(fields.id),
    eventId: fields.event_id ?? '',
    type: fields.type ?? '',
    entityType: fields.entity_type ?? '',
    entityId: fields.entity_id ?? '',
    payload: fields.payload ? (JSON.parse(fields.payload) as Record<string, unknown>) : {},
    correlationId: fields.correlation_id || null,
    actor: fields.actor || null,
    occurredAt: new Date(fields.occurred_at ?? 0),
  };
}
