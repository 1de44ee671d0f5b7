import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/api/auth.ts';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { WEBHOOK_PATH } from '../../src/ingest/webhook.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { signedHeaders, WEBHOOK_SECRET } from '../support/loconav.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { type CapturedLog, captureLog, deepArray } from './inputs.ts';

// Bodies built to hurt the parser rather than the rules: over the 1 MiB limit (announced, or streamed with
// no length), and nested 100,000 levels deep, which parses without recursion in V8 but overflows any
// recursive walk over it. Each gets 413 or 400 in our error shape over a real socket, and the process stays up.

const SECRET = 'oversize-fuzz-secret-0123456789abcdefgh';
const AUTH = { authorization: `Bearer ${signToken(SECRET, { sub: 'fuzz', role: 'admin' })}` };
const MIB = 1024 * 1024;
const DEPTH = 100_000;

const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('oversize and deeply nested JSON', () => {
  let db: TestDb;
  let wt: WatchTower;
  let log: CapturedLog;

  beforeAll(async () => {
    db = await createTestDb();
    log = captureLog();
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      PORT: '0',
      JWT_SECRET: SECRET,
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WATCHTOWER_ROLES: 'webhook,api',
      WATCHTOWER_SIMULATOR: 'off',
    });
    wt = await startWatchTower(config, { logger: log.logger, busPrefix: uniquePrefix() });
  }, 60_000);

  afterAll(async () => {
    await wt?.stop();
    await db?.drop();
  });

  /** One request over a real socket; `stream` sends the body chunked, with no content-length to refuse early. */
  async function send(path: string, body: string, headers: Record<string, string>, stream = false) {
    const payload = stream
      ? new ReadableStream({
          start(controller) {
            const bytes = Buffer.from(body);
            for (let i = 0; i < bytes.length; i += 64 * 1024)
              controller.enqueue(bytes.subarray(i, i + 64 * 1024));
            controller.close();
          },
        })
      : body;
    const res = await fetch(`${wt.url}${path}`, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json', ...headers },
      ...(stream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) as { error?: { code: string; message: string } } };
  }

  const webhook = (body: string, stream = false) =>
    send(WEBHOOK_PATH, body, signedHeaders(WEBHOOK_SECRET, body), stream);
  const rest = (path: string, body: string, stream = false) => send(path, body, AUTH, stream);

  /** Over 1 MiB of otherwise well-formed JSON, in fewer items than MAX_ITEMS: the byte limit must answer. */
  const fix = {
    imei: '0868373050000001',
    latitude: 6.45,
    longitude: 3.36,
    gpstime: 1,
    note: 'x'.repeat(2_000),
  };
  const oversizeArray = JSON.stringify(Array.from({ length: 600 }, () => fix));
  const oversizeTruck = JSON.stringify({ truck_number: 'KJA-123XY', company: 'x'.repeat(MIB + 1) });

  it('refuses a webhook body over 1 MiB with 413, whether its length is announced or streamed', async () => {
    expect(Buffer.byteLength(oversizeArray)).toBeGreaterThan(MIB);
    for (const stream of [false, true]) {
      const res = await webhook(oversizeArray, stream);
      expect(res.status, `stream: ${stream}`).toBe(413);
      expect(res.json.error?.code).toBe('WT_PAYLOAD_TOO_LARGE');
    }
  });

  it('refuses a REST body over 1 MiB with 413, whether its length is announced or streamed', async () => {
    for (const stream of [false, true]) {
      const res = await rest('/api/v1/trucks', oversizeTruck, stream);
      expect(res.status, `stream: ${stream}`).toBe(413);
      expect(res.json.error?.code).toBe('WT_PAYLOAD_TOO_LARGE');
    }
  });

  it('answers 100,000 levels of nesting at the webhook with 400 naming the item', async () => {
    for (const body of [deepArray(DEPTH), `[${deepArray(DEPTH)}]`, deepObject(DEPTH), '['.repeat(DEPTH)]) {
      const res = await webhook(body);
      expect(res.status, body.slice(0, 20)).toBe(400);
      expect(res.json.error?.message).toMatch(/item|JSON/);
    }
  });

  it('answers 100,000 levels of nesting at every kind of REST body with 400', async () => {
    const bodies = [
      deepArray(DEPTH),
      deepObject(DEPTH),
      '['.repeat(DEPTH),
      `{"truck_number":"KJA-777AA","company":${deepArray(DEPTH)}}`,
      `{"name":"Deep","type":"depot","boundary":{"type":"Polygon","coordinates":${deepArray(DEPTH)}}}`,
      `{"text":${deepObject(DEPTH)}}`,
    ];
    for (const path of ['/api/v1/trucks', '/api/v1/geofences', '/api/v1/trips', '/api/v1/ai/query']) {
      for (const body of bodies) {
        const res = await rest(path, body);
        expect(res.status, `${path} ${body.slice(0, 40)}`).toBe(400);
        expect(res.json.error?.code).toMatch(/^WT_/);
      }
    }
  });

  it('is still up, with nothing logged as an error', async () => {
    expect((await fetch(`${wt.url}/healthz`)).status).toBe(200);
    const [row] = await db.sql`select count(*)::int as n from trucks`;
    expect(row!.n).toBe(0);
    expect(log.errors()).toEqual([]);
  });
});
