import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { signToken } from '../../src/api/auth.ts';
import type { RouteDoc } from '../../src/api/route-docs.ts';
import { AI_ROUTE_DOCS } from '../../src/api/routes/ai.ts';
import { ANALYTICS_ROUTE_DOCS } from '../../src/api/routes/analytics.ts';
import { GEOFENCE_ROUTE_DOCS } from '../../src/api/routes/geofences.ts';
import { ROLE_ROUTE_DOCS } from '../../src/api/routes/roles.ts';
import { TRIP_ROUTE_DOCS } from '../../src/api/routes/trips.ts';
import { TRUCK_ROUTE_DOCS } from '../../src/api/routes/trucks.ts';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { GEOFENCE_TYPES } from '../../src/db/geofences.ts';
import { TRUCK_STATUSES } from '../../src/db/trucks.ts';
import { TRIP_STATUSES } from '../../src/domain/trip-state.ts';
import { systemActor } from '../../src/fleet/actor.ts';
import { createTrip } from '../../src/fleet/trips.ts';
import { UNSTORABLE_TEXT } from '../../src/fleet/validation.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { seedLagos } from '../tools/seed.ts';
import { type CapturedLog, captureLog, INJECTIONS, nastyJson, nastyString, runs } from './inputs.ts';

// Every REST route, driven by the same RouteDocs the OpenAPI document is built from: each path, query and
// body field gets a value that is right for it, or an injection payload, or any string or JSON at all. The
// answer is a success or 400/404/409 with {error: {code, message}}, never a 500. Afterwards the tables are
// intact (counts as before plus what the 201s created), and what was stored is what was sent (trimmed):
// an injection payload in a company name is a company name.

const SECRET = 'rest-fuzz-secret-0123456789abcdefghijkl';
const ADMIN = { authorization: `Bearer ${signToken(SECRET, { sub: 'fuzz', role: 'admin' })}` };
const SUCCESS = [200, 201, 204];
const REFUSALS = [400, 404, 409];

const ROUTES: RouteDoc[] = [
  ...TRUCK_ROUTE_DOCS,
  ...GEOFENCE_ROUTE_DOCS,
  ...TRIP_ROUTE_DOCS,
  ...ANALYTICS_ROUTE_DOCS,
  ...ROLE_ROUTE_DOCS,
  ...AI_ROUTE_DOCS,
];

interface Fields {
  all: string[];
  required: string[];
}

/** The top-level fields a schema takes, as its OpenAPI document lists them. */
function fieldsOf(schema: z.ZodType | undefined): Fields {
  if (!schema) return { all: [], required: [] };
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return { all: Object.keys(json.properties ?? {}), required: json.required ?? [] };
}

/** Injection payloads a text field must store as they are: storable, and short enough for any field. */
const VALID_INJECTIONS = INJECTIONS.filter(
  (s) => !UNSTORABLE_TEXT.test(s) && s.trim() !== '' && s.length <= 40,
);

/** Percent-encodes UTF-8 bytes, so a lone surrogate becomes U+FFFD instead of throwing as encodeURIComponent does. */
const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

const day = fc
  .integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 11, 31) })
  .map((ms) => new Date(ms).toISOString().slice(0, 10));
const instant = fc
  .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 11, 31) })
  .map((ms) => new Date(ms).toISOString().replace('Z', '+01:00'));
const lagosLat = fc.double({ min: 6.3, max: 6.7, noNaN: true });
const lagosLng = fc.double({ min: 3.1, max: 3.6, noNaN: true });
const point = fc.tuple(lagosLng, lagosLat);
const boundary = fc.oneof(
  fc.record({
    center: fc.record({ lat: lagosLat, lng: lagosLng }),
    radius_m: fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.double({ min: 0.001, max: 1e6, noNaN: true })),
  }),
  // Any ring of points, closed: self-intersecting and degenerate ones included, for PostGIS to judge.
  fc
    .array(point, { minLength: 3, maxLength: 7 })
    .map((ring) => ({ type: 'Polygon', coordinates: [[...ring, ring[0]]] })),
  fc.record({
    type: fc.constant('LineString'),
    coordinates: fc.array(point, { minLength: 2, maxLength: 5 }),
    width_m: fc.integer({ min: 1, max: 500 }),
  }),
);

describe('every REST route under fuzzing', () => {
  let db: TestDb;
  let wt: WatchTower;
  let log: CapturedLog;
  let ids: string[] = [];
  let trucks: string[] = [];
  let places: string[] = [];
  const tablesBefore = new Map<string, number>();
  const created = { trucks: 0, geofences: 0, trips: 0 };
  const answered = { success: 0, refused: 0 };

  beforeAll(async () => {
    db = await createTestDb();
    log = captureLog();
    const seeded = await seedLagos(db.sql);
    trucks = Object.keys(seeded.trucks);
    places = Object.keys(seeded.geofences);
    const trips = [];
    for (const [i, [origin, destination]] of [places.slice(0, 2), places.slice(2, 4)].entries()) {
      trips.push(
        await createTrip(db.sql, systemActor('fuzz-seed'), { origin, destination, truck: trucks[i] }),
      );
    }
    ids = [
      ...trucks,
      ...Object.values(seeded.trucks),
      ...places,
      ...Object.values(seeded.geofences),
      ...trips.flatMap((t) => [t.id, t.tripNumber, String(Number(t.tripNumber.slice(4)))]),
      'U0FUZZ01',
      'W12345',
      '00000000-0000-0000-0000-000000000000',
    ];
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      PORT: '0',
      JWT_SECRET: SECRET,
      WATCHTOWER_ROLES: 'api',
      WATCHTOWER_SIMULATOR: 'off',
      API_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    wt = await startWatchTower(config, { logger: log.logger, busPrefix: uniquePrefix() });
    for (const table of await userTables()) tablesBefore.set(table, await count(table));
  }, 60_000);

  afterAll(async () => {
    await wt?.stop();
    await db?.drop();
  });

  async function userTables(): Promise<string[]> {
    const rows = await db.sql`
      select tablename from pg_tables
      where schemaname = 'public' and tablename not like 'vehicle_positions_%' order by tablename`;
    return rows.map((r) => r.tablename as string);
  }
  async function count(table: string): Promise<number> {
    const [row] = await db.sql`select count(*)::int as n from ${db.sql(table)}`;
    return row!.n as number;
  }

  /** A value for a field that is right for it (for free text: injection payloads and any Unicode). */
  function validFor(route: RouteDoc, field: string): fc.Arbitrary<unknown> {
    const text = fc.oneof(
      fc.constantFrom(...VALID_INJECTIONS),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== ''),
    );
    const valid: Record<string, fc.Arbitrary<unknown>> = {
      id: fc.oneof(fc.constantFrom(...ids), nastyString, fc.uuid()),
      truck_number: fc.oneof(
        fc.integer({ min: 0, max: 999_999 }).map((n) => `FZ-${n}`),
        fc.constantFrom(...trucks),
      ),
      imei: fc.stringMatching(/^\d{15}$/),
      loconav_vehicle_id: text,
      company: text,
      fleet_manager: text,
      brand: text,
      trailer_size: text,
      operating_location: text,
      status: route.path.startsWith('/api/v1/trucks')
        ? fc.constantFrom(...TRUCK_STATUSES)
        : fc.oneof(
            fc.constantFrom(...TRIP_STATUSES),
            fc.subarray([...TRIP_STATUSES], { minLength: 1 }).map((s) => s.join(',')),
          ),
      limit: fc.integer({ min: 1, max: 500 }),
      offset: fc.integer({ min: 0, max: 50 }),
      lat: lagosLat,
      lng: lagosLng,
      radius: fc.integer({ min: 1, max: 50_000 }),
      name: text,
      type: fc.constantFrom(...GEOFENCE_TYPES),
      boundary,
      min_dwell_s: fc.integer({ min: 0, max: 86_400 }),
      exit_margin_m: fc.integer({ min: 0, max: 5_000 }),
      version: fc.integer({ min: 1, max: 4 }),
      origin: fc.constantFrom(...places),
      destination: fc.constantFrom(...places),
      truck: fc.constantFrom(...trucks),
      client: text,
      cargo: text,
      note: text,
      planned_start_at: instant,
      eta: instant,
      date: day,
      from: day,
      to: day,
      active: fc.constantFrom('true', 'false', true, false),
      text: fc.oneof(text, fc.constantFrom('where is KJA-123XY?', 'trucks near Apapa', 'trip TRP-000001')),
      thread_id: fc.stringMatching(/^[\w.:-]{1,20}$/),
      approve: fc.boolean(),
      role: fc.constantFrom('viewer', 'dispatcher', 'admin'),
    };
    return valid[field] ?? text;
  }

  /** A value for a field: right for it most of the time, anything otherwise. */
  const valueFor = (route: RouteDoc, field: string): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: 3, arbitrary: validFor(route, field) },
      { weight: 1, arbitrary: fc.oneof(nastyString, nastyJson) },
    );

  /** A query string value: a scalar as text, or a key repeated. */
  const asQuery = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.map((x) => (typeof x === 'string' ? x : (JSON.stringify(x) ?? '')))
      : [typeof v === 'string' ? v : (JSON.stringify(v) ?? '')];

  /** Fields all right for the route (so it reaches the database), all right but one, or anything. */
  function fieldsArbitrary(route: RouteDoc, fields: Fields): fc.Arbitrary<Record<string, unknown>> {
    const extra = fc.oneof(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 10 }));
    const valid = fc.record(Object.fromEntries(fields.all.map((f) => [f, validFor(route, f)])), {
      requiredKeys: fields.required,
    });
    const mixed = fc
      .tuple(
        fc.record(Object.fromEntries(fields.all.map((f) => [f, valueFor(route, f)])), { requiredKeys: [] }),
        fc.option(fc.tuple(extra, nastyJson), { freq: 4 }),
      )
      .map(([known, extraField]) => (extraField ? { ...known, [extraField[0]]: extraField[1] } : known));
    // All right but one field: the wrong value is the only thing between the request and the database.
    const oneWrong =
      fields.all.length === 0
        ? valid
        : fc
            .tuple(valid, fc.constantFrom(...fields.all), fc.oneof(nastyString, nastyJson))
            .map(([args, field, value]) => ({ ...args, [field]: value }));
    return fc.oneof(valid, oneWrong, mixed);
  }

  const rawPathPieces = ['%ff', '%00', '%2e%2e', '..', '%', '%zz', 'a%2fb', '%c0%af', '%ed%a0%80'];

  function requestFor(route: RouteDoc) {
    const params = fieldsOf(route.params);
    const query = fieldsOf(route.query);
    const body = fieldsOf(route.body);
    const pathArb = fc.record(
      Object.fromEntries(
        params.all.map((p) => [
          p,
          fc.oneof(
            {
              weight: 6,
              arbitrary: valueFor(route, p).map((v) =>
                pct(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
              ),
            },
            { weight: 1, arbitrary: fc.constantFrom(...rawPathPieces) },
          ),
        ]),
      ),
    );
    const bodyArb = route.body
      ? fc.oneof(
          { weight: 8, arbitrary: fieldsArbitrary(route, body).map((b) => JSON.stringify(b)) },
          { weight: 1, arbitrary: nastyJson.map((b) => JSON.stringify(b) ?? 'null') },
          { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        )
      : fc.constant(undefined);
    return fc.record({ path: pathArb, query: fieldsArbitrary(route, query), body: bodyArb }).map((r) => {
      // Empty path segments would route elsewhere (or 404 before reaching the handler): keep one character.
      const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => r.path[name] || '_');
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(r.query)) for (const s of asQuery(v)) search.append(k, s);
      const qs = search.toString();
      return { url: qs ? `${path}?${qs}` : path, body: r.body };
    });
  }

  /** What the 201 sent in a free-text field is what the row holds: trimmed, never rewritten or executed. */
  async function expectStoredVerbatim(route: RouteDoc, sent: string, answer: Record<string, unknown>) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(sent) as Record<string, unknown>;
    } catch {
      return;
    }
    const textFields: Record<string, string[]> = {
      '/api/v1/trucks': [
        'company',
        'fleet_manager',
        'brand',
        'trailer_size',
        'operating_location',
        'loconav_vehicle_id',
      ],
      '/api/v1/geofences': ['name'],
      '/api/v1/trips': ['client', 'cargo'],
    };
    const table = { '/api/v1/trucks': 'trucks', '/api/v1/geofences': 'geofences', '/api/v1/trips': 'trips' }[
      route.path
    ];
    if (!table) return;
    const [row] = await db.sql`select * from ${db.sql(table)} where id = ${answer.id as string}`;
    expect(row, `${table} row ${String(answer.id)}`).toBeDefined();
    for (const field of textFields[route.path] ?? []) {
      const value = body[field];
      if (typeof value !== 'string' || value.trim() === '') continue;
      expect(answer[field], field).toBe(value.trim());
      expect(row![field], `${table}.${field}`).toBe(value.trim());
    }
  }

  describe.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
    it('answers a success or 400/404/409 with {error: {code, message}}, never a 500', async () => {
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (req) => {
          const res = await wt.http!.inject({
            method: route.method,
            url: req.url,
            headers: req.body === undefined ? ADMIN : { ...ADMIN, 'content-type': 'application/json' },
            ...(req.body === undefined ? {} : { payload: req.body }),
          });
          const what = `${route.method} ${req.url} ${req.body ?? ''}`.slice(0, 500);
          expect(
            [...SUCCESS, ...REFUSALS],
            `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`,
          ).toContain(res.statusCode);
          if (res.statusCode >= 400) {
            answered.refused++;
            const { error } = res.json() as { error: { code: unknown; message: unknown } };
            expect(typeof error.code, what).toBe('string');
            expect(typeof error.message, what).toBe('string');
            expect(error.message).not.toContain(SECRET);
            return;
          }
          answered.success++;
          if (res.statusCode === 201) {
            const answer = res.json() as Record<string, unknown>;
            if (route.path === '/api/v1/trucks') created.trucks++;
            if (route.path === '/api/v1/geofences') created.geofences++;
            if (route.path === '/api/v1/trips') created.trips++;
            await expectStoredVerbatim(route, req.body!, answer);
          }
        }),
        // More runs where a request creates something: those reach the most SQL.
        runs(route.method === 'POST' ? 120 : 60),
      );
    });
  });

  it('answers unknown paths and mangled encodings under /api with 400 or 404', async () => {
    const segment = fc.oneof(
      nastyString.map(pct),
      fc.constantFrom(...rawPathPieces),
      fc.constantFrom('trucks', 'trips', 'geofences', 'near', 'status', 'tracking'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        async (segments, method) => {
          const url = `/api/v1/${segments.join('/')}`;
          const res = await wt.http!.inject({ method: method as 'GET', url, headers: ADMIN });
          expect(
            [...SUCCESS, ...REFUSALS],
            `${method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`,
          ).toContain(res.statusCode);
          if (res.statusCode >= 400)
            expect(res.json()).toMatchObject({ error: { code: expect.any(String) } });
        },
      ),
      runs(150),
    );
  });

  it('answers the live routes, asked over plain HTTP with any id, with a 4xx and no crash', async () => {
    const id = fc.oneof(
      valueFor(ROUTES[0]!, 'id').map((v) => pct(typeof v === 'string' ? v : String(v))),
      fc.constantFrom(...rawPathPieces),
    );
    await fc.assert(
      fc.asyncProperty(
        id,
        fc.constantFrom('/ws/trucks/{id}/location', '/ws/trips/{id}/status', '/ws/fleet'),
        async (key, path) => {
          const url = path.replace('{id}', key || '_');
          const res = await wt.http!.inject({ method: 'GET', url, headers: ADMIN });
          expect(
            res.statusCode,
            `${url} → ${res.statusCode} ${res.body.slice(0, 200)}`,
          ).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, `${url} → ${res.statusCode} ${res.body.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      runs(60),
    );
  });

  it('leaves every table in place, with only the rows the accepted requests created', async () => {
    // The runs are meant to get past validation as well as be refused: otherwise they proved little.
    const tally = JSON.stringify({ answered, created });
    expect(answered.success, tally).toBeGreaterThan(100);
    expect(answered.refused, tally).toBeGreaterThan(100);
    expect(created.trucks, tally).toBeGreaterThan(3);
    expect(created.geofences, tally).toBeGreaterThan(3);
    expect(created.trips, tally).toBeGreaterThan(1);

    expect(await userTables()).toEqual([...tablesBefore.keys()]);
    expect(await count('trucks')).toBe(tablesBefore.get('trucks')! + created.trucks);
    expect(await count('geofences')).toBe(tablesBefore.get('geofences')! + created.geofences);
    expect(await count('trips')).toBe(tablesBefore.get('trips')! + created.trips);
    for (const table of ['vehicle_positions', 'geofence_presence', 'alert_routes']) {
      expect(await count(table), table).toBe(tablesBefore.get(table));
    }
    // Nothing the runs sent was run as SQL: no truck was switched off or deleted behind our back.
    const [seeded] =
      await db.sql`select count(*)::int as n from trucks where truck_number = any(${trucks}) and status <> 'inactive'`;
    expect(seeded!.n).toBe(trucks.length);
    expect(log.errors()).toEqual([]);
  });
});
