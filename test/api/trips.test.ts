import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import { TRIP_ROUTE_DOCS, tripRoutes } from '../../src/api/routes/trips.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { tripPath } from '../../src/db/trips.ts';
import { insertTruck } from '../../src/db/trucks.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const SECRET = 'trip-tests-secret-0123456789abcdefgh';

type Role = 'viewer' | 'dispatcher' | 'admin';
const auth = (role: Role) => ({ authorization: `Bearer ${signToken(SECRET, { sub: role, role })}` });
const dispatcher = auth('dispatcher');
const viewer = auth('viewer');

describe('trip REST API', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let truckIds: string[];

  beforeAll(async () => {
    testDb = await createTestDb();
    const db: Db = { sql: testDb.sql, embedded: false, ping: async () => {}, close: async () => {} };
    const admin = { principal: 'test', role: 'admin' as const };
    await createGeofence(testDb.sql, admin, {
      name: 'Apapa Port',
      type: 'terminal',
      boundary: { center: { lat: 6.45, lng: 3.36 }, radius_m: 300 },
    });
    await createGeofence(testDb.sql, admin, {
      name: 'Dangote Ibeju',
      type: 'client',
      boundary: { center: { lat: 6.43, lng: 3.9 }, radius_m: 300 },
    });
    truckIds = [];
    for (const n of ['KJA-001AA', 'KJA-002AA', 'KJA-003AA']) {
      truckIds.push((await insertTruck(testDb.sql, { truckNumber: n })).id);
    }
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [apiAuth({ jwtSecret: SECRET }), tripRoutes({ sql: testDb.sql })],
    });
  });

  afterAll(async () => {
    await app?.close();
    await testDb?.drop();
  });

  const create = (payload: Record<string, unknown> = {}, headers: Record<string, string> = dispatcher) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/trips',
      headers,
      payload: { origin: 'Apapa Port', destination: 'Dangote Ibeju', ...payload },
    });
  const putStatus = (id: string, payload: object, headers: Record<string, string> = dispatcher) =>
    app.inject({ method: 'PUT', url: `/api/v1/trips/${id}/status`, headers, payload });

  describe('who may call what', () => {
    const NO_TOKEN = 'no token';
    type Caller = Role | typeof NO_TOKEN;
    const headersOf = (caller: Caller): Record<string, string> => (caller === NO_TOKEN ? {} : auth(caller));
    const matrix: [string, Caller, number][] = [];
    const expected: Record<string, Record<Caller, number>> = {
      'POST /api/v1/trips': { 'no token': 401, viewer: 403, dispatcher: 201, admin: 201 },
      'GET /api/v1/trips': { 'no token': 401, viewer: 200, dispatcher: 200, admin: 200 },
      'GET /api/v1/trips/:id': { 'no token': 401, viewer: 200, dispatcher: 200, admin: 200 },
      'PUT /api/v1/trips/:id/status': { 'no token': 401, viewer: 403, dispatcher: 200, admin: 200 },
      'GET /api/v1/trips/:id/tracking': { 'no token': 401, viewer: 200, dispatcher: 200, admin: 200 },
    };
    for (const [route, byCaller] of Object.entries(expected)) {
      for (const [caller, status] of Object.entries(byCaller)) matrix.push([route, caller as Caller, status]);
    }

    it.each(matrix)('%s as %s answers %i', async (route, caller, status) => {
      // Each case gets its own planned trip, so a cancel in one cannot change another's answer.
      const trip = (await create()).json();
      const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT', string];
      const url = path.replace(':id', trip.trip_number);
      const res = await app.inject({
        method,
        url,
        headers: headersOf(caller),
        ...(method === 'POST' ? { payload: { origin: 'Apapa Port', destination: 'Dangote Ibeju' } } : {}),
        ...(method === 'PUT' ? { payload: { status: 'cancelled', note: 'rbac check' } } : {}),
      });
      expect(res.statusCode).toBe(status);
      if (status === 403) {
        expect(res.json().error.message).toMatch(/^Only a dispatcher or admin can .+; you are a viewer\.$/);
      }
    });

    it('documents every route with the least role the matrix allows', () => {
      const documented = TRIP_ROUTE_DOCS.map((d) => [`${d.method} ${d.path.replace('{id}', ':id')}`, d.role]);
      const least = Object.entries(expected).map(([route, byCaller]) => [
        route,
        (['viewer', 'dispatcher', 'admin'] as const).find((r) => byCaller[r] < 300),
      ]);
      expect(documented).toEqual(least);
    });
  });

  it('creates a trip with 201 and a Location that reads it back', async () => {
    const res = await create({
      truck: 'KJA-001AA',
      client: 'Dangote Cement',
      cargo: '600 bags',
      planned_start_at: '2025-03-01T06:30:00+01:00',
      eta: '2025-03-01T15:00:00+01:00',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/trips/${body.trip_number}`);
    expect(body).toMatchObject({
      trip_number: expect.stringMatching(/^TRP-\d{6}$/),
      status: 'planned',
      status_label: 'planned',
      next_statuses: ['dispatched', 'cancelled'],
      truck: { id: truckIds[0], truck_number: 'KJA-001AA' },
      origin: { name: 'Apapa Port' },
      destination: { name: 'Dangote Ibeju' },
      client: 'Dangote Cement',
      cargo: '600 bags',
      planned_start_at: '2025-03-01T05:30:00.000Z',
      eta: '2025-03-01T14:00:00.000Z',
      dispatched_at: null,
      version: 1,
      created_by: 'api:dispatcher',
    });
    const read = await app.inject({ url: res.headers.location as string, headers: viewer });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
  });

  it.each([
    [{ origin: 42 }, "origin: expected the origin geofence's name or id"],
    [{ planned_start_at: 'tomorrow' }, 'planned_start_at: expected an ISO 8601 time with a zone'],
    [{ eta: '2025-03-01T10:00:00' }, 'eta: expected an ISO 8601 time with a zone'],
    [{ client: 'x'.repeat(201) }, 'client: at most 200 characters'],
    [{ driver: 'Ade' }, 'unknown field driver'],
  ])('refuses to create %j with 400 naming the field', async (payload, message) => {
    const res = await create(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('WT_VALIDATION');
    expect(res.json().error.message).toContain(message);
  });

  it('answers 404 naming the field when the origin does not exist, and 409 when the truck is busy', async () => {
    const missing = await create({ origin: 'Tin Can' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('origin: no geofence "Tin Can"');
    const busy = await create({ truck: 'KJA-001AA' });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error).toMatchObject({ code: 'WT_TRUCK_BUSY' });
    expect(busy.json().error.message).toMatch(/^KJA-001AA is already on TRP-\d{6} \(planned\)/);
  });

  it('moves a trip through PUT /status, refusing skips, stale versions and bad bodies with reasons', async () => {
    const trip = (await create({ truck: 'KJA-002AA' })).json();
    const dispatched = await putStatus(trip.trip_number, { status: 'dispatched', version: 1 });
    expect(dispatched.statusCode).toBe(200);
    expect(dispatched.json()).toMatchObject({
      status: 'dispatched',
      version: 2,
      next_statuses: ['at_pickup', 'cancelled'],
    });

    const skip = await putStatus(trip.id, { status: 'delivered' });
    expect(skip.statusCode).toBe(409);
    expect(skip.json().error).toEqual({
      code: 'WT_TRIP_TRANSITION',
      message: `${trip.trip_number} can't move to delivered. A trip that is dispatched can move to: at pickup, or cancelled.`,
    });

    const stale = await putStatus(trip.id, { status: 'at_pickup', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('WT_VERSION_CONFLICT');

    for (const [payload, message] of [
      [{ status: 'lost' }, 'status: expected one of planned, dispatched'],
      [{ status: 'cancelled' }, 'note: say why the trip is cancelled'],
      [{ status: 'at_pickup', version: 'two' }, 'version: expected the version you last read'],
    ] as const) {
      const res = await putStatus(trip.id, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(message);
    }

    const cancelled = await putStatus(trip.id, { status: 'cancelled', note: 'client postponed', version: 2 });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      cancel_reason: 'client postponed',
      version: 3,
    });
    const [event] = await testDb.sql`
      select type, actor from events where entity_id = ${trip.id} order by id desc limit 1`;
    expect(event).toEqual({ type: 'trip.cancelled', actor: 'api:dispatcher' });
  });

  it('answers 404 for a trip that does not exist', async () => {
    const res = await app.inject({ url: '/api/v1/trips/TRP-999999', headers: viewer });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('WT_TRIP_NOT_FOUND');
  });

  it('lists with query filters and refuses a bad one naming the field', async () => {
    const active = await app.inject({
      url: '/api/v1/trips?status=planned,dispatched&active=true&truck=KJA-001AA&limit=5',
      headers: viewer,
    });
    expect(active.statusCode).toBe(200);
    const trips = active.json().trips as { truck: { truck_number: string }; status: string }[];
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ truck: { truck_number: 'KJA-001AA' }, status: 'planned' });

    const bad = await app.inject({ url: '/api/v1/trips?date=01-03-2025', headers: viewer });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('Invalid trip filter: date: expected a Lagos day as YYYY-MM-DD');
  });

  describe('tracking', () => {
    it("returns the truck's fixes since dispatch as a LineString in fix-time order, with the stages", async () => {
      const trip = (await create({ truck: 'KJA-003AA' })).json();
      await putStatus(trip.id, { status: 'dispatched' });
      await testDb.sql`update trips set dispatched_at = now() - interval '1 hour' where id = ${trip.id}`;
      const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
      const fixes: [number, number, number][] = [
        [120, 3.3, 6.4], // before dispatch: not part of the trip
        [30, 3.38, 6.46],
        [50, 3.36, 6.45],
        [40, 3.37, 6.455],
        [-60, 3.5, 6.5], // a clock ahead of now: not yet
      ];
      for (const [m, lng, lat] of fixes) {
        await testDb.sql`
          insert into vehicle_positions (truck_id, fix_time, location)
          values (${truckIds[2]!}, ${minutesAgo(m)}, st_setsrid(st_makepoint(${lng}, ${lat}), 4326)::geography)`;
      }
      const res = await app.inject({ url: `/api/v1/trips/${trip.trip_number}/tracking`, headers: viewer });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.path).toEqual({
        type: 'LineString',
        coordinates: [
          [3.36, 6.45],
          [3.37, 6.455],
          [3.38, 6.46],
        ],
      });
      expect(body.fix_times).toHaveLength(3);
      expect(body).toMatchObject({
        trip: { trip_number: trip.trip_number, status: 'dispatched', truck: { truck_number: 'KJA-003AA' } },
        total_points: 3,
        stages: { planned: trip.created_at, at_pickup: null, completed: null },
      });
      expect(Date.parse(body.stages.dispatched)).toBe(Date.parse(body.from));
    });

    it('draws no line for a trip whose truck has sent nothing', async () => {
      const trip = (await create()).json();
      const res = await app.inject({ url: `/api/v1/trips/${trip.id}/tracking`, headers: viewer });
      expect(res.json()).toMatchObject({ path: null, fix_times: [], total_points: 0 });
    });

    it('thins a long track evenly, keeping the first and the last fix', async () => {
      const [truck] = await testDb.sql`insert into trucks (truck_number) values ('THIN-1') returning id`;
      const t0 = Date.parse('2025-01-10T08:00:00Z');
      await testDb.sql`
        insert into vehicle_positions (truck_id, fix_time, location)
        select ${truck!.id}, ${new Date(t0)}::timestamptz + make_interval(secs => i),
               st_setsrid(st_makepoint(3 + i / 1000.0, 6.5), 4326)::geography
        from generate_series(0, 100) as i`;
      const path = await tripPath(testDb.sql, truck!.id, new Date(t0), new Date(t0 + 3_600_000), 5);
      expect(path.total).toBe(101);
      expect(path.points.map((p) => (p.fixTime.getTime() - t0) / 1000)).toEqual([0, 25, 50, 75, 100]);
      const all = await tripPath(testDb.sql, truck!.id, new Date(t0), new Date(t0 + 3_600_000), 500);
      expect(all.points).toHaveLength(101);
    });
  });
});
