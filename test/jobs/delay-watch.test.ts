import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertTruck } from '../../src/db/trucks.ts';
import { runDelayWatch } from '../../src/jobs/delay-watch.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { jobDeps } from './deps.ts';

let testDb: TestDb;
let origin: string;
let destination: string;

beforeAll(async () => {
  testDb = await createTestDb({ poolSize: 6 });
  const [o] = await testDb.sql`
    insert into geofences (name, type, shape, geom, radius_m)
    values ('Apapa Port', 'terminal', 'circle', st_setsrid(st_makepoint(3.36, 6.44), 4326), 500) returning id`;
  const [d] = await testDb.sql`
    insert into geofences (name, type, shape, geom, radius_m)
    values ('Ikeja Depot', 'depot', 'circle', st_setsrid(st_makepoint(3.34, 6.6), 4326), 300) returning id`;
  origin = o!.id;
  destination = d!.id;
});
afterAll(async () => {
  await testDb.drop();
});
beforeEach(async () => {
  await testDb.sql`truncate trips, trucks, events cascade`;
});

const NOW = new Date('2025-03-10T09:00:00Z');
const run = (now = NOW) => runDelayWatch(jobDeps(testDb.sql, { now: () => now }).deps);
const delayed = () =>
  testDb.sql`select entity_id, payload from events where type = 'trip.delayed' order by id`;

async function trip(status: string, eta: string | null, truckId: string | null = null) {
  const [row] = await testDb.sql`
    insert into trips (truck_id, origin_geofence_id, destination_geofence_id, status, eta, created_by, updated_by)
    values (${truckId}, ${origin}, ${destination}, ${status}, ${eta}, 'test', 'test')
    returning id, trip_number`;
  return { id: row!.id as string, tripNumber: row!.trip_number as string };
}

describe('delay watch', () => {
  it('reports a trip on its way past its ETA once, with what the alert needs', async () => {
    const truck = await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    const late = await trip('in_transit', '2025-03-10T08:30:00Z', truck.id);
    await trip('in_transit', '2025-03-10T10:00:00Z');

    const first = await run();
    expect(first.summary).toBe(`1 trip(s) past their ETA: ${late.tripNumber}`);
    await run(new Date(NOW.getTime() + 60_000));

    const rows = await delayed();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toEqual({
      tripId: late.id,
      tripNumber: late.tripNumber,
      truckId: truck.id,
      truckNumber: 'KJA-1AA',
      status: 'in_transit',
      eta: '2025-03-10T08:30:00.000Z',
      destinationName: 'Ikeja Depot',
    });
  });

  it('reports again only when a new ETA passes too', async () => {
    const t = await trip('dispatched', '2025-03-10T08:30:00Z');
    await run();
    await testDb.sql`update trips set eta = '2025-03-10T09:30:00Z' where id = ${t.id}`;
    await run(new Date('2025-03-10T09:10:00Z'));
    expect(await delayed()).toHaveLength(1);
    await run(new Date('2025-03-10T09:31:00Z'));
    expect((await delayed()).map((r) => r.payload.eta)).toEqual([
      '2025-03-10T08:30:00.000Z',
      '2025-03-10T09:30:00.000Z',
    ]);
  });

  it('leaves alone trips that arrived, ended or have no ETA', async () => {
    for (const status of ['at_dropoff', 'delivered', 'completed', 'cancelled']) {
      await trip(status, '2025-03-10T07:00:00Z');
    }
    await trip('in_transit', null);
    const result = await run();
    expect(result.summary).toBe('no trip newly past its ETA');
    expect(await delayed()).toEqual([]);
  });

  it('writes one alert when two replicas run the same minute', async () => {
    await trip('planned', '2025-03-10T08:00:00Z');
    await trip('at_pickup', '2025-03-10T08:00:00Z');
    await Promise.all([run(), run(), run()]);
    expect(await delayed()).toHaveLength(2);
  });
});
