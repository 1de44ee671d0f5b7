import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import type { Db } from '../../src/db/client.ts';
import { decodeBatch } from '../../src/ingest/codec.ts';
import { positionStream } from '../../src/ingest/streams.ts';
import { WEBHOOK_PATH, webhookRoutes } from '../../src/ingest/webhook.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { liveLocation, signedHeaders, WEBHOOK_SECRET } from '../support/loconav.ts';
import { connectTestBus } from '../support/redis.ts';

const TOKEN = 'static-token-for-senders-0123';
const truck = { imei: '0351756051523999', number: 'KJA-123XY' };
const noDb: Db = { sql: undefined as never, embedded: false, ping: async () => {}, close: async () => {} };

async function server(bus: RedisBus, auth: { webhookSecret?: string; webhookToken?: string }, shards = 1) {
  return build({
    db: noDb,
    bus,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    plugins: [
      webhookRoutes({
        bus,
        metrics: createMetrics(),
        auth: { webhookSecret: auth.webhookSecret, webhookToken: auth.webhookToken },
        timeZone: 'Africa/Lagos',
        shards,
      }),
    ],
  });
}

describe('the LocoNav webhook', () => {
  let bus: RedisBus;
  let signed: FastifyInstance;
  beforeAll(async () => {
    bus = await connectTestBus();
    signed = await server(bus, { webhookSecret: WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await signed.close();
    await bus.close();
  });

  const post = (app: FastifyInstance, body: string, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: WEBHOOK_PATH, payload: body, headers });

  // Each call a different body, so no two tests sign the same bytes in the same second.
  let n = 0;
  const oneFix = () =>
    JSON.stringify(liveLocation(truck, new Date(Date.now() - 60_000 - ++n * 1000), 6.45, 3.36));

  describe('signatures', () => {
    it('accepts a correctly signed request and puts the fix on the stream', async () => {
      const before = await bus.length(positionStream(0));
      const body = oneFix();
      const res = await post(signed, body, signedHeaders(WEBHOOK_SECRET, body));
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ accepted: 1, rejected: [] });
      expect(await bus.length(positionStream(0))).toBe(before + 1);
      const [entry] = (await bus.range(positionStream(0))).slice(-1);
      const batch = decodeBatch(entry!.fields);
      expect(batch.fixes[0]).toMatchObject({
        imei: truck.imei,
        vehicleNumber: 'KJA-123XY',
        lat: 6.45,
        lng: 3.36,
      });
    });

    it('refuses a signature made with the wrong secret', async () => {
      const body = oneFix();
      const res = await post(signed, body, signedHeaders('some-other-secret-entirely', body));
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('signature does not match the body and timestamp');
    });

    it('refuses a body changed after signing', async () => {
      const body = oneFix();
      const headers = signedHeaders(WEBHOOK_SECRET, body);
      const res = await post(signed, body.replace('6.45', '6.46'), headers);
      expect(res.statusCode).toBe(401);
    });

    it('refuses a stale timestamp, even correctly signed', async () => {
      const body = oneFix();
      const res = await post(
        signed,
        body,
        signedHeaders(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000) - 301),
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toContain('more than 5 minutes');
    });

    it('refuses a request with no signature, naming the headers to send', async () => {
      const res = await post(signed, oneFix(), { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toContain('x-watchtower-signature');
    });

    it('refuses a replayed request', async () => {
      const body = oneFix();
      const headers = signedHeaders(WEBHOOK_SECRET, body);
      expect((await post(signed, body, headers)).statusCode).toBe(202);
      const again = await post(signed, body, headers);
      expect(again.statusCode).toBe(401);
      expect(again.json().error.message).toContain('already used');
    });

    it('does not take the static token when a secret is configured', async () => {
      const res = await post(signed, oneFix(), {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
      });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('static token and configuration', () => {
    it('accepts the bearer token where only a token is configured, and refuses a wrong one', async () => {
      const app = await server(bus, { webhookToken: TOKEN });
      try {
        const ok = await post(app, oneFix(), {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
        });
        expect(ok.statusCode).toBe(202);
        const bad = await post(app, oneFix(), {
          'content-type': 'application/json',
          authorization: 'Bearer nope',
        });
        expect(bad.statusCode).toBe(401);
      } finally {
        await app.close();
      }
    });

    it('answers 503 with Retry-After when the stream cannot take the request, so the sender retries', async () => {
      const down = new MemoryBus();
      const app = await build({
        db: noDb,
        bus: down,
        logger: createLogger('silent'),
        metrics: createMetrics(),
        plugins: [
          webhookRoutes({
            bus: down,
            metrics: createMetrics(),
            auth: { webhookSecret: WEBHOOK_SECRET, webhookToken: undefined },
            timeZone: 'Africa/Lagos',
            shards: 1,
          }),
        ],
      });
      try {
        await down.close();
        const body = oneFix();
        const res = await post(app, body, signedHeaders(WEBHOOK_SECRET, body));
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.json().error.code).toBe('WT_UNAVAILABLE');
      } finally {
        await app.close();
      }
    });

    it('refuses every request when neither secret nor token is set, saying what to set', async () => {
      const app = await server(bus, {});
      try {
        const body = oneFix();
        const res = await post(app, body, signedHeaders(WEBHOOK_SECRET, body));
        expect(res.statusCode).toBe(503);
        expect(res.json().error.message).toContain('LOCONAV_WEBHOOK_SECRET');
      } finally {
        await app.close();
      }
    });
  });

  describe('bad input', () => {
    const send = (value: unknown) => {
      const body = typeof value === 'string' ? value : JSON.stringify(value);
      return post(signed, body, signedHeaders(WEBHOOK_SECRET, body));
    };

    it('keeps the good items of an array and names each bad one with its field', async () => {
      const at = new Date(Date.now() - 30_000);
      const res = await send([
        liveLocation(truck, at, 6.45, 3.36),
        { ...liveLocation(truck, at, 6.45, 3.36), gpstime: '31-02-2026 10:00:00' },
        { ...liveLocation(truck, at, 0, 0) },
        { ...liveLocation(truck, new Date(Date.now() + 3_600_000), 6.45, 3.36) },
        { ...liveLocation(truck, at, 6.45, 3.36), latitude: 'north' },
        liveLocation(truck, new Date(at.getTime() + 1000), 6.4501, 3.3601),
      ]);
      expect(res.statusCode).toBe(202);
      const { accepted, rejected } = res.json();
      expect(accepted).toBe(2);
      expect(rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 3, 4]);
      expect(rejected[0].reason).toContain('gpstime');
      expect(rejected[1].reason).toMatch(/^null_island/);
      expect(rejected[2].reason).toMatch(/^future/);
      expect(rejected[3].reason).toContain('latitude');
    });

    it('answers 400 with the reason when nothing in the request is usable', async () => {
      const res = await send({ vehiclenumber: 'KJA-123XY', latitude: 6.4 });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/item 0: .*(longitude|gpstime)/);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const res = await send('{"imei": ');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('not valid JSON');
    });

    it('answers 413 for more than 1,000 items', async () => {
      const at = new Date(Date.now() - 30_000);
      const res = await send(Array.from({ length: 1001 }, () => liveLocation(truck, at, 6.45, 3.36)));
      expect(res.statusCode).toBe(413);
      expect(res.json().error.message).toContain('at most 1000 items');
    });

    it('answers 413 for a body over 1 MiB', async () => {
      const res = await send(JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
      expect(res.statusCode).toBe(413);
    });

    it('stores a LocoNav alert as an item for the event log', async () => {
      const res = await send({
        kind: 'GeofenceAlert',
        vehicle_number: 'KJA-123XY',
        event_key: 'geofence_enter',
        polygon_id: 42,
        active_event_time: new Date(Date.now() - 10_000).toISOString(),
        active_event_latitude: 6.45,
        active_event_longitude: 3.36,
      });
      expect(res.statusCode).toBe(202);
      const [entry] = (await bus.range(positionStream(0))).slice(-1);
      expect(decodeBatch(entry!.fields).alerts[0]).toMatchObject({ kind: 'GeofenceAlert', polygonId: '42' });
    });
  });
});
