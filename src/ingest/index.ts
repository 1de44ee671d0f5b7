import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { invalidate } from '../api/cache.ts';
import { encodeLocations, LOCATIONS_STREAM } from '../api/live.ts';
import { StreamConsumer } from '../bus/consumer.ts';
import type { Kv } from '../bus/kv.ts';
import { OutboxRelay } from '../bus/outbox-relay.ts';
import { ShardLeases } from '../bus/shard-leases.ts';
import type { Bus } from '../bus/types.ts';
import type { Sql } from '../db/client.ts';
import { ensurePositionPartitions } from '../db/positions.ts';
import type { OverspeedOptions } from '../domain/overspeed.ts';
import type { QualityOptions } from '../domain/position-quality.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { GeofenceCatalog } from './geofence-catalog.ts';
import { geofenceWatcher } from './geofence-watcher.ts';
import { positionWriter } from './position-writer.ts';
import { EVENTS_STREAM, positionStream } from './streams.ts';
import { TruckDirectory } from './truck-directory.ts';

export const WRITER_GROUP = 'position-writer';
export const WATCHER_GROUP = 'geofence-watcher';

export interface IngestOptions {
  sql: Sql;
  bus: Bus;
  kv: Kv;
  metrics: Metrics;
  logger: Logger;
  shards: number;
  quality?: Partial<QualityOptions>;
  overspeed?: OverspeedOptions;
  replicaId?: string;
  /** Consumer tuning (tests shorten these). */
  consumer?: {
    blockMs?: number;
    reclaimIdleMs?: number;
    reclaimEveryMs?: number;
    maxDeliveries?: number;
    batchSize?: number;
  };
  leaseTtlMs?: number;
  relayIdleMs?: number;
}

export interface Ingest {
  relay: OutboxRelay;
  catalog: GeofenceCatalog;
  leases: ShardLeases;
  replicaId: string;
  stop(): Promise<void>;
}

export const newReplicaId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * The consumers role: for each position shard this replica owns, a position writer and a geofence
 * watcher (each its own consumer group), plus the outbox relay that publishes events.
 */
export async function startIngest(o: IngestOptions): Promise<Ingest> {
  const replicaId = o.replicaId ?? newReplicaId();
  const directory = new TruckDirectory(o.sql, o.metrics);
  const catalog = new GeofenceCatalog(o.sql);
  const relay = new OutboxRelay({
    sql: o.sql,
    bus: o.bus,
    stream: EVENTS_STREAM,
    logger: o.logger,
    metrics: o.metrics,
    idleMs: o.relayIdleMs,
  });
  let appended = 0;
  const writer = positionWriter({
    sql: o.sql,
    directory,
    metrics: o.metrics,
    quality: o.quality,
    overspeed: o.overspeed,
    // Live pushes and cached locations follow every committed move.
    onMoved: async (moved) => {
      await Promise.all([
        o.bus.append(
          LOCATIONS_STREAM,
          encodeLocations(
            moved.map(({ truck, row }) => ({
              truckId: truck.id,
              truckNumber: truck.truckNumber,
              lat: row.lat,
              lng: row.lng,
              fixTime: row.fixTime.toISOString(),
              speedKmh: row.speedKmh,
              headingDeg: row.headingDeg,
              ignition: row.ignition,
            })),
          ),
        ),
        invalidate(
          o.kv,
          moved.map(({ truck }) => `truck:${truck.id}`),
        ),
      ]);
      if (++appended % 200 === 0) await o.bus.trim(LOCATIONS_STREAM, 10_000);
    },
  });
  const watcher = geofenceWatcher({
    sql: o.sql,
    directory,
    catalog,
    metrics: o.metrics,
    quality: o.quality,
    onTransitions: () => relay.nudge(),
  });
  const running = new Map<number, StreamConsumer[]>();
  const consumer = (shard: number, group: string, handle: typeof writer) =>
    new StreamConsumer({
      bus: o.bus,
      stream: positionStream(shard),
      group,
      consumer: replicaId,
      logger: o.logger,
      handle,
      initialReclaimIdleMs: 0,
      // Big batches under load: a truck's current location is updated once per batch, not once per fix.
      batchSize: 1000,
      ...o.consumer,
      onDeadLetter: () => o.metrics.deadLettered.inc({ stream: positionStream(shard), group }),
      onBatch: (_entries, ms) => o.metrics.batchDuration.observe({ group }, ms / 1000),
    });

  o.metrics.watchStreams(
    o.bus,
    Array.from({ length: o.shards }, (_, s) => [
      { stream: positionStream(s), group: WRITER_GROUP },
      { stream: positionStream(s), group: WATCHER_GROUP },
    ]).flat(),
  );

  const leases = new ShardLeases({
    kv: o.kv,
    replicaId,
    shards: o.shards,
    name: 'positions',
    logger: o.logger,
    ttlMs: o.leaseTtlMs,
    onAcquire: async (shard) => {
      const pair = [consumer(shard, WRITER_GROUP, writer), consumer(shard, WATCHER_GROUP, watcher)];
      for (const c of pair) c.start();
      running.set(shard, pair);
    },
    onRelease: async (shard) => {
      const pair = running.get(shard) ?? [];
      running.delete(shard);
      await Promise.all(pair.map((c) => c.stop()));
    },
  });
  // Day partitions a week ahead, checked again every 6 h (the retention job also drops old ones); a fix that
  // still finds none lands in the default partition, never lost.
  const ensurePartitions = () =>
    ensurePositionPartitions(o.sql, new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), 9).catch(
      (err) => o.logger.warn({ err: (err as Error).message }, 'could not create position partitions'),
    );
  await ensurePartitions();
  const partitionTimer = setInterval(ensurePartitions, 6 * 3_600_000);
  partitionTimer.unref();

  relay.start();
  await leases.start();
  return {
    relay,
    catalog,
    leases,
    replicaId,
    stop: async () => {
      clearInterval(partitionTimer);
      await leases.stop();
      await relay.stop();
    },
  };
}
