import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import { geofenceRoutes } from '../../src/api/routes/geofences.ts';
import { truckRoutes } from '../../src/api/routes/trucks.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { closeTruckNumbers, levenshtein } from '../../src/fleet/trucks.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const SECRET = 'truck-tests-secret-0123456789abcdefghij';
const auth = (sub: string, role: 'viewer' | 'dispatcher' | 'admin') => ({
  authorization: `Bearer ${signToken(SECRET, { sub, role })}`,
});
const dispatcher = auth('ada', 'dispatcher');
const viewer = auth('vic', 'viewer');

// insertEvents currently stores payloads as a JSON string inside jsonb (reported to the lead); read both.
const payloadOf = (p: unknown) => (typeof p === 'string' ? JSON.parse(p) : p);

describe('truck REST API', () => {
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
    app.inject({ method: 'POST', url: '/api/v1/trucks', headers, payload: payload as object });

  it('creates a truck under its normalised number and records truck.created in the same transaction', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/trucks',
      headers: { ...dispatcher, 'x-request-id': 'req-truck-1' },
      payload: {
        truck_number: ' kja 123xy ',
        imei: '0356938035643809',
        company: 'Lagos Haulage',
        brand: 'MAN',
      },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/trucks/${body.id}`);
    expect(body).toMatchObject({
      truck_number: 'KJA123XY',
      imei: '0356938035643809',
      company: 'Lagos Haulage',
      brand: 'MAN',
      fleet_manager: null,
      status: 'active',
    });
    const [event] = await testDb.sql`
      select type, actor, correlation_id, payload, xmin::text as tx from events where entity_id = ${body.id}`;
    const [row] = await testDb.sql`select xmin::text as tx from trucks where id = ${body.id}`;
    expect({ ...event, payload: payloadOf(event!.payload) }).toMatchObject({
      type: 'truck.created',
      actor: 'api:ada',
      correlation_id: 'req-truck-1',
      payload: { truck_number: 'KJA123XY', imei: '0356938035643809', status: 'active' },
    });
    expect(event!.tx).toBe(row!.tx);
  });

  it('gets a truck by number in any spacing or case, and by uuid', async () => {
    const made = (await create({ truck_number: 'KJA-456ZZ' })).json();
    for (const key of ['KJA-456ZZ', 'kja-456zz', 'kja%20-456zz', made.id]) {
      const res = await app.inject({ url: `/api/v1/trucks/${key}`, headers: viewer });
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(made.id);
    }
  });

  it('answers 404 for an unknown truck, suggesting close numbers', async () => {
    await create({ truck_number: 'LND-789AB' });
    const res = await app.inject({ url: '/api/v1/trucks/LND-798AB', headers: viewer });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({
      code: 'WT_TRUCK_NOT_FOUND',
      message: 'No truck LND-798AB. Did you mean LND-789AB?',
    });
    const sameDigits = await app.inject({ url: '/api/v1/trucks/ABC%20789', headers: viewer });
    expect(sameDigits.json().error.message).toBe('No truck ABC789. Did you mean LND-789AB?');
    const far = await app.inject({ url: '/api/v1/trucks/ZZZZZZZZZZZZ', headers: viewer });
    expect(far.json().error.message).toBe('No truck ZZZZZZZZZZZZ. Check the number.');
  });

  it('refuses a duplicate number or IMEI with 409', async () => {
    await create({ truck_number: 'EPE-111AA', imei: '123456789012345' });
    const dupNumber = await create({ truck_number: 'epe-111aa ' });
    expect(dupNumber.statusCode).toBe(409);
    expect(dupNumber.json().error.message).toBe('Truck EPE-111AA already exists.');
    const dupImei = await create({ truck_number: 'EPE-222BB', imei: '123456789012345' });
    expect(dupImei.statusCode).toBe(409);
    expect(dupImei.json().error.message).toMatch(/^IMEI 123456789012345 is already on another truck/);
  });

  it.each([
    [{}, 'truck_number: expected the plate as text'],
    [{ truck_number: 'K' }, 'truck_number: expected 2 to 20 letters'],
    [{ truck_number: 'KJA-1', imei: 356938035643809 }, 'imei: send the IMEI as a string'],
    [{ truck_number: 'KJA-1', imei: '35693x' }, 'imei: expected 8 to 20 digits'],
    [{ truck_number: 'KJA-1', status: 'parked' }, 'status: expected one of active, inactive'],
    [{ truck_number: 'KJA-1', colour: 'red' }, 'unknown field colour'],
  ])('refuses %j with 400 naming the field', async (payload, message) => {
    const res = await create(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('WT_VALIDATION');
    expect(res.json().error.message).toContain(message);
  });

  it('refuses a viewer who tries to add a truck', async () => {
    const res = await create({ truck_number: 'VIEW-1' }, viewer);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toBe('Only a dispatcher or admin can add trucks; you are a viewer.');
  });

  it('lists trucks by number, filtered by status and paged', async () => {
    await create({ truck_number: 'MNT-001', status: 'maintenance' });
    await create({ truck_number: 'MNT-002', status: 'maintenance' });
    await create({ truck_number: 'MNT-003', status: 'maintenance' });
    const page = await app.inject({
      url: '/api/v1/trucks?status=maintenance&limit=2&offset=1',
      headers: viewer,
    });
    expect(page.statusCode).toBe(200);
    expect(page.json().trucks.map((t: { truck_number: string }) => t.truck_number)).toEqual([
      'MNT-002',
      'MNT-003',
    ]);
    const bad = await app.inject({ url: '/api/v1/trucks?limit=5000', headers: viewer });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe(
      'Invalid truck filter: limit: expected a whole number from 1 to 500',
    );
  });

  it('gives the last known location, or nulls before the first fix', async () => {
    const made = (await create({ truck_number: 'LOC-501' })).json();
    const before = await app.inject({ url: '/api/v1/trucks/LOC-501/location', headers: viewer });
    expect(before.json()).toEqual({
      truck: { id: made.id, truck_number: 'LOC-501' },
      location: null,
      last_fix_at: null,
      speed_kmh: null,
      heading_deg: null,
      ignition: null,
    });
    await testDb.sql`
      update trucks set last_location = st_setsrid(st_makepoint(3.3792, 6.5244), 4326)::geography,
        last_fix_at = '2025-01-10T08:15:00Z', last_speed_kmh = 42.5, last_heading_deg = 90, last_ignition = true
      where id = ${made.id}`;
    const after = await app.inject({ url: `/api/v1/trucks/${made.id}/location`, headers: viewer });
    expect(after.json()).toEqual({
      truck: { id: made.id, truck_number: 'LOC-501' },
      location: { lat: 6.5244, lng: 3.3792 },
      last_fix_at: '2025-01-10T08:15:00.000Z',
      speed_kmh: 42.5,
      heading_deg: 90,
      ignition: true,
    });
    const unknown = await app.inject({ url: '/api/v1/trucks/LOC-502/location', headers: viewer });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toBe('No truck LOC-502. Did you mean LOC-501?');
  });

  it('asks for a token before anything else', async () => {
    expect((await app.inject('/api/v1/trucks')).statusCode).toBe(401);
  });
});

describe('close truck numbers', () => {
  it('counts edits between numbers', () => {
    expect(levenshtein('KJA123XY', 'KJA123XY')).toBe(0);
    expect(levenshtein('KJA123XY', 'KJA-123XY')).toBe(1);
    expect(levenshtein('KJA123XY', 'KJA132XY')).toBe(2);
    expect(levenshtein('', 'ABC')).toBe(3);
  });

  it('suggests numbers within two edits or with the same digits, nearest first, at most three', () => {
    const fleet = ['KJA-123XY', 'KJA-124XY', 'LND-123AB', 'EPE-999ZZ', 'KJA-125XY', 'KJA-126XY'];
    expect(closeTruckNumbers('kja 123xy', fleet)).toEqual(['KJA-123XY', 'KJA-124XY', 'KJA-125XY']);
    expect(closeTruckNumbers('XYZ 123', fleet)).toEqual(['KJA-123XY', 'LND-123AB']);
    expect(closeTruckNumbers('ABC-000', fleet)).toEqual([]);
  });
});
