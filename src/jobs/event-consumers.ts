import { invalidate, tagsForEvent } from '../api/cache.ts';
import { StreamConsumer } from '../bus/consumer.ts';
import type { Kv } from '../bus/kv.ts';
import { decodeEventEntry } from '../bus/outbox-relay.ts';
import type { Bus, StreamEntry } from '../bus/types.ts';
import type { Sql } from '../db/client.ts';
import type { StoredEvent } from '../db/events.ts';
import { EVENTS_STREAM } from '../ingest/streams.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface EventConsumerDeps {
  sql: Sql;
  bus: Bus;
  kv: Kv;
  logger: Logger;
  metrics: Metrics;
  replicaId: string;
  /** Handlers by consumer group; each group sees every event once, whatever the number of replicas. */
  groups: Record<string, (events: StoredEvent[]) => Promise<void>>;
  consumer?: { blockMs?: number; reclaimIdleMs?: number; reclaimEveryMs?: number; maxDeliveries?: number };
}

/** Cache invalidation: every change drops the cached answers that show it. */
export const cacheInvalidation = (kv: Kv) => async (events: StoredEvent[]) => {
  await invalidate(kv, events.flatMap(tagsForEvent));
};

/** Consumers of the event stream (one consumer group per concern), stopped together. */
export function startEventConsumers(deps: EventConsumerDeps): { stop(): Promise<void> } {
  const consumers = Object.entries(deps.groups).map(
    ([group, handle]) =>
      new StreamConsumer({
        bus: deps.bus,
        stream: EVENTS_STREAM,
        group,
        consumer: deps.replicaId,
        logger: deps.logger,
        handle: (entries: StreamEntry[]) => handle(entries.map((e) => decodeEventEntry(e.fields))),
        ...deps.consumer,
        onDeadLetter: () => deps.metrics.deadLettered.inc({ stream: EVENTS_STREAM, group }),
        onBatch: (_e, ms) => deps.metrics.batchDuration.observe({ group }, ms / 1000),
      }),
  );
  for (const c of consumers) c.start();
  deps.metrics.watchStreams(
    deps.bus,
    Object.keys(deps.groups).map((group) => ({ stream: EVENTS_STREAM, group })),
  );
  return { stop: async () => void (await Promise.all(consumers.map((c) => c.stop()))) };
}
