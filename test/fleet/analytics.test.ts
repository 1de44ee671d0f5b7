import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as db from '../../src/db/analytics.ts';
import type { Sql } from '../../src/db/client.ts';
import { kmDriven as domainKm, movingIntervals as domainMoving } from '../../src/domain/analytics.ts';
import { EARTH_RADIUS_M } from '../../src/domain/geo.ts';
import type { Actor } from '../../src/fleet/actor.ts';
import { dailyReport, tatReport, trucksNear, utilizationReport } from '../../src/fleet/analytics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const viewer: Actor = { principal: 'api:vic', role: 'viewer' };
const H = 3600;
const DAY = 86_400;
/** Metres in 0.009° along a meridian on the sphere both PostGIS (use_spheroid = false) and haversine use. */
const STEP_M = ((0.009 * Math.PI) / 180) * EARTH_RADIUS_M; // ≈ 1000.754 m
const at = (iso: string) => new Date(iso);

async function truck(sql: Sql, number: string, status = 'active'): Promise<string> {
  const [row] =
    await sql`insert into trucks (truck_number, status) values (${number}, ${status}) returning id`;
  return row!.id as string;
}

async function geofence(sql: Sql, name: string, lng: number, lat: number): Promise<string> {
  const [row] = await sql`
    insert into geofences (name, type, shape, geom, radius_m)
    values (${name}, 'client', 'circle', st_setsrid(st_makepoint(${lng}, ${lat}), 4326), 300)
    returning id`;
  return row!.id as string;
}

interface TripSeed {
  number: string;
  origin: string;
  destination: string;
  truckId?: string | null;
  status: string;
  dispatched?: string;
  arrivedPickup?: string;
  departedPickup?: string;
  arrivedDropoff?: string;
  delivered?: string;
  completed?: string;
  cancelled?: string;
}

async function trip(sql: Sql, t: TripSeed): Promise<void> {
  const d = (s?: string) => (s ? at(s) : null);
  await sql`
    insert into trips (trip_number, truck_id, origin_geofence_id, destination_geofence_id, status, dispatched_at,
                       arrived_pickup_at, departed_pickup_at, arrived_dropoff_at, delivered_at, completed_at,
                       cancelled_at, created_by, updated_by)
    values (${t.number}, ${t.truckId ?? null}, ${t.origin}, ${t.destination}, ${t.status}, ${d(t.dispatched)},
            ${d(t.arrivedPickup)}, ${d(t.departedPickup)}, ${d(t.arrivedDropoff)}, ${d(t.delivered)},
            ${d(t.completed)}, ${d(t.cancelled)}, 'test', 'test')`;
}

interface Fix {
  fixTime: Date;
  lat: number;
  lng: number;
  speedKmh: number | null;
}

async function positions(sql: Sql, truckId: string, fixes: Fix[]): Promise<void> {
  for (const f of fixes) {
    await sql`
      insert into vehicle_positions (truck_id, fix_time, location, speed_kmh)
      values (${truckId}, ${f.fixTime}, st_setsrid(st_makepoint(${f.lng}, ${f.lat}), 4326)::geography,
              ${f.speedKmh})`;
  }
}

describe('TAT report', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await createTestDb();
    const sql = testDb.sql;
    const apapa = await geofence(sql, 'Apapa Port', 3.36, 6.45);
    const ikeja = await geofence(sql, 'Ikeja Depot', 3.35, 6.6);
    const agbara = await geofence(sql, 'Agbara Plant', 3.1, 6.5);
    // Apapa → Ikeja, three trips (total runs from dispatch, which precedes the pickup by 1, 1 and 2 h):
    //   A1 wait 1 h,   transit 2 h, at dropoff 0.5 h, return 1.5 h, total 1 + 5 h = 6 h
    //   A2 wait 2 h,   transit 3 h, at dropoff 1 h,   return 1 h,   total 1 + 7 h = 8 h
    //   A3 wait 0.5 h, transit 4 h, at dropoff 0.5 h, return 2 h,   total 2 + 7 h = 9 h
    const lane = { origin: apapa, destination: ikeja, status: 'completed' };
    await trip(sql, {
      ...lane,
      number: 'TRP-A1',
      dispatched: '2025-02-10T08:00:00Z',
      arrivedPickup: '2025-02-10T09:00:00Z',
      departedPickup: '2025-02-10T10:00:00Z',
      arrivedDropoff: '2025-02-10T12:00:00Z',
      delivered: '2025-02-10T12:30:00Z',
      completed: '2025-02-10T14:00:00Z',
    });
    await trip(sql, {
      ...lane,
      number: 'TRP-A2',
      dispatched: '2025-02-10T06:00:00Z',
      arrivedPickup: '2025-02-10T07:00:00Z',
      departedPickup: '2025-02-10T09:00:00Z',
      arrivedDropoff: '2025-02-10T12:00:00Z',
      delivered: '2025-02-10T13:00:00Z',
      completed: '2025-02-10T14:00:00Z',
    });
    await trip(sql, {
      ...lane,
      number: 'TRP-A3',
      dispatched: '2025-02-11T04:00:00Z',
      arrivedPickup: '2025-02-11T06:00:00Z',
      departedPickup: '2025-02-11T06:30:00Z',
      arrivedDropoff: '2025-02-11T10:30:00Z',
      delivered: '2025-02-11T11:00:00Z',
      completed: '2025-02-11T13:00:00Z',
    });
    // Apapa → Agbara: B1 total 10 h, transit 4 h; B2 total 12 h with no departure recorded (transit unknown).
    await trip(sql, {
      origin: apapa,
      destination: agbara,
      status: 'completed',
      number: 'TRP-B1',
      dispatched: '2025-02-10T00:00:00Z',
      arrivedPickup: '2025-02-10T01:00:00Z',
      departedPickup: '2025-02-10T02:00:00Z',
      arrivedDropoff: '2025-02-10T06:00:00Z',
      delivered: '2025-02-10T07:00:00Z',
      completed: '2025-02-10T10:00:00Z',
    });
    await trip(sql, {
      origin: apapa,
      destination: agbara,
      status: 'completed',
      number: 'TRP-B2',
      dispatched: '2025-02-11T00:00:00Z',
      arrivedPickup: '2025-02-11T01:00:00Z',
      arrivedDropoff: '2025-02-11T06:00:00Z',
      delivered: '2025-02-11T07:00:00Z',
      completed: '2025-02-11T12:00:00Z',
    });
    // Completed 00:30 Lagos on 12 Feb (23:30Z on the 11th): inside the range by UTC, outside it in Lagos.
    await trip(sql, {
      ...lane,
      number: 'TRP-LATE',
      dispatched: '2025-02-11T20:00:00Z',
      completed: '2025-02-11T23:30:00Z',
    });
    // Cancelled: no turnaround.
    await trip(sql, {
      ...lane,
      number: 'TRP-X',
      status: 'cancelled',
      dispatched: '2025-02-10T08:00:00Z',
      cancelled: '2025-02-10T09:00:00Z',
    });
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it('gives each trip completed in the Lagos range its stage durations, and no others', async () => {
    const report = await tatReport(testDb.sql, viewer, { from: '2025-02-10', to: '2025-02-11' });
    expect(report.trips.map((t) => t.tripNumber)).toEqual(['TRP-B1', 'TRP-A1', 'TRP-A2', 'TRP-B2', 'TRP-A3']);
    expect(report.trips.find((t) => t.tripNumber === 'TRP-A1')).toEqual({
      tripNumber: 'TRP-A1',
      lane: 'Apapa Port → Ikeja Depot',
      stages: { waitingAtPickupS: H, transitS: 2 * H, atDropoffS: 0.5 * H, returnS: 1.5 * H, totalS: 6 * H },
    });
  });

  it('summarises each lane with the median and p90 of the total and of each stage', async () => {
    const { lanes } = await tatReport(testDb.sql, viewer, { from: '2025-02-10', to: '2025-02-11' });
    expect(lanes.map((l) => [l.lane, l.count])).toEqual([
      ['Apapa Port → Agbara Plant', 2],
      ['Apapa Port → Ikeja Depot', 3],
    ]);
    const [agbara, ikeja] = lanes;
    // Ikeja totals [6, 8, 9] h: median 8 h; p90 rank 0.9 × 2 = 1.8 → 8 + 0.8 × (9 − 8) = 8.8 h
    expect(ikeja!.total).toEqual({ count: 3, median: 8 * H, p90: expect.closeTo(8.8 * H, 6) });
    // waiting [0.5, 1, 2] h: median 1 h; p90 1 + 0.8 × 1 = 1.8 h
    expect(ikeja!.waitingAtPickup).toEqual({ count: 3, median: H, p90: expect.closeTo(1.8 * H, 6) });
    // transit [2, 3, 4] h: median 3 h; p90 3 + 0.8 × 1 = 3.8 h
    expect(ikeja!.transit).toEqual({ count: 3, median: 3 * H, p90: expect.closeTo(3.8 * H, 6) });
    // return [1, 1.5, 2] h: median 1.5 h; p90 1.5 + 0.8 × 0.5 = 1.9 h
    expect(ikeja!.return).toEqual({ count: 3, median: 1.5 * H, p90: expect.closeTo(1.9 * H, 6) });
    // Agbara totals [10, 12] h: median 11 h; p90 rank 0.9 → 10 + 0.9 × 2 = 11.8 h. Transit known for B1 only.
    expect(agbara!.total).toEqual({ count: 2, median: 11 * H, p90: expect.closeTo(11.8 * H, 6) });
    expect(agbara!.transit).toEqual({ count: 1, median: 4 * H, p90: 4 * H });
  });

  it('counts a trip completed after Lagos midnight on the next day, not the UTC one', async () => {
    const day11 = await tatReport(testDb.sql, viewer, { from: '2025-02-11', to: '2025-02-11' });
    expect(day11.trips.map((t) => t.tripNumber)).toEqual(['TRP-B2', 'TRP-A3']);
    const day12 = await tatReport(testDb.sql, viewer, { from: '2025-02-12', to: '2025-02-12' });
    expect(day12.trips.map((t) => t.tripNumber)).toEqual(['TRP-LATE']);
  });

  it.each([
    [{ from: '2025-02-10' }, 'to: expected a date as YYYY-MM-DD'],
    [{ from: '2025-02-30', to: '2025-03-01' }, 'from: expected a date as YYYY-MM-DD'],
    [{ from: '2025-02-11', to: '2025-02-10' }, 'to: must be on or after from (2025-02-11)'],
    [{ from: '2025-01-01', to: '2025-04-03' }, 'to: at most 92 days after from'],
  ])('refuses %j naming the parameter', async (input, message) => {
    await expect(tatReport(testDb.sql, viewer, input)).rejects.toMatchObject({
      code: 'WT_VALIDATION',
      message: expect.stringContaining(message),
    });
  });

  it('accepts a range of exactly 92 days', async () => {
    // 1 Jan .. 2 Apr 2025 = 31 + 28 + 31 + 2 = 92 days
    const r = await tatReport(testDb.sql, viewer, { from: '2025-01-01', to: '2025-04-02' });
    expect(r.trips).toHaveLength(6);
  });
});

describe('utilization report', () => {
  let testDb: TestDb;
  let t1: string;
  let t2: string;
  let t3: string;
  let t1Fixes: Fix[];
  const now = at('2025-03-15T00:00:00Z');

  beforeAll(async () => {
    testDb = await createTestDb();
    const sql = testDb.sql;
    const a = await geofence(sql, 'Apapa Port', 3.36, 6.45);
    const b = await geofence(sql, 'Ikeja Depot', 3.35, 6.6);
    t1 = await truck(sql, 'KJA-101AA');
    t2 = await truck(sql, 'KJA-102BB');
    // In maintenance now, but it worked on the 11th: it still counts.
    t3 = await truck(sql, 'KJA-103CC', 'maintenance');
    // Out of service and idle: not counted.
    await truck(sql, 'KJA-104DD', 'inactive');
    // T1: 23:00 Lagos on the 10th to 01:00 Lagos on the 11th, one hour on each day.
    await trip(sql, {
      number: 'TRP-MID',
      origin: a,
      destination: b,
      truckId: t1,
      status: 'completed',
      dispatched: '2025-03-10T22:00:00Z',
      completed: '2025-03-11T00:00:00Z',
    });
    // T2: dispatched 23:00 Lagos on the 11th and still open: busy until the day ends.
    await trip(sql, {
      number: 'TRP-OPEN',
      origin: a,
      destination: b,
      truckId: t2,
      status: 'dispatched',
      dispatched: '2025-03-11T22:00:00Z',
    });
    // T3: 06:00 to 12:00 Lagos on the 11th, then cancelled.
    await trip(sql, {
      number: 'TRP-CXL',
      origin: a,
      destination: b,
      truckId: t3,
      status: 'cancelled',
      dispatched: '2025-03-11T05:00:00Z',
      cancelled: '2025-03-11T11:00:00Z',
    });
    const fix = (iso: string, speedKmh: number | null): Fix => ({
      fixTime: at(iso),
      lat: 6.5,
      lng: 3.35,
      speedKmh,
    });
    t1Fixes = [
      // 23:30-23:32 Lagos on the 10th moving (120 s); the 8-minute gap and the 3 km/h fix are not.
      fix('2025-03-10T22:30:00Z', 40),
      fix('2025-03-10T22:31:00Z', 40),
      fix('2025-03-10T22:32:00Z', 40),
      fix('2025-03-10T22:40:00Z', 40),
      fix('2025-03-10T22:41:00Z', 3),
      fix('2025-03-10T22:45:00Z', null),
      // 23:58 Lagos on the 10th to 00:02 on the 11th: 120 s on each day.
      fix('2025-03-10T22:58:00Z', 50),
      fix('2025-03-10T23:00:00Z', 50),
      fix('2025-03-10T23:02:00Z', 50),
    ];
    await positions(sql, t1, t1Fixes);
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it('splits a trip spanning Lagos midnight across both days and counts an open trip to the day’s end', async () => {
    const r = await utilizationReport(testDb.sql, viewer, { from: '2025-03-10', to: '2025-03-11' }, { now });
    expect(r.trucks.map((t) => t.truckNumber)).toEqual(['KJA-101AA', 'KJA-102BB', 'KJA-103CC']);
    const [k1, k2, k3] = r.trucks;
    expect(k1!.days.map((d) => d.onTripShare)).toEqual([H / DAY, H / DAY]);
    expect(k1!.onTripShare).toBeCloseTo((2 * H) / (2 * DAY), 12);
    expect(k2!.days.map((d) => d.onTripShare)).toEqual([0, H / DAY]);
    expect(k3!.days.map((d) => d.onTripShare)).toEqual([0, (6 * H) / DAY]);
    // Fleet mean over three trucks: 10th (1 + 0 + 0) h / 3 trucks; 11th (1 + 1 + 6) h / 3 trucks.
    expect(r.days.map((d) => [d.date, d.trucks])).toEqual([
      ['2025-03-10', 3],
      ['2025-03-11', 3],
    ]);
    expect(r.days[0]!.onTripShare).toBeCloseTo(H / DAY / 3, 12);
    expect(r.days[1]!.onTripShare).toBeCloseTo((8 * H) / DAY / 3, 12);
  });

  it('counts moving time from consecutive fast fixes, split at Lagos midnight', async () => {
    const r = await utilizationReport(testDb.sql, viewer, { from: '2025-03-10', to: '2025-03-11' }, { now });
    const k1 = r.trucks[0]!;
    // 10th: 22:30-22:32Z (120 s) + 22:58-23:00Z (120 s); 11th: 23:00-23:02Z (120 s)
    expect(k1.days.map((d) => d.movingShare * DAY)).toEqual([expect.closeTo(240, 6), expect.closeTo(120, 6)]);
    expect(r.trucks[1]!.movingShare).toBe(0);
    expect(r.days[0]!.movingShare).toBeCloseTo(240 / DAY / 3, 12);
  });

  it('merges moving stretches in SQL exactly as the domain does', async () => {
    const window = { start: at('2025-03-10T00:00:00Z'), end: at('2025-03-12T00:00:00Z') };
    const fromSql = await db.movingIntervals(testDb.sql, window);
    expect(fromSql.map(({ start, end }) => ({ start, end }))).toEqual(domainMoving(t1Fixes));
    expect(fromSql).toEqual([
      { truckId: t1, start: at('2025-03-10T22:30:00Z'), end: at('2025-03-10T22:32:00Z') },
      { truckId: t1, start: at('2025-03-10T22:58:00Z'), end: at('2025-03-10T23:02:00Z') },
    ]);
  });

  it('reads moving pairs that begin just before the window', async () => {
    // The 11th starts at 23:00Z; the pair 22:58-23:00Z lies outside it, 23:00-23:02Z inside.
    const fromSql = await db.movingIntervals(testDb.sql, {
      start: at('2025-03-10T23:01:00Z'),
      end: at('2025-03-12T00:00:00Z'),
    });
    expect(fromSql).toEqual([
      { truckId: t1, start: at('2025-03-10T22:58:00Z'), end: at('2025-03-10T23:02:00Z') },
    ]);
  });
});

describe('daily report', () => {
  let testDb: TestDb;
  let k1Fixes: Fix[];

  // The Lagos day 2025-04-10 runs from 2025-04-09T23:00Z to 2025-04-10T23:00Z.
  beforeAll(async () => {
    testDb = await createTestDb();
    const sql = testDb.sql;
    const a = await geofence(sql, 'Apapa Port', 3.36, 6.45);
    const b = await geofence(sql, 'Ikeja Depot', 3.35, 6.6);
    const lane = { origin: a, destination: b };
    // D1: 00:30 Lagos on the 10th (23:30Z on the 9th), still open: started and in progress on the 10th.
    await trip(sql, { ...lane, number: 'D1', status: 'dispatched', dispatched: '2025-04-09T23:30:00Z' });
    // D2: 23:30 Lagos on the 9th, completed on the 10th.
    await trip(sql, {
      ...lane,
      number: 'D2',
      status: 'completed',
      dispatched: '2025-04-09T22:30:00Z',
      completed: '2025-04-10T10:00:00Z',
    });
    // D3: started and cancelled on the 10th.
    await trip(sql, {
      ...lane,
      number: 'D3',
      status: 'cancelled',
      dispatched: '2025-04-10T08:00:00Z',
      cancelled: '2025-04-10T09:00:00Z',
    });
    // D4: 23:30 Lagos on the 10th, completed 00:30 Lagos on the 11th: in progress at the 10th's end.
    await trip(sql, {
      ...lane,
      number: 'D4',
      status: 'completed',
      dispatched: '2025-04-10T22:30:00Z',
      completed: '2025-04-10T23:30:00Z',
    });
    // D5: planned, never dispatched: nothing.
    await trip(sql, { ...lane, number: 'D5', status: 'planned' });
    // D6: dispatched on the 8th, still open.
    await trip(sql, { ...lane, number: 'D6', status: 'in_transit', dispatched: '2025-04-08T10:00:00Z' });

    const event = (type: string, iso: string) =>
      sql`insert into events (type, entity_type, entity_id, occurred_at) values (${type}, 'truck', 'x', ${at(iso)})`;
    await event('loconav.overspeed', '2025-04-09T23:10:00Z'); // 00:10 Lagos on the 10th
    await event('loconav.overspeed', '2025-04-10T12:00:00Z');
    await event('truck.offline', '2025-04-10T13:00:00Z');
    await event('geofence.entered', '2025-04-10T12:00:00Z'); // routine, not an alert
    await event('loconav.idling', '2025-04-09T22:50:00Z'); // 23:50 Lagos on the 9th

    const k1 = await truck(sql, 'KJA-201AA');
    const k2 = await truck(sql, 'KJA-202BB');
    const lng0 = 3.35;
    // 3 m east at latitude 6.518°: 3 / (metres per degree × cos(lat))
    const jitterLng = lng0 + 3 / ((Math.PI / 180) * EARTH_RADIUS_M * Math.cos((6.518 * Math.PI) / 180));
    k1Fixes = [
      { fixTime: at('2025-04-10T10:00:00Z'), lat: 6.5, lng: lng0, speedKmh: 60 },
      { fixTime: at('2025-04-10T10:01:00Z'), lat: 6.509, lng: lng0, speedKmh: 60 }, // +1 step
      { fixTime: at('2025-04-10T10:02:00Z'), lat: 6.518, lng: lng0, speedKmh: 60 }, // +1 step
      { fixTime: at('2025-04-10T10:03:00Z'), lat: 6.518, lng: jitterLng, speedKmh: 0 }, // 3 m jitter: ignored
      { fixTime: at('2025-04-10T10:03:30Z'), lat: 7.0, lng: lng0, speedKmh: 0 }, // 53 km in 30 s: ignored
      { fixTime: at('2025-04-10T10:05:00Z'), lat: 6.527, lng: lng0, speedKmh: 30 }, // +1 step
    ];
    await positions(sql, k1, k1Fixes);
    // K2 drives across Lagos midnight: the hop ends on the 10th, so it counts there.
    await positions(sql, k2, [
      { fixTime: at('2025-04-09T22:58:00Z'), lat: 6.6, lng: lng0, speedKmh: 30 },
      { fixTime: at('2025-04-09T23:02:00Z'), lat: 6.609, lng: lng0, speedKmh: 30 },
    ]);
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it('counts trips started, completed, in progress and cancelled by the Lagos day', async () => {
    const r = await dailyReport(testDb.sql, viewer, { date: '2025-04-10' });
    expect(r.date).toBe('2025-04-10');
    expect(r.window).toEqual({ start: at('2025-04-09T23:00:00Z'), end: at('2025-04-10T23:00:00Z') });
    // started D1, D3, D4; completed D2; open at 23:00Z: D1, D4, D6; cancelled D3
    expect(r.trips).toEqual({ started: 3, completed: 1, inProgress: 3, cancelled: 1 });
  });

  it('puts a trip dispatched at 23:30 Lagos on that day, not the next', async () => {
    const r = await dailyReport(testDb.sql, viewer, { date: '2025-04-09' });
    // started D2 (23:30 Lagos); open at 23:00Z on the 9th: D2 and D6 (D1 is dispatched after)
    expect(r.trips).toEqual({ started: 1, completed: 0, inProgress: 2, cancelled: 0 });
  });

  it('sums km per truck in SQL, ignoring jitter and a glitch, as the domain does', async () => {
    const r = await dailyReport(testDb.sql, viewer, { date: '2025-04-10' });
    // K1: three 0.009° steps; K2: one step whose hop ends after midnight
    expect(r.kmDriven.byTruck.map((t) => [t.truckNumber, t.km])).toEqual([
      ['KJA-201AA', expect.closeTo((3 * STEP_M) / 1000, 4)],
      ['KJA-202BB', expect.closeTo(STEP_M / 1000, 4)],
    ]);
    expect(r.kmDriven.total).toBeCloseTo((4 * STEP_M) / 1000, 4);
    expect(r.kmDriven.byTruck[0]!.km).toBeCloseTo(domainKm(k1Fixes), 4);
  });

  it('leaves a hop ending before Lagos midnight out of the next day', async () => {
    const r = await dailyReport(testDb.sql, viewer, { date: '2025-04-09' });
    expect(r.kmDriven).toEqual({ total: 0, byTruck: [] });
  });

  it('counts alerts by type within the Lagos day, leaving routine events out', async () => {
    const r = await dailyReport(testDb.sql, viewer, { date: '2025-04-10' });
    // Their entity is no known truck, so no truck is named (test/fleet/analytics-daily.test.ts names them).
    expect(r.alerts).toEqual({
      total: 3,
      byType: { 'loconav.overspeed': 2, 'truck.offline': 1 },
      topTrucks: [],
    });
    const before = await dailyReport(testDb.sql, viewer, { date: '2025-04-09' });
    expect(before.alerts).toEqual({ total: 1, byType: { 'loconav.idling': 1 }, topTrucks: [] });
  });

  it('reports today in Lagos when no date is given', async () => {
    // 23:30Z on the 10th is 00:30 on the 11th in Lagos
    const r = await dailyReport(testDb.sql, viewer, {}, { now: at('2025-04-10T23:30:00Z') });
    expect(r.date).toBe('2025-04-11');
  });

  it('refuses a date that is not YYYY-MM-DD, naming it', async () => {
    await expect(dailyReport(testDb.sql, viewer, { date: '10/04/2025' })).rejects.toMatchObject({
      code: 'WT_VALIDATION',
      message: 'Invalid report date: date: expected a date as YYYY-MM-DD, e.g. 2025-01-10',
    });
  });
});

describe('trucks near a point', () => {
  let testDb: TestDb;
  const here = { lat: 6.45, lng: 3.4 };
  /** Degrees of latitude for `m` metres north (on the sphere; PostGIS measures on the spheroid, ~0.5% apart). */
  const north = (m: number) => here.lat + m / ((Math.PI / 180) * EARTH_RADIUS_M);

  beforeAll(async () => {
    testDb = await createTestDb();
    const sql = testDb.sql;
    const place = async (number: string, m: number | null, speed: number) => {
      const id = await truck(sql, number);
      if (m === null) return;
      await sql`
        update trucks set last_location = st_setsrid(st_makepoint(${here.lng}, ${north(m)}), 4326)::geography,
          last_fix_at = '2025-05-01T09:00:00Z', last_speed_kmh = ${speed}
        where id = ${id}`;
    };
    await place('FAR-6K', 6000, 10);
    await place('NEAR-1K', 1000, 42.5);
    await place('MID-3K', 3000, 0);
    await place('NO-FIX', null, 0);
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it('lists trucks within the default 5 km, nearest first, with distance, fix time and speed', async () => {
    const near = await trucksNear(testDb.sql, viewer, here);
    expect(near.map((t) => t.truckNumber)).toEqual(['NEAR-1K', 'MID-3K']);
    expect(near[0]).toMatchObject({
      lat: expect.closeTo(north(1000), 9),
      lng: expect.closeTo(here.lng, 9),
      lastFixAt: at('2025-05-01T09:00:00Z'),
      speedKmh: 42.5,
    });
    expect(near[0]!.distanceM).toBeGreaterThan(990);
    expect(near[0]!.distanceM).toBeLessThan(1010);
    expect(near[1]!.distanceM).toBeGreaterThan(2970);
    expect(near[1]!.distanceM).toBeLessThan(3030);
  });

  it('widens with the radius and stops at the limit', async () => {
    const wide = await trucksNear(testDb.sql, viewer, { ...here, radiusM: 7000 });
    expect(wide.map((t) => t.truckNumber)).toEqual(['NEAR-1K', 'MID-3K', 'FAR-6K']);
    const narrow = await trucksNear(testDb.sql, viewer, { ...here, radiusM: 500 });
    expect(narrow).toEqual([]);
    const two = await trucksNear(testDb.sql, viewer, { ...here, radiusM: 7000, limit: 1 });
    expect(two.map((t) => t.truckNumber)).toEqual(['NEAR-1K']);
  });

  it.each([
    [{ lat: 91, lng: 3.4 }, 'lat: expected a latitude from -90 to 90'],
    [{ lat: 6.45 }, 'lng: expected a longitude from -180 to 180'],
    [{ ...here, radiusM: 50_001 }, 'radiusM: expected metres from 1 to 50000'],
    [{ ...here, limit: 0 }, 'limit: expected a whole number from 1 to 500'],
  ])('refuses %j naming the parameter', async (input, message) => {
    await expect(trucksNear(testDb.sql, viewer, input)).rejects.toMatchObject({
      code: 'WT_VALIDATION',
      message: expect.stringContaining(message),
    });
  });
});
