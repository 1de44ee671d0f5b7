import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { systemActor } from '../../src/fleet/actor.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import { EVENTS_STREAM } from '../../src/ingest/streams.ts';
import { WEBHOOK_PATH } from '../../src/ingest/webhook.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { busTraceAsLocoNav, liveLocation, signedHeaders, WEBHOOK_SECRET } from '../support/loconav.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { loadBusStops } from '../support/trace.ts';
import { until } from '../support/wait.ts';

const bus304 = { imei: '0868373050001234', number: 'LSD-304UL' };

describe.each([
  ['Redis Streams', () => testRedisUrl()],
  ['the in-process bus', () => undefined],
])('the ingest pipeline on %s', (_name, redisUrl) => {
  let db: TestDb;
  let wt: WatchTower;
  const trace = busTraceAsLocoNav(bus304, new Date(Date.now() - 120_000));
  const last = trace[trace.length - 1]!;
  const stop = loadBusStops().find((s) => s.seq === 14)!;
  let geofenceId: string;

  const post = async (items: unknown[]) => {
    const body = JSON.stringify(items);
    const res = await fetch(`${wt.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      body,
      headers: signedHeaders(WEBHOOK_SECRET, body),
    });
    return { status: res.status, body: (await res.json()) as { accepted: number; rejected: unknown[] } };
  };
  const positions = async () => {
    const [row] = await db.sql`
      select count(*)::int as n from vehicle_positions p join trucks t on t.id = p.truck_id
      where t.truck_number = ${bus304.number}`;
    return row!.n as number;
  };

  beforeAll(async () => {
    db = await createTestDb();
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl(),
      PORT: '0',
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WATCHTOWER_ROLES: 'webhook,consumers',
      INGEST_SHARDS: '4',
    });
    const geofence = await createGeofence(db.sql, systemActor('test'), {
      name: `Stop 14: ${stop.name}`,
      type: 'checkpoint',
      boundary: { center: { lat: stop.lat, lng: stop.lng }, radius_m: 30 },
      min_dwell_s: 20,
    });
    geofenceId = geofence.id;
    wt = await startWatchTower(config, {
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      busPrefix: uniquePrefix(),
      tuning: { consumer: { blockMs: 50 }, relayIdleMs: 20 },
    });
    for (let i = 0; i < trace.length; i += 50) {
      const res = await post(trace.slice(i, i + 50).map((t) => t.item));
      expect(res.status).toBe(202);
      expect(res.body.rejected).toEqual([]);
    }
  }, 60_000);

  afterAll(async () => {
    await wt?.stop();
    await db?.drop();
  });

  it('stores every fix of the real trace, once', async () => {
    await until('all fixes stored', async () => (await positions()) === trace.length);
  });

  it('registers the unknown vehicle as an unassigned truck, reported once', async () => {
    const trucks = await db.sql`select id, status, imei from trucks where truck_number = ${bus304.number}`;
    expect(trucks).toHaveLength(1);
    expect(trucks[0]).toMatchObject({ status: 'unassigned', imei: bus304.imei });
    const [events] = await db.sql`select count(*)::int as n from events where type = 'truck.registered'`;
    expect(events!.n).toBe(1);
  });

  it('moves the current location to the newest fix', async () => {
    const truck = await until('current location', async () => {
      const [t] = await db.sql`
        select last_fix_at, st_y(last_location::geometry) as lat, st_x(last_location::geometry) as lng
        from trucks where truck_number = ${bus304.number}`;
      return t && t.last_fix_at?.getTime() === last.time.getTime() ? t : undefined;
    });
    expect(truck.lat).toBeCloseTo(last.lat, 6);
    expect(truck.lng).toBeCloseTo(last.lng, 6);
  });

  it('turns a real stop into exactly one entry and one exit, despite GPS jitter', async () => {
    const events = await until('entry and exit', async () => {
      const rows = await db.sql`
        select type, occurred_at, payload from events
        where type like 'geofence.%' and payload->>'geofenceId' = ${geofenceId} order by occurred_at`;
      return rows.length >= 2 ? rows : undefined;
    });
    expect(events.map((e) => e.type)).toEqual(['geofence.entered', 'geofence.exited']);
    expect(events[0]!.payload).toMatchObject({
      truckNumber: bus304.number,
      geofenceName: `Stop 14: ${stop.name}`,
    });
    const presence =
      await db.sql`select entered_at, exited_at from geofence_presence where geofence_id = ${geofenceId}`;
    expect(presence).toHaveLength(1);
    expect(presence[0]!.exited_at).not.toBeNull();
    expect(presence[0]!.entered_at.getTime()).toBe(events[0]!.occurred_at.getTime());
  });

  it('publishes the events to the event stream through the outbox', async () => {
    const published = await until('events relayed', async () => {
      const entries = await wt.bus.range(EVENTS_STREAM, '-', '+', 1000);
      const types = entries.map((e) => e.fields.type);
      return types.includes('geofence.exited') ? types : undefined;
    });
    expect(published).toContain('truck.registered');
    expect(published).toContain('geofence.entered');
    const [unpublished] = await db.sql`select count(*)::int as n from events where published_at is null`;
    expect(unpublished!.n).toBe(0);
  });

  it('stores a redelivered request once (at-least-once in, one row out)', async () => {
    await until('all fixes stored', async () => (await positions()) === trace.length);
    const res = await post(trace.slice(0, 100).map((t) => t.item));
    expect(res.status).toBe(202);
    // A marker fix after the replay: once it is stored, the replay before it on the same shard is done.
    const marker = liveLocation(bus304, new Date(last.time.getTime() + 1000), last.lat, last.lng, 0);
    expect((await post([marker])).status).toBe(202);
    await until('marker stored', async () => (await positions()) === trace.length + 1);
    expect(await positions()).toBe(trace.length + 1);
  });

  it('stores a late fix without moving the truck back', async () => {
    const before = await positions();
    // Five seconds before the trace began: never stored, and older than everything since.
    const lateTime = new Date(trace[0]!.time.getTime() - 5_000);
    expect((await post([liveLocation(bus304, lateTime, trace[0]!.lat, trace[0]!.lng)])).status).toBe(202);
    await until('late fix stored', async () => (await positions()) === before + 1);
    const [t] = await db.sql`select last_fix_at from trucks where truck_number = ${bus304.number}`;
    expect(t!.last_fix_at.getTime()).toBeGreaterThan(lateTime.getTime());
  });

  it('raises one overspeed alert for a truck held above the limit, none for a one-fix spike', async () => {
    const speeder = { imei: '0868373050009991', number: 'KJA-777SP' };
    const spiker = { imei: '0868373050009992', number: 'KJA-778SP' };
    const start = Date.now() - 600_000;
    // 95 km/h (limit 80) for three minutes, a fix every 15 s: about 396 m, 0.0036° of longitude each.
    const held = Array.from({ length: 13 }, (_, i) =>
      liveLocation(speeder, new Date(start + i * 15_000), 6.5, 3.3 + i * 0.0036, 95),
    );
    const spike = [20, 110, 20, 20].map((speed, i) =>
      liveLocation(spiker, new Date(start + i * 15_000), 6.6, 3.3 + i * 0.001, speed),
    );
    expect((await post([...held, ...spike])).status).toBe(202);
    const overspeeds = async () =>
      db.sql`select payload from events where type = 'truck.overspeed' order by occurred_at`;
    await until('the overspeed alert', async () => (await overspeeds()).length > 0);
    await until('every fix stored', async () => {
      const [row] = await db.sql`
        select count(*)::int as n from vehicle_positions p join trucks t on t.id = p.truck_id
        where t.truck_number in (${speeder.number}, ${spiker.number})`;
      return row!.n === held.length + spike.length;
    });
    const [alert, ...more] = await overspeeds();
    expect(more).toEqual([]);
    expect(alert!.payload).toMatchObject({
      truckNumber: speeder.number,
      speedKmh: 95,
      limitKmh: 80,
      heldS: 60,
    });
  });

  it('drops an impossible jump and counts it', async () => {
    const before = await positions();
    const [t] = await db.sql`select last_fix_at from trucks where truck_number = ${bus304.number}`;
    const jump = liveLocation(
      bus304,
      new Date(t!.last_fix_at.getTime() + 2000),
      last.lat + 0.5,
      last.lng,
      60,
    );
    const after = liveLocation(bus304, new Date(t!.last_fix_at.getTime() + 4000), last.lat, last.lng, 0);
    expect((await post([jump, after])).status).toBe(202);
    await until('the fix after the jump', async () => (await positions()) === before + 1);
    const metrics = await wt.metrics.registry.getSingleMetricAsString('watchtower_positions_total');
    expect(metrics).toMatch(/outcome="impossible_jump"} 1/);
  });
});
