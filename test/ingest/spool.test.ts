import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { build } from '../../src/api/server.ts';
import { RedisKv } from '../../src/bus/kv.ts';
import { RedisBus } from '../../src/bus/redis.ts';
import { connect, type Db, type Sql } from '../../src/db/client.ts';
import { spoolDepth, tryDrainLock } from '../../src/db/spool.ts';
import { decodeBatch } from '../../src/ingest/codec.ts';
import { Spool } from '../../src/ingest/spool.ts';
import { positionStream } from '../../src/ingest/streams.ts';
import { WEBHOOK_PATH, webhookRoutes } from '../../src/ingest/webhook.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { liveLocation, signedHeaders, WEBHOOK_SECRET } from '../support/loconav.ts';
import { freePort, type OwnRedis, startOwnRedis, uniquePrefix } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const logger = createLogger('silent');
const truck = { imei: '0351756051523999', number: 'KJA-123XY' };
const TOKEN = 'static-token-for-senders-0123';
const noDb: Db = { sql: undefined as never, embedded: false, ping: async () => {}, close: async () => {} };

describe('degraded intake: the webhook spool', () => {
  let redis: OwnRedis;
  let deadSql: Sql;
  beforeAll(async () => {
    redis = await startOwnRedis();
    // Nothing listens there: any query through it fails at once.
    deadSql = connect(`postgres://postgres@127.0.0.1:${await freePort()}/nowhere`, 1);
  });
  afterAll(async () => {
    await deadSql.end({ timeout: 1 });
    await redis.dispose();
  });

  let db: TestDb;
  let bus: RedisBus;
  let metrics: Metrics;
  const opened: { close(): Promise<unknown> }[] = [];
  beforeEach(async () => {
    await redis.start();
    db = await createTestDb();
    bus = await RedisBus.connect({ url: redis.url, prefix: uniquePrefix() });
    metrics = createMetrics();
  });
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
    await bus.close();
    await db.drop();
  });

  /** A webhook server with a spool on `sql` (the test database unless told otherwise); drained by hand. */
  async function server(opts: { sql?: Sql; auth?: 'signature' | 'token' } = {}) {
    const kv = new RedisKv(bus.redis, bus.prefix);
    const spool = new Spool({ sql: opts.sql ?? db.sql, bus, kv, logger, metrics, idleMs: 20 });
    const app = await build({
      db: noDb,
      bus,
      logger,
      metrics: createMetrics(),
      plugins: [
        webhookRoutes({
          bus,
          metrics,
          auth:
            opts.auth === 'token'
              ? { webhookSecret: undefined, webhookToken: TOKEN }
              : { webhookSecret: WEBHOOK_SECRET, webhookToken: undefined },
          timeZone: 'Africa/Lagos',
          shards: 2,
          spool,
        }),
      ],
    });
    opened.push(app, { close: () => spool.stop() });
    return { app, spool };
  }

  let n = 0;
  const fixBody = () =>
    JSON.stringify([liveLocation(truck, new Date(Date.now() - 60_000 - ++n * 1000), 6.45, 3.36)]);
  const post = (app: FastifyInstance, opts: { id?: string; body?: string; token?: boolean } = {}) => {
    const body = opts.body ?? fixBody();
    const headers: Record<string, string> = opts.token
      ? { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }
      : signedHeaders(WEBHOOK_SECRET, body);
    if (opts.id) headers['x-request-id'] = opts.id;
    return app.inject({ method: 'POST', url: WEBHOOK_PATH, payload: body, headers });
  };
  const streamRids = async () => {
    const all = [];
    for (const s of [0, 1]) all.push(...(await bus.range(positionStream(s), '-', '+', 1000)));
    return all.map((e) => e.fields.rid);
  };
  const redisAnswers = () =>
    until('Redis to answer again', () =>
      bus.ping().then(
        () => true,
        () => false,
      ),
    );

  it('answers 202 with Redis down, keeps the request in the spool, and drains it into the stream once Redis is back', async () => {
    const { app, spool } = await server();
    await redis.stop();
    const at = new Date(Math.floor((Date.now() - 90_000) / 1000) * 1000);
    const body = JSON.stringify([liveLocation(truck, at, 6.45, 3.36)]);
    const res = await post(app, { body, id: 'req-down-1' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1, rejected: [] });
    expect(await spoolDepth(db.sql)).toBe(1);
    expect(spool.active).toBe(true);
    await expect(spool.drainOnce()).rejects.toThrow();
    expect(await spoolDepth(db.sql)).toBe(1);

    await redis.start();
    await redisAnswers();
    expect(await spool.drainOnce()).toEqual({ locked: true, appended: 1, empty: true });
    expect(await spoolDepth(db.sql)).toBe(0);
    const entries = [
      ...(await bus.range(positionStream(0), '-', '+')),
      ...(await bus.range(positionStream(1), '-', '+')),
    ];
    expect(entries).toHaveLength(1);
    const batch = decodeBatch(entries[0]!.fields);
    expect(batch.requestId).toBe('req-down-1');
    expect(batch.fixes[0]).toMatchObject({ imei: truck.imei, vehicleNumber: truck.number, lat: 6.45 });
    expect(batch.fixes[0]!.fixTime.getTime()).toBe(at.getTime());
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/watchtower_webhook_spooled_total 1\b/);
    expect(text).toMatch(/watchtower_spool_drained_total 1\b/);
  });

  it('keeps spooling after Redis returns until the spool is empty, so the stream gets requests in arrival order', async () => {
    const { app, spool } = await server();
    await redis.stop();
    expect((await post(app, { id: 'req-a' })).statusCode).toBe(202);
    expect((await post(app, { id: 'req-b' })).statusCode).toBe(202);
    await redis.start();
    await redisAnswers();
    // Redis answers, but a and b still wait: c queues behind them rather than overtaking.
    expect((await post(app, { id: 'req-c' })).statusCode).toBe(202);
    expect(await spoolDepth(db.sql)).toBe(3);
    expect(await metrics.registry.getSingleMetricAsString('watchtower_spool_depth')).toMatch(
      /watchtower_spool_depth 3\b/,
    );

    spool.start();
    await until('the spool drained and left', () => !spool.active);
    expect(await streamRids()).toEqual(['req-a', 'req-b', 'req-c']);
    // Back on the fast path: straight to the stream.
    expect((await post(app, { id: 'req-d' })).statusCode).toBe(202);
    expect(await spoolDepth(db.sql)).toBe(0);
    expect(await streamRids()).toEqual(['req-a', 'req-b', 'req-c', 'req-d']);
  });

  it('drains one replica at a time: a pass that cannot take the lock leaves every row alone', async () => {
    const { app, spool } = await server();
    await redis.stop();
    expect((await post(app, { id: 'req-1' })).statusCode).toBe(202);
    await redis.start();
    await redisAnswers();
    await db.sql.begin(async (tx) => {
      expect(await tryDrainLock(tx)).toBe(true);
      expect(await spool.drainOnce()).toEqual({ locked: false, appended: 0, empty: false });
    });
    expect(await streamRids()).toEqual([]);
    expect(await spoolDepth(db.sql)).toBe(1);
    expect(await spool.drainOnce()).toMatchObject({ locked: true, appended: 1 });
    expect(await streamRids()).toEqual(['req-1']);
  });

  it('does no database work per request while Redis is up', async () => {
    // The spool's database is unreachable: a request that touched it would fail.
    const { app } = await server({ sql: deadSql });
    const res = await post(app, { id: 'req-fast' });
    expect(res.statusCode).toBe(202);
    expect(await streamRids()).toEqual(['req-fast']);
  });

  it('answers 503 with Retry-After only when neither Redis nor PostgreSQL can take the request', async () => {
    const { app } = await server({ sql: deadSql, auth: 'token' });
    await redis.stop();
    const res = await post(app, { token: true });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error).toEqual({
      code: 'WT_UNAVAILABLE',
      message: 'the position stream cannot take this request now; retry shortly',
    });
  });

  it('answers 503, not a pass, when a signature cannot be checked for replay anywhere', async () => {
    const { app } = await server({ sql: deadSql });
    await redis.stop();
    const res = await post(app);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error.message).toBe('the webhook cannot check this request now; retry shortly');
  });

  it('refuses a replayed signature while Redis is down, and still once the keys are back in Redis', async () => {
    const { app, spool } = await server();
    await redis.stop();
    const body = fixBody();
    const headers = signedHeaders(WEBHOOK_SECRET, body);
    const send = () => app.inject({ method: 'POST', url: WEBHOOK_PATH, payload: body, headers });
    expect((await send()).statusCode).toBe(202);
    const replay = await send();
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.message).toContain('already used');

    await redis.start();
    await redisAnswers();
    // Before the drain: the key is still only in the database, and still refused.
    expect((await send()).statusCode).toBe(401);
    spool.start();
    await until('the spool drained and left', () => !spool.active);
    const [kept] = await db.sql`select count(*)::int as n from webhook_replay_guard`;
    expect(kept!.n).toBe(0);
    expect((await send()).statusCode).toBe(401);
    expect(await streamRids()).toHaveLength(1);
  });

  it('spools only the shards Redis did not take and leaves the rest on their streams', async () => {
    // Redis is up; the stream refuses shard 1 only (a full key of the wrong type there).
    const { app, spool } = await server();
    await bus.redis.set(`${bus.prefix}${positionStream(1)}`, 'not a stream');
    const at = Date.now() - 120_000;
    const trucks = Array.from({ length: 12 }, (_, i) => ({
      imei: `08683730500${i}`,
      number: `KJA-${100 + i}AA`,
    }));
    const body = JSON.stringify(trucks.map((t, i) => liveLocation(t, new Date(at + i * 1000), 6.45, 3.36)));
    const res = await post(app, { body, id: 'req-split' });
    expect(res.statusCode).toBe(202);
    expect(res.json().accepted).toBe(12);
    const spooled = await db.sql`select stream, request_id from ingest_spool`;
    expect(spooled).toEqual([{ stream: positionStream(1), request_id: 'req-split' }]);
    expect(await bus.length(positionStream(0))).toBe(1);
    expect(spool.active).toBe(true);
    await bus.redis.del(`${bus.prefix}${positionStream(1)}`);
    expect(await spool.drainOnce()).toMatchObject({ appended: 1, empty: true });
    const onStreams = [
      ...(await bus.range(positionStream(0))),
      ...(await bus.range(positionStream(1))),
    ].flatMap((e) => decodeBatch(e.fields).fixes.map((f) => f.vehicleNumber));
    expect(onStreams.sort()).toEqual(trucks.map((t) => t.number).sort());
  });
});
