import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import {
  analyticsRoutes,
  dailyReportResponse,
  tatReportResponse,
  utilizationResponse,
} from '../../src/api/routes/analytics.ts';
import { truckRoutes } from '../../src/api/routes/trucks.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const SECRET = 'analytics-tests-secret-0123456789abcdef';
const viewer = { authorization: `Bearer ${signToken(SECRET, { sub: 'vic', role: 'viewer' })}` };

describe('analytics REST API', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let truckId: string;

  beforeAll(async () => {
    testDb = await createTestDb();
    const sql = testDb.sql;
    const db: Db = { sql, embedded: false, ping: async () => {}, close: async () => {} };
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [apiAuth({ jwtSecret: SECRET }), truckRoutes({ sql }), analyticsRoutes({ sql })],
    });
    const [g1] = await sql`
      insert into geofences (name, type, shape, geom, radius_m)
      values ('Apapa Port', 'terminal', 'circle', st_setsrid(st_makepoint(3.36, 6.45), 4326), 500) returning id`;
    const [g2] = await sql`
      insert into geofences (name, type, shape, geom, radius_m)
      values ('Ikeja Depot', 'depot', 'circle', st_setsrid(st_makepoint(3.35, 6.6), 4326), 500) returning id`;
    const [t] = await sql`
      insert into trucks (truck_number, last_location, last_fix_at, last_speed_kmh)
      values ('KJA-777AA', st_setsrid(st_makepoint(3.4, 6.46), 4326)::geography, '2025-05-01T09:00:00Z', 12)
      returning id`;
    truckId = t!.id as string;
    // 08:00-14:00 Lagos on 10 Feb 2025: wait 1 h, transit 2 h, at dropoff 0.5 h, return 1.5 h, total 6 h
    await sql`
      insert into trips (trip_number, truck_id, origin_geofence_id, destination_geofence_id, status, dispatched_at,
                         arrived_pickup_at, departed_pickup_at, arrived_dropoff_at, delivered_at, completed_at,
                         created_by, updated_by)
      values ('TRP-000001', ${truckId}, ${g1!.id}, ${g2!.id}, 'completed', '2025-02-10T07:00:00Z',
              '2025-02-10T08:00:00Z', '2025-02-10T09:00:00Z', '2025-02-10T11:00:00Z', '2025-02-10T11:30:00Z',
              '2025-02-10T13:00:00Z', 'test', 'test')`;
    await sql`
      insert into events (type, entity_type, entity_id, occurred_at)
      values ('loconav.overspeed', 'truck', ${truckId}, '2025-02-10T10:00:00Z')`;
  });

  afterAll(async () => {
    await app.close();
    await testDb.drop();
  });

  const get = (url: string, headers: Record<string, string> = viewer) => app.inject({ url, headers });

  it('answers the daily report in its documented shape, viewers included', async () => {
    const res = await get('/api/v1/analytics/daily?date=2025-02-10');
    expect(res.statusCode).toBe(200);
    const body = dailyReportResponse.parse(res.json());
    expect(body).toEqual({
      date: '2025-02-10',
      window: { start: '2025-02-09T23:00:00.000Z', end: '2025-02-10T23:00:00.000Z' },
      trips: { started: 1, completed: 1, in_progress: 0, cancelled: 0 },
      km_driven: { total: 0, by_truck: [] },
      alerts: { total: 1, by_type: { 'loconav.overspeed': 1 } },
    });
  });

  it('answers the daily report for today in Lagos without a date', async () => {
    const res = await get('/api/v1/analytics/daily');
    expect(res.statusCode).toBe(200);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Lagos' }).format(new Date());
    expect(res.json().date).toBe(today);
  });

  it('answers TAT per trip and per lane in seconds', async () => {
    const res = await get('/api/v1/analytics/tat?from=2025-02-10&to=2025-02-10');
    expect(res.statusCode).toBe(200);
    const body = tatReportResponse.parse(res.json());
    expect(body.trips).toEqual([
      {
        trip_number: 'TRP-000001',
        lane: 'Apapa Port → Ikeja Depot',
        stages: {
          waiting_at_pickup_s: 3600,
          transit_s: 7200,
          at_dropoff_s: 1800,
          return_s: 5400,
          total_s: 21600,
        },
      },
    ]);
    expect(body.lanes[0]).toMatchObject({
      lane: 'Apapa Port → Ikeja Depot',
      count: 1,
      total_s: { count: 1, median: 21600, p90: 21600 },
    });
  });

  it('answers utilization per day and per truck', async () => {
    const res = await get('/api/v1/analytics/utilization?from=2025-02-10&to=2025-02-11');
    expect(res.statusCode).toBe(200);
    const body = utilizationResponse.parse(res.json());
    expect(body.days.map((d) => d.date)).toEqual(['2025-02-10', '2025-02-11']);
    // on a trip 6 h of 24 on the 10th, none on the 11th
    expect(body.trucks).toEqual([
      {
        truck_id: truckId,
        truck_number: 'KJA-777AA',
        on_trip_share: 6 / 48,
        moving_share: 0,
        days: [
          { date: '2025-02-10', on_trip_share: 0.25, moving_share: 0 },
          { date: '2025-02-11', on_trip_share: 0, moving_share: 0 },
        ],
      },
    ]);
  });

  it.each([
    ['/api/v1/analytics/daily?date=2025-13-01', 'Invalid report date: date: expected a date as YYYY-MM-DD'],
    ['/api/v1/analytics/daily?day=2025-01-01', 'Invalid report date: unknown field day; expected date'],
    ['/api/v1/analytics/tat?to=2025-02-10', 'Invalid report range: from: expected a date as YYYY-MM-DD'],
    ['/api/v1/analytics/tat?from=2025-02-10&to=2025-02-09', 'to: must be on or after from (2025-02-10)'],
    ['/api/v1/analytics/utilization?from=2025-01-01&to=2025-06-01', 'to: at most 92 days after from'],
    ['/api/v1/analytics/utilization?from=yesterday&to=2025-02-01', 'from: expected a date as YYYY-MM-DD'],
  ])('refuses %s with 400 naming the parameter', async (url, message) => {
    const res = await get(url);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('WT_VALIDATION');
    expect(res.json().error.message).toContain(message);
  });

  it('asks for a token', async () => {
    for (const url of ['/api/v1/analytics/daily', '/api/v1/analytics/tat', '/api/v1/analytics/utilization']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('WT_UNAUTHORIZED');
    }
  });
});

describe('trucks near a point over REST', () => {
  let testDb: TestDb;
  let app: FastifyInstance;

  beforeAll(async () => {
    testDb = await createTestDb();
    const sql = testDb.sql;
    const db: Db = { sql, embedded: false, ping: async () => {}, close: async () => {} };
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [apiAuth({ jwtSecret: SECRET }), truckRoutes({ sql })],
    });
    // ~1.1 km and ~2.2 km north of (6.45, 3.40); and one 20 km away
    await sql`
      insert into trucks (truck_number, last_location, last_fix_at, last_speed_kmh) values
        ('KJA-002BB', st_setsrid(st_makepoint(3.4, 6.47), 4326)::geography, '2025-05-01T09:00:00Z', null),
        ('KJA-001AA', st_setsrid(st_makepoint(3.4, 6.46), 4326)::geography, '2025-05-01T09:05:00Z', 35),
        ('KJA-003CC', st_setsrid(st_makepoint(3.4, 6.63), 4326)::geography, '2025-05-01T09:00:00Z', 0)`;
    // A truck numbered NEAR exists; /trucks/near must still be the search, not this truck.
    await sql`insert into trucks (truck_number) values ('NEAR')`;
  });

  afterAll(async () => {
    await app.close();
    await testDb.drop();
  });

  it('lists trucks near a point nearest first, on its own route rather than /trucks/:id', async () => {
    const res = await app.inject({ url: '/api/v1/trucks/near?lat=6.45&lng=3.4', headers: viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.center).toEqual({ lat: 6.45, lng: 3.4 });
    expect(body.radius_m).toBe(5000);
    expect(body.trucks.map((t: { truck_number: string }) => t.truck_number)).toEqual([
      'KJA-001AA',
      'KJA-002BB',
    ]);
    expect(body.trucks[0]).toMatchObject({
      location: { lat: 6.46, lng: 3.4 },
      last_fix_at: '2025-05-01T09:05:00.000Z',
      speed_kmh: 35,
    });
    // 0.01° of latitude on the sphere of radius 6,371,008.8 m (distances are spherical, like haversineM).
    expect(body.trucks[0].distance_m).toBeCloseTo(1111.95, 1);
  });

  it('takes a radius in metres up to 50 km', async () => {
    const wide = await app.inject({
      url: '/api/v1/trucks/near?lat=6.45&lng=3.4&radius=25000',
      headers: viewer,
    });
    expect(wide.json().trucks).toHaveLength(3);
    const tooWide = await app.inject({
      url: '/api/v1/trucks/near?lat=6.45&lng=3.4&radius=50001',
      headers: viewer,
    });
    expect(tooWide.statusCode).toBe(400);
    expect(tooWide.json().error.message).toBe(
      'Invalid location query: radius: expected metres from 1 to 50000',
    );
  });

  it('refuses a missing or impossible point with 400 naming the parameter', async () => {
    const noLng = await app.inject({ url: '/api/v1/trucks/near?lat=6.45', headers: viewer });
    expect(noLng.statusCode).toBe(400);
    expect(noLng.json().error.message).toContain('lng: expected a longitude from -180 to 180');
    const badLat = await app.inject({ url: '/api/v1/trucks/near?lat=north&lng=3.4', headers: viewer });
    expect(badLat.json().error.message).toContain('lat: expected a latitude from -90 to 90');
  });

  it('asks for a token', async () => {
    expect((await app.inject('/api/v1/trucks/near?lat=6.45&lng=3.4')).statusCode).toBe(401);
  });
});
