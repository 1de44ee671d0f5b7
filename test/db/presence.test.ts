import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertGeofence } from '../../src/db/geofences.ts';
import { applyPresenceChanges, openPresence, type PresenceChange } from '../../src/db/presence.ts';
import { insertTruck } from '../../src/db/trucks.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

describe('geofence presence changes, applied a batch at a time', () => {
  let testDb: TestDb;
  let truckId: string;
  let otherTruckId: string;
  let portId: string;
  let depotId: string;
  const at = (min: number) => new Date(Date.UTC(2026, 10, 27, 8, min));

  beforeAll(async () => {
    testDb = await createTestDb();
    truckId = (await insertTruck(testDb.sql, { truckNumber: 'KJA-310PR' })).id;
    otherTruckId = (await insertTruck(testDb.sql, { truckNumber: 'KJA-311PR' })).id;
    const geofence = async (name: string, type: 'terminal' | 'client', lat: number) =>
      (
        await insertGeofence(testDb.sql, {
          name,
          type,
          shape: { kind: 'circle', center: { lat, lng: 3.36 }, radiusM: 300 },
          minDwellS: 60,
          exitMarginM: 50,
        })
      ).id;
    portId = await geofence('Apapa', 'terminal', 6.44);
    depotId = await geofence('Depot', 'client', 6.5);
  });

  afterAll(async () => {
    await testDb.drop();
  });

  const apply = (changes: PresenceChange[]) => testDb.sql.begin((tx) => applyPresenceChanges(tx, changes));
  const visits = (id: string) =>
    testDb.sql`
      select geofence_id, entered_at, exited_at from geofence_presence where truck_id = ${id}
      order by geofence_id, entered_at`;

  it('records, in order, a truck that enters, leaves and comes back within one batch', async () => {
    const batch: PresenceChange[] = [
      { truckId, geofenceId: portId, type: 'entered', at: at(0) },
      { truckId, geofenceId: depotId, type: 'entered', at: at(1) },
      { truckId, geofenceId: portId, type: 'exited', at: at(5) },
      { truckId: otherTruckId, geofenceId: portId, type: 'entered', at: at(6) },
      { truckId, geofenceId: portId, type: 'entered', at: at(9) },
    ];
    await apply(batch);
    const rows = await visits(truckId);
    const port = rows.filter((r) => r.geofence_id === portId).map((r) => [r.entered_at, r.exited_at]);
    expect(port).toEqual([
      [at(0), at(5)],
      [at(9), null],
    ]);
    expect(rows.filter((r) => r.geofence_id === depotId).map((r) => r.exited_at)).toEqual([null]);
    const open = await openPresence(testDb.sql, [truckId, otherTruckId]);
    expect(
      open
        .map((o) => `${o.truckId === truckId ? 'a' : 'b'}:${o.geofenceId === portId ? 'port' : 'depot'}`)
        .sort(),
    ).toEqual(['a:depot', 'a:port', 'b:port']);

    // The same batch redelivered changes nothing.
    await apply(batch);
    expect(await visits(truckId)).toEqual(rows);
  });

  it('does not close a visit with an exit from before it began', async () => {
    await apply([{ truckId: otherTruckId, geofenceId: portId, type: 'exited', at: at(2) }]);
    expect((await visits(otherTruckId)).map((r) => r.exited_at)).toEqual([null]);
    await apply([{ truckId: otherTruckId, geofenceId: portId, type: 'exited', at: at(20) }]);
    expect((await visits(otherTruckId)).map((r) => r.exited_at)).toEqual([at(20)]);
  });
});
