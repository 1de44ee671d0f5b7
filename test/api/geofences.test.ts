import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import { geofenceRoutes } from '../../src/api/routes/geofences.ts';
import { truckRoutes } from '../../src/api/routes/trucks.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const SECRET = 'geofence-tests-secret-0123456789abcdef';

// insertEvents currently stores payloads as a JSON string inside jsonb (reported to the lead); read both.
const payloadOf = (p: unknown) => (typeof p === 'string' ? JSON.parse(p) : p);
const auth = (sub: string, role: 'viewer' | 'dispatcher' | 'admin') => ({
  authorization: `Bearer ${signToken(SECRET, { sub, role })}`,
});
const dispatcher = auth('ada', 'dispatcher');
const viewer = auth('vic', 'viewer');

// Apapa port area, Lagos.
const APAPA_POLYGON = {
  type: 'Polygon',
  coordinates: [
    [
      [3.36, 6.44],
      [3.38, 6.44],
      [3.38, 6.46],
      [3.36, 6.46],
      [3.36, 6.44],
    ],
  ],
};
const GATE_CIRCLE = { center: { lat: 6.5244, lng: 3.3792 }, radius_m: 250 };
const EXPRESSWAY = {
  type: 'LineString',
  coordinates: [
    [3.35, 6.5],
    [3.4, 6.55],
    [3.45, 6.6],
  ],
  width_m: 120,
};

describe('geofence REST API', () => {
  let testDb: TestDb;
  let app: FastifyInstance;

  beforeAll(async () => {
    testDb = await createTestDb();
    const db: Db = { sql: testDb.sql, embedded: false, ping: async () => {}, close: async () => {} };
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [
        apiAuth({ jwtSecret: SECRET }),
        geofenceRoutes({ sql: testDb.sql }),
        truckRoutes({ sql: testDb.sql }),
      ],
    });
  });

  afterAll(async () => {
    await app.close();
    await testDb.drop();
  });

  const create = (payload: unknown, headers = dispatcher) =>
    app.inject({ method: 'POST', url: '/api/v1/geofences', headers, payload: payload as object });

  it.each([
    ['a polygon', 'Apapa Port', 'terminal', APAPA_POLYGON],
    ['a circle', 'Dangote Gate', 'client', GATE_CIRCLE],
    ['a corridor', 'Lagos-Ibadan Expressway', 'corridor', EXPRESSWAY],
  ])(
    'creates %s and gives the boundary back in the form it was sent',
    async (_form, name, type, boundary) => {
      const res = await create({ name, type, boundary, min_dwell_s: 120, exit_margin_m: 30 });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(res.headers.location).toBe(`/api/v1/geofences/${body.id}`);
      expect(body).toMatchObject({ name, type, boundary, min_dwell_s: 120, exit_margin_m: 30, version: 1 });

      const read = await app.inject({ url: res.headers.location as string, headers: viewer });
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual(body);
    },
  );

  it('stores each form as the geometry the watcher and PostGIS expect', async () => {
    const rows = await testDb.sql`
      select name, shape, st_geometrytype(geom) as g, st_srid(geom) as srid, radius_m, width_m
      from geofences where name in ('Apapa Port', 'Dangote Gate', 'Lagos-Ibadan Expressway') order by name`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { name: 'Apapa Port', shape: 'polygon', g: 'ST_Polygon', srid: 4326, radius_m: null, width_m: null },
      { name: 'Dangote Gate', shape: 'circle', g: 'ST_Point', srid: 4326, radius_m: 250, width_m: null },
      {
        name: 'Lagos-Ibadan Expressway',
        shape: 'corridor',
        g: 'ST_LineString',
        srid: 4326,
        radius_m: null,
        width_m: 120,
      },
    ]);
  });

  it('writes geofence.created with the actor and request id in the same transaction as the row', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/geofences',
      headers: { ...dispatcher, 'x-request-id': 'req-create-1' },
      payload: {
        name: 'Tin Can Island',
        type: 'terminal',
        boundary: { center: { lat: 6.44, lng: 3.34 }, radius_m: 400 },
      },
    });
    const id = res.json().id as string;
    const [event] = await testDb.sql`
      select type, actor, correlation_id, payload, xmin::text as tx from events where entity_id = ${id}`;
    const [row] = await testDb.sql`select xmin::text as tx from geofences where id = ${id}`;
    expect({ ...event, payload: payloadOf(event!.payload) }).toMatchObject({
      type: 'geofence.created',
      actor: 'api:ada',
      correlation_id: 'req-create-1',
      payload: { name: 'Tin Can Island', type: 'terminal', shape: 'circle', version: 1 },
    });
    // Rows written by one transaction carry its id in xmin.
    expect(event!.tx).toBe(row!.tx);
  });

  it('lists live geofences by name, optionally of one type', async () => {
    const all = await app.inject({ url: '/api/v1/geofences', headers: viewer });
    const names = all.json().geofences.map((g: { name: string }) => g.name);
    expect(names).toEqual(
      [...names].sort((a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase())),
    );
    expect(names).toContain('Apapa Port');
    const terminals = await app.inject({ url: '/api/v1/geofences?type=terminal', headers: viewer });
    expect(terminals.json().geofences.map((g: { type: string }) => g.type)).toEqual(['terminal', 'terminal']);
    const bad = await app.inject({ url: '/api/v1/geofences?type=port', headers: viewer });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^Invalid geofence filter: type: expected one of terminal/);
  });

  it('finds a geofence by its name in any case', async () => {
    const res = await app.inject({ url: '/api/v1/geofences/apapa%20port', headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('Apapa Port');
  });

  it('updates the fields sent, bumps the version and records what changed', async () => {
    const made = (await create({ name: 'Ikeja Depot', type: 'depot', boundary: GATE_CIRCLE })).json();
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/geofences/${made.id}`,
      headers: { ...dispatcher, 'x-request-id': 'req-put-1' },
      payload: { name: 'Ikeja Main Depot', boundary: APAPA_POLYGON, version: 1 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Ikeja Main Depot',
      type: 'depot',
      boundary: APAPA_POLYGON,
      version: 2,
    });
    const events = await testDb.sql`
      select type, payload, correlation_id from events where entity_id = ${made.id} order by id`;
    expect(events.map((e) => e.type)).toEqual(['geofence.created', 'geofence.updated']);
    expect({ ...events[1], payload: payloadOf(events[1]!.payload) }).toMatchObject({
      correlation_id: 'req-put-1',
      payload: { changed: ['name', 'boundary'], previous_name: 'Ikeja Depot', version: 2 },
    });
  });

  it('refuses an update against a stale version with 409, changing nothing', async () => {
    const made = (await create({ name: 'Agbara Yard', type: 'depot', boundary: GATE_CIRCLE })).json();
    const put = (payload: object) =>
      app.inject({ method: 'PUT', url: `/api/v1/geofences/${made.id}`, headers: dispatcher, payload });
    expect((await put({ min_dwell_s: 60, version: 1 })).statusCode).toBe(200);
    const stale = await put({ min_dwell_s: 90, version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('WT_VERSION_CONFLICT');
    const [row] = await testDb.sql`select min_dwell_s, version from geofences where id = ${made.id}`;
    expect(row).toMatchObject({ min_dwell_s: 60, version: 2 });
  });

  it('writes nothing when an update sends the values already stored', async () => {
    const made = (
      await create({ name: 'Ojota Checkpoint', type: 'checkpoint', boundary: GATE_CIRCLE })
    ).json();
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/geofences/${made.id}`,
      headers: dispatcher,
      payload: { name: 'Ojota Checkpoint', boundary: GATE_CIRCLE },
    });
    expect(res.json().version).toBe(1);
    const [{ n }] =
      (await testDb.sql`select count(*)::int as n from events where entity_id = ${made.id}`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(1);
  });

  it.each([
    [{ type: 'terminal', boundary: GATE_CIRCLE }, 'name: expected text'],
    [{ name: '  ', type: 'terminal', boundary: GATE_CIRCLE }, 'name: must not be empty'],
    [
      { name: 'X', type: 'port', boundary: GATE_CIRCLE },
      'type: expected one of terminal, client, checkpoint',
    ],
    [{ name: 'X', type: 'client' }, 'boundary: expected a GeoJSON Polygon'],
    [
      { name: 'X', type: 'client', boundary: { center: { lat: 6.5, lng: 3.3 }, radius_m: 0 } },
      'boundary.radius_m: must be from 1',
    ],
    [
      { name: 'X', type: 'client', boundary: { center: { lat: 96, lng: 3.3 }, radius_m: 10 } },
      'boundary.center.lat: must be in [-90, 90]',
    ],
    [
      { name: 'X', type: 'corridor', boundary: { type: 'LineString', coordinates: EXPRESSWAY.coordinates } },
      'boundary.width_m: a LineString boundary needs width_m',
    ],
    [
      {
        name: 'X',
        type: 'client',
        boundary: {
          type: 'Polygon',
          coordinates: [
            [
              [3.3, 6.4],
              [3.4, 6.4],
              [3.4, 6.5],
              [3.3, 6.5],
            ],
          ],
        },
      },
      'boundary.coordinates[0]: each ring must end where it starts',
    ],
    [
      { name: 'X', type: 'client', boundary: GATE_CIRCLE, min_dwell_s: 1.5 },
      'min_dwell_s: expected a whole number of seconds',
    ],
    [{ name: 'X', type: 'client', boundary: GATE_CIRCLE, min_dwel_s: 60 }, 'unknown field min_dwel_s'],
  ])('refuses %j with 400 naming the field', async (payload, message) => {
    const res = await create(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('WT_VALIDATION');
    expect(res.json().error.message).toContain(message);
  });

  it('refuses a polygon whose edges cross, saying why', async () => {
    const bowtie = {
      type: 'Polygon',
      coordinates: [
        // Lopsided so its signed area is not zero (a symmetric bowtie is refused earlier, as flat).
        [
          [3.3, 6.4],
          [3.5, 6.5],
          [3.5, 6.4],
          [3.3, 6.45],
          [3.3, 6.4],
        ],
      ],
    };
    const res = await create({ name: 'Bowtie', type: 'client', boundary: bowtie });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(
      /^Invalid geofence: boundary: not a valid polygon \(Self-intersection/,
    );
  });

  it('refuses a second live geofence with the same name in another case with 409', async () => {
    const res = await create({ name: 'APAPA PORT', type: 'terminal', boundary: GATE_CIRCLE });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: 'WT_CONFLICT',
      message: 'A geofence named "APAPA PORT" already exists: pick another name or change that one.',
    });
  });

  it('refuses a viewer who tries to create, writing neither row nor event', async () => {
    const res = await create({ name: 'Viewer Fence', type: 'client', boundary: GATE_CIRCLE }, viewer);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toBe(
      'Only a dispatcher or admin can create geofences; you are a viewer.',
    );
    const rows = await testDb.sql`select 1 from geofences where name = 'Viewer Fence'`;
    expect(rows).toHaveLength(0);
  });

  it('deletes by deactivating, after which the name can be used again', async () => {
    const made = (await create({ name: 'Mile 2 Park', type: 'depot', boundary: GATE_CIRCLE })).json();
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/geofences/${made.id}`,
      headers: dispatcher,
    });
    expect(del.statusCode).toBe(204);
    expect((await app.inject({ url: `/api/v1/geofences/${made.id}`, headers: viewer })).statusCode).toBe(404);
    const again = await app.inject({
      method: 'DELETE',
      url: `/api/v1/geofences/${made.id}`,
      headers: dispatcher,
    });
    expect(again.json().error.code).toBe('WT_GEOFENCE_NOT_FOUND');
    const [row] = await testDb.sql`select active, version from geofences where id = ${made.id}`;
    expect(row).toEqual({ active: false, version: 2 });
    const [event] =
      await testDb.sql`select type from events where entity_id = ${made.id} order by id desc limit 1`;
    expect(event!.type).toBe('geofence.deleted');

    const reused = await create({ name: 'Mile 2 Park', type: 'depot', boundary: GATE_CIRCLE });
    expect(reused.statusCode).toBe(201);
  });

  it('refuses to delete a geofence that open trips start or end at', async () => {
    const origin = (await create({ name: 'Trip Origin', type: 'terminal', boundary: GATE_CIRCLE })).json();
    const dest = (await create({ name: 'Trip Destination', type: 'client', boundary: GATE_CIRCLE })).json();
    const [trip] = await testDb.sql`
      insert into trips (origin_geofence_id, destination_geofence_id, created_by, updated_by)
      values (${origin.id}, ${dest.id}, 'test', 'test') returning trip_number`;
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/geofences/${dest.id}`,
      headers: dispatcher,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain(trip!.trip_number as string);
    const [row] = await testDb.sql`select active from geofences where id = ${dest.id}`;
    expect(row!.active).toBe(true);
  });

  it('answers 404 for an unknown id or name', async () => {
    for (const key of ['00000000-0000-4000-8000-000000000000', 'Nowhere%20Yard']) {
      const res = await app.inject({ url: `/api/v1/geofences/${key}`, headers: viewer });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('WT_GEOFENCE_NOT_FOUND');
    }
  });

  it('lists the trucks inside from open presence rows, earliest arrival first, with their last fix', async () => {
    const fence = (await create({ name: 'Presence Yard', type: 'terminal', boundary: APAPA_POLYGON })).json();
    const trucks = await testDb.sql`
      insert into trucks (truck_number, last_location, last_fix_at) values
        ('KJA-100AA', st_setsrid(st_makepoint(3.37, 6.45), 4326)::geography, '2025-01-10T09:00:00Z'),
        ('KJA-200BB', null, null),
        ('KJA-300CC', null, null)
      returning id, truck_number`;
    const id = (n: string) => trucks.find((t) => t.truck_number === n)!.id as string;
    await testDb.sql`
      insert into geofence_presence (truck_id, geofence_id, entered_at, exited_at) values
        (${id('KJA-100AA')}, ${fence.id}, '2025-01-10T08:00:00Z', null),
        (${id('KJA-200BB')}, ${fence.id}, '2025-01-10T07:00:00Z', null),
        (${id('KJA-300CC')}, ${fence.id}, '2025-01-10T06:00:00Z', '2025-01-10T06:30:00Z')`;
    const res = await app.inject({ url: `/api/v1/geofences/${fence.id}/trucks`, headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      geofence: { id: fence.id, name: 'Presence Yard' },
      trucks: [
        {
          id: id('KJA-200BB'),
          truck_number: 'KJA-200BB',
          entered_at: '2025-01-10T07:00:00.000Z',
          last_fix_at: null,
          location: null,
        },
        {
          id: id('KJA-100AA'),
          truck_number: 'KJA-100AA',
          entered_at: '2025-01-10T08:00:00.000Z',
          last_fix_at: '2025-01-10T09:00:00.000Z',
          location: { lat: 6.45, lng: 3.37 },
        },
      ],
    });
  });

  it('asks for a token before anything else', async () => {
    expect((await app.inject('/api/v1/geofences')).statusCode).toBe(401);
  });
});
