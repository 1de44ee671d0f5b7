import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import { RedisBus } from '../../src/bus/redis.ts';
import type { Db } from '../../src/db/client.ts';
import { AppError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type OwnRedis, startOwnRedis, uniquePrefix } from '../support/redis.ts';

describe('HTTP server', () => {
  let testDb: TestDb;
  let redis: OwnRedis;
  let bus: RedisBus;
  let app: FastifyInstance;

  beforeAll(async () => {
    testDb = await createTestDb();
    redis = await startOwnRedis();
    bus = await RedisBus.connect({ url: redis.url, prefix: uniquePrefix() });
    const db: Db = {
      sql: testDb.sql,
      embedded: false,
      ping: async () => void (await testDb.sql`select 1`),
      close: async () => {},
    };
    app = await build({
      db,
      bus,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [
        async (a) => {
          a.get('/boom', async () => {
            throw new Error('boom: password=hunter2 at /srv/secret.ts:12');
          });
          a.get('/missing-truck', async () => {
            throw new AppError('WT_TRUCK_NOT_FOUND', 'No truck KJA-999ZZ. Check the number or try /fleet.');
          });
        },
      ],
    });
  });

  afterAll(async () => {
    await app.close();
    await bus.close();
    await redis.dispose();
    await testDb.drop();
  });

  it('answers /healthz without touching the database', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('is ready while the database and Redis answer', async () => {
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ready: true,
      database: { ok: true },
      bus: { ok: true, kind: 'redis' },
    });
  });

  it('turns /readyz false when Redis is stopped, and true again when it returns', async () => {
    await redis.stop();
    const down = await app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ ready: false, database: { ok: true }, bus: { ok: false } });
    await redis.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await app.inject('/readyz')).statusCode;
    }
    expect(status).toBe(200);
  });

  it('stays ready without Redis when the webhook can spool to the database', async () => {
    const db: Db = {
      sql: testDb.sql,
      embedded: false,
      ping: async () => void (await testDb.sql`select 1`),
      close: async () => {},
    };
    const spooling = await build({
      db,
      bus,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      readyWithoutBus: true,
    });
    try {
      await redis.stop();
      const res = await spooling.inject('/readyz');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ready: true, bus: { ok: false, required: false } });
    } finally {
      await redis.start();
      await spooling.close();
    }
  });

  it('reports an unexpected error as JSON with a code and no stack or detail', async () => {
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.error.code).toBe('WT_INTERNAL');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('secret.ts');
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('maps our own errors to their status and sentence', async () => {
    const res = await app.inject('/missing-truck');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'WT_TRUCK_NOT_FOUND', message: 'No truck KJA-999ZZ. Check the number or try /fleet.' },
    });
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await app.inject('/api/v1/nothing?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'WT_NOT_FOUND', message: 'no route for GET /api/v1/nothing' },
    });
  });

  it('keeps a caller-supplied request id and echoes it', async () => {
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-42' } });
    expect(res.headers['x-request-id']).toBe('lb-42');
  });

  it('exports Prometheus metrics including per-route latency and errors', async () => {
    await app.inject('/healthz');
    await app.inject('/boom');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/watchtower_http_request_duration_seconds_bucket\{[^}]*route="\/healthz"/);
    expect(res.body).toMatch(
      /watchtower_http_errors_total\{[^}]*route="\/boom"[^}]*code="WT_INTERNAL"[^}]*\} [1-9]/,
    );
  });
});

describe('graceful shutdown of the HTTP server', () => {
  it('answers the request in flight before it closes', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const db: Db = { sql: undefined as never, embedded: false, ping: async () => {}, close: async () => {} };
    const app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [
        async (a) => {
          a.get('/slow', async () => {
            await gate;
            return { done: true };
          });
        },
      ],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 50));
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    // Closing waits for the request in hand…
    expect(closed).toBe(false);
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    // …which is answered, and only then is the server closed.
    await closing;
    expect(closed).toBe(true);
  });
});
