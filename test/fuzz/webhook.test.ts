import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { deadLetterStream } from '../../src/bus/types.ts';
import { loadConfig } from '../../src/config.ts';
import { LAGOS } from '../../src/domain/time.ts';
import { signBody } from '../../src/ingest/auth.ts';
import { WATCHER_GROUP, WRITER_GROUP } from '../../src/ingest/index.ts';
import { ALERT_KINDS, formatGpstime } from '../../src/ingest/loconav.ts';
import { positionStream } from '../../src/ingest/streams.ts';
import { MAX_ITEMS, WEBHOOK_PATH } from '../../src/ingest/webhook.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { liveLocation, WEBHOOK_SECRET } from '../support/loconav.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import {
  type CapturedLog,
  captureLog,
  nastyJson,
  nastyString,
  runs,
  validOr,
  validOrText,
} from './inputs.ts';

// The webhook is the one door anyone on the internet can knock on. Every body here is signed correctly, so it
// gets past authentication and reaches the parser: arbitrary JSON, arbitrary bytes, and LocoNav-shaped items
// whose fields are sometimes right and sometimes anything at all. The answer is 202, 400 or 413, never a
// 500; what a 202 accepts is a fix that can be; and once the pipeline drains, no stored row breaks a quality
// rule and nothing was dead-lettered (a poisoned batch would take the good fixes acknowledged with it).

const FIVE_MIN_MS = 5 * 60_000;
const ALLOWED = [202, 400, 413];

describe('the LocoNav webhook under fuzzing', () => {
  let db: TestDb;
  let wt: WatchTower;
  let log: CapturedLog;
  let lastPostMs = 0;
  const used = new Set<string>();
  const accepted = { fixes: 0, alerts: 0 };

  beforeAll(async () => {
    db = await createTestDb();
    // Warnings too: a batch the writer keeps failing is only a warning until it is dead-lettered.
    log = captureLog('warn');
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      PORT: '0',
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WATCHTOWER_ROLES: 'webhook,consumers',
      // One shard: entries are handled in order, so a marker stored last means everything before was handled.
      INGEST_SHARDS: '1',
      WATCHTOWER_SIMULATOR: 'off',
    });
    wt = await startWatchTower(config, {
      logger: log.logger,
      busPrefix: uniquePrefix(),
      tuning: { consumer: { blockMs: 50 }, relayIdleMs: 20 },
    });
  }, 60_000);

  afterAll(async () => {
    await wt?.stop();
    await db?.drop();
  });

  /** Signs `body` afresh: each signature is usable once, so a body repeated by the generator gets another timestamp. */
  function headers(body: string | Buffer) {
    const now = Math.floor(Date.now() / 1000);
    for (let back = 0; ; back++) {
      const ts = now - back;
      const signature = signBody(WEBHOOK_SECRET, ts, body);
      if (used.has(signature)) continue;
      used.add(signature);
      return {
        'content-type': 'application/json',
        'x-watchtower-timestamp': String(ts),
        'x-watchtower-signature': signature,
      };
    }
  }

  async function post(body: string | Buffer) {
    lastPostMs = Date.now();
    const res = await wt.http!.inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      payload: body,
      headers: headers(body),
    });
    return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
  }

  /** The answer is one we promise, with the body that goes with it. */
  function expectWellFormed(res: Awaited<ReturnType<typeof post>>) {
    expect(ALLOWED, `status ${res.status}: ${res.body.slice(0, 300)}`).toContain(res.status);
    const json = res.json();
    if (res.status === 202) {
      expect(json).toMatchObject({ accepted: expect.any(Number), rejected: expect.any(Array) });
    } else {
      const error = json.error as { code?: unknown; message?: unknown };
      expect(typeof error.code).toBe('string');
      expect(typeof error.message).toBe('string');
      expect(error.message).not.toContain(WEBHOOK_SECRET);
    }
    return json;
  }

  it('answers arbitrary JSON with 202, 400 or 413, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), nastyJson), async (value) => {
        expectWellFormed(await post(JSON.stringify(value) ?? 'null'));
      }),
      runs(250),
    );
  });

  it('answers arbitrary bytes with 400, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const res = await post(Buffer.from(bytes));
        expectWellFormed(res);
        // Random bytes can spell a JSON scalar ("1", " true"), never an object with a vehicle and a position.
        expect(res.status).toBe(400);
      }),
      runs(250),
    );
  });

  // ---- LocoNav-shaped items: each field right or anything ----------------------------------------------

  const now = Date.now();
  const imeis = ['0868373050000001', '0868373050000002', '868373050000003', '0868373050000004'];
  const plates = ['FZ-001AA', 'fz 002 bb', 'FZ-003CC', ' FZ-004dd '];
  const time = fc
    .integer({ min: now - 2 * 86_400_000, max: now + 2 * FIVE_MIN_MS })
    .map((ms) => new Date(ms));
  const gpstime = fc.oneof(
    time.map((d) => formatGpstime(d, LAGOS)),
    time.map((d) => Math.floor(d.getTime() / 1000)),
    time.map((d) => String(d.getTime())),
    time.map((d) => d.toISOString()),
  );
  const latitude = fc.oneof(
    fc.double({ min: 6.3, max: 6.7, noNaN: true }),
    fc.constantFrom('6.45', ' 6.5 ', 0),
  );
  const longitude = fc.oneof(fc.double({ min: 3.1, max: 3.6, noNaN: true }), fc.constantFrom('3.36', 0));
  const flag = fc.constantFrom('1', '0', true, false, 1, 0, 'true', 'FALSE');

  const liveItem = fc.record(
    {
      imei: validOrText(fc.constantFrom(...imeis), 4),
      vehiclenumber: validOrText(fc.constantFrom(...plates), 4),
      latitude: validOr(latitude, 4),
      longitude: validOr(longitude, 4),
      speed: validOr(fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant('42.5')), 3),
      orientation: validOr(fc.integer({ min: 0, max: 360 }), 3),
      ignition: validOr(flag, 3),
      gpstime: validOr(gpstime, 4),
      harshBraking: validOr(flag, 3),
      harshAcceleration: validOr(flag, 3),
      sharpTurn: validOr(flag, 3),
    },
    { requiredKeys: ['latitude', 'longitude', 'gpstime'] },
  );
  const alertItem = fc.record(
    {
      kind: validOr(fc.constantFrom(...ALERT_KINDS), 4),
      id: validOrText(fc.oneof(fc.uuid(), fc.integer({ min: 1 })), 2),
      vehicle_number: validOrText(fc.constantFrom(...plates), 4),
      event_key: validOrText(fc.constantFrom('geofence_enter', 'geofence_exit'), 2),
      polygon_id: validOrText(fc.integer({ min: 1, max: 99 }), 2),
      active_event_time: validOr(gpstime, 4),
      active_event_latitude: validOr(latitude, 2),
      active_event_longitude: validOr(longitude, 2),
      inactive_event_time: validOr(gpstime, 1),
    },
    { requiredKeys: ['kind'] },
  );
  const item = fc.oneof(
    { weight: 6, arbitrary: liveItem },
    { weight: 2, arbitrary: alertItem },
    { weight: 1, arbitrary: nastyJson },
    { weight: 1, arbitrary: fc.dictionary(nastyString, nastyJson, { maxKeys: 4 }) },
  );
  const body = fc.oneof(fc.array(item, { minLength: 1, maxLength: 20 }), item);

  /** What any accepted live location must have, judged independently of the parser. */
  function couldBeAFix(x: Record<string, unknown>): string | undefined {
    const num = (v: unknown) =>
      typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
    const lat = num(x.latitude);
    const lng = num(x.longitude);
    if (!(Math.abs(lat) <= 90)) return `latitude ${String(x.latitude)}`;
    if (!(Math.abs(lng) <= 180)) return `longitude ${String(x.longitude)}`;
    if (Math.abs(lat) < 1e-6 && Math.abs(lng) < 1e-6) return '(0, 0)';
    const named = (v: unknown) => (typeof v === 'string' && v.trim() !== '') || typeof v === 'number';
    if (!named(x.imei) && !named(x.vehiclenumber)) return 'no imei or vehiclenumber';
    return undefined;
  }

  // What earlier runs found, kept as fixed examples: each once failed the writer's whole batch.
  const good = liveLocation({ imei: imeis[0]!, number: plates[0]! }, new Date(now - 90_000), 6.45, 3.36);
  const found: unknown[][] = [
    [
      [
        good,
        { ...good, speed: '3.786357561983104e-267', gpstime: formatGpstime(new Date(now - 80_000), LAGOS) },
      ],
    ],
    [[good, { ...good, vehiclenumber: 'a\u0000b' }]],
    [[good, { ...good, imei: '\udfff\ud800', vehiclenumber: undefined }]],
    [
      [
        good,
        { kind: 'IgnitionAlert', vehicle_number: plates[1], id: 'x\u0000', active_event_time: now / 1000 },
      ],
    ],
  ];

  it('accepts from LocoNav-shaped items only those that can be fixes, and answers the rest with reasons', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const items = Array.isArray(value) ? value : [value];
        const res = await post(JSON.stringify(value));
        const json = expectWellFormed(res);
        const rejected = (json.rejected ?? []) as { index: number; reason: string }[];
        for (const r of rejected) expect(r.reason.length).toBeGreaterThan(0);
        if (res.status !== 202) return;
        const refused = new Set(rejected.map((r) => r.index));
        expect(json.accepted).toBe(items.length - refused.size);
        items.forEach((it, index) => {
          if (refused.has(index)) return;
          expect(typeof it === 'object' && it !== null && !Array.isArray(it), `item ${index}`).toBe(true);
          const x = it as Record<string, unknown>;
          if ('kind' in x) {
            expect(ALERT_KINDS as readonly unknown[]).toContain(x.kind);
            accepted.alerts++;
          } else {
            expect(couldBeAFix(x), `item ${index}: ${JSON.stringify(x)}`).toBeUndefined();
            accepted.fixes++;
          }
        });
      }),
      { ...runs(400), examples: found as [unknown][] },
    );
    // The generator is meant to reach the stream: a run that accepted nothing would prove nothing.
    expect(accepted.fixes).toBeGreaterThan(50);
    expect(accepted.alerts).toBeGreaterThan(5);
  }, 120_000);

  it('refuses more than MAX_ITEMS items with 413', async () => {
    const fix = liveLocation({ imei: imeis[0]!, number: plates[0]! }, new Date(now - 60_000), 6.45, 3.36);
    const res = await post(JSON.stringify(Array.from({ length: MAX_ITEMS + 1 }, () => fix)));
    expect(expectWellFormed(res).error).toMatchObject({ code: 'WT_PAYLOAD_TOO_LARGE' });
  });

  it('stores no row that breaks a quality rule and dead-letters nothing, once the pipeline drains', async () => {
    const marker = { imei: '0999999999999999', number: 'FZ-MARKER' };
    expect((await post(JSON.stringify([liveLocation(marker, new Date(), 6.5, 3.4)]))).status).toBe(202);
    const stream = positionStream(0);
    const drained = until(
      'the pipeline to drain',
      async () => {
        const [row] = await db.sql`
          select count(*)::int as n from vehicle_positions p join trucks t on t.id = p.truck_id
          where t.truck_number = ${marker.number}`;
        if (row!.n !== 1) return false;
        for (const group of [WRITER_GROUP, WATCHER_GROUP]) {
          const info = await wt.bus.groupInfo(stream, group);
          if (info.pending !== 0 || (info.lag ?? 0) !== 0) return false;
        }
        return true;
      },
      20_000,
    );
    await drained.catch(async (err: Error) => {
      const info = await wt.bus.groupInfo(stream, WRITER_GROUP);
      const why = [...new Set(log.lines().map((l) => `${String(l.msg)}: ${String(l.err)}`))].slice(0, 5);
      throw new Error(`${err.message}; writer group ${JSON.stringify(info)}; logged: ${why.join(' | ')}`);
    });

    expect(await wt.bus.length(deadLetterStream(stream))).toBe(0);
    const [positions] = await db.sql`
      select
        count(*)::int as n,
        count(*) filter (where st_y(location::geometry) not between -90 and 90
                            or st_x(location::geometry) not between -180 and 180)::int as out_of_range,
        count(*) filter (where abs(st_y(location::geometry)) < 1e-6
                           and abs(st_x(location::geometry)) < 1e-6)::int as null_island,
        count(*) filter (where fix_time > ${new Date(lastPostMs + FIVE_MIN_MS)})::int as future
      from vehicle_positions`;
    expect(positions).toMatchObject({ out_of_range: 0, null_island: 0, future: 0 });
    // Some of what was acknowledged was stored (duplicates and impossible jumps are dropped by design).
    expect(positions!.n).toBeGreaterThan(10);
    expect(positions!.n).toBeLessThanOrEqual(accepted.fixes + 1);
    const [current] = await db.sql`
      select count(*)::int as bad from trucks
      where last_fix_at > ${new Date(lastPostMs + FIVE_MIN_MS)}
         or (last_location is not null and abs(st_y(last_location::geometry)) < 1e-6
             and abs(st_x(last_location::geometry)) < 1e-6)`;
    expect(current!.bad).toBe(0);
    expect(log.errors()).toEqual([]);
  }, 40_000);

  it('is still up and answering after all of it', async () => {
    const res = await fetch(`${wt.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
