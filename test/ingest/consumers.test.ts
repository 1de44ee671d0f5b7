import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKv } from '../../src/bus/index.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Bus } from '../../src/bus/types.ts';
import { encodeBatch } from '../../src/ingest/codec.ts';
import { type Ingest, startIngest, WRITER_GROUP } from '../../src/ingest/index.ts';
import { positionStream } from '../../src/ingest/streams.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { connectTestBus } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const logger = createLogger('silent');

const fixes = (n: number, vehicleNumber: string, startMs: number) =>
  Array.from({ length: n }, (_, i) => ({
    imei: undefined,
    vehicleNumber,
    lat: 6.45 + i * 0.0001,
    lng: 3.36,
    speedKmh: 20,
    headingDeg: 0,
    ignition: true,
    fixTime: new Date(startMs + i * 1000),
    harshBraking: false,
    harshAcceleration: false,
    sharpTurn: false,
  }));

describe.each([
  ['Redis Streams', async () => connectTestBus()],
  ['the in-process bus', async () => new MemoryBus()],
])('position consumers on %s', (_name, makeBus) => {
  let db: TestDb;
  let bus: Bus;
  let ingest: Ingest | undefined;
  beforeEach(async () => {
    db = await createTestDb();
    bus = await makeBus();
  });
  afterEach(async () => {
    await ingest?.stop();
    ingest = undefined;
    await bus.close();
    await db.drop();
  });

  const start = () =>
    startIngest({
      sql: db.sql,
      bus,
      kv: createKv(bus),
      metrics: createMetrics(),
      logger,
      shards: 1,
      consumer: { blockMs: 50, maxDeliveries: 3, reclaimIdleMs: 100, reclaimEveryMs: 50 },
      relayIdleMs: 20,
    });
  const stored = async () => Number((await db.sql`select count(*)::int as n from vehicle_positions`)[0]!.n);

  it('loses nothing when a consumer dies mid-batch: the next owner takes its pending entries', async () => {
    const t0 = Date.now() - 600_000;
    await bus.ensureGroup(positionStream(0), WRITER_GROUP);
    await bus.append(
      positionStream(0),
      encodeBatch({ fixes: fixes(30, 'KJA-101AA', t0), alerts: [], requestId: 'r1', receivedAtMs: t0 }),
    );
    await bus.append(
      positionStream(0),
      encodeBatch({ fixes: fixes(20, 'KJA-102AA', t0), alerts: [], requestId: 'r2', receivedAtMs: t0 }),
    );
    // A replica read both entries and was killed before storing or acknowledging them.
    const taken = await bus.read(positionStream(0), WRITER_GROUP, 'killed-replica', {
      count: 10,
      blockMs: 0,
    });
    expect(taken).toHaveLength(2);
    expect((await bus.groupInfo(positionStream(0), WRITER_GROUP)).pending).toBe(2);

    ingest = await start();
    await until('all 50 fixes stored', async () => (await stored()) === 50);
    await until(
      'nothing pending',
      async () => (await bus.groupInfo(positionStream(0), WRITER_GROUP)).pending === 0,
    );
  });

  it('moves a poison entry to the dead-letter stream with its error, and goes on with the rest', async () => {
    const t0 = Date.now() - 600_000;
    await bus.append(positionStream(0), { rid: 'bad', at: String(t0), fixes: '[["not","a","tuple"]]' });
    await bus.append(
      positionStream(0),
      encodeBatch({ fixes: fixes(5, 'KJA-103AA', t0), alerts: [], requestId: 'ok', receivedAtMs: t0 }),
    );
    ingest = await start();
    await until('good fixes stored', async () => (await stored()) === 5);
    const dead = await until('dead letter', async () => {
      const rows = await bus.range(`${positionStream(0)}:dead`);
      return rows.length > 0 ? rows : undefined;
    });
    expect(dead[0]!.fields).toMatchObject({ rid: 'bad', dead_error: 'malformed shard entry: bad fix tuple' });
  });

  it('stops all its shards together, well inside the shutdown deadline', async () => {
    ingest = await startIngest({
      sql: db.sql,
      bus,
      kv: createKv(bus),
      metrics: createMetrics(),
      logger,
      shards: 8,
      consumer: { blockMs: 1_000 },
    });
    expect(ingest.leases.owned.size).toBe(8);
    const started = Date.now();
    await ingest.stop();
    ingest = undefined;
    // Each shard's consumers may sit in a 1 s blocking read; stopped one shard after another that was 8 s.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
