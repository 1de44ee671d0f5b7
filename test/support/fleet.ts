import { updateCurrentLocations } from '../../src/db/positions.ts';
import { applyPresenceChanges } from '../../src/db/presence.ts';
import { systemActor, type UserRole } from '../../src/fleet/actor.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import { createTruck } from '../../src/fleet/trucks.ts';
import type { TestDb } from './db.ts';

// A small Lagos fleet for the bot's and the agent's tests, seeded through the use cases: KJA-123XY parked
// inside Apapa Port, LND-456AB with no fix yet, and Apapa Port, Ikeja Depot and Dangote Ibese to plan trips
// between.

export async function seedFleet(db: TestDb): Promise<void> {
  const seeder = systemActor('test-seed');
  const apapa = await createGeofence(db.sql, seeder, {
    name: 'Apapa Port',
    type: 'terminal',
    boundary: { center: { lat: 6.45, lng: 3.36 }, radius_m: 500 },
  });
  await createGeofence(db.sql, seeder, {
    name: 'Ikeja Depot',
    type: 'depot',
    boundary: { center: { lat: 6.6, lng: 3.35 }, radius_m: 500 },
  });
  await createGeofence(db.sql, seeder, {
    name: 'Dangote Ibese',
    type: 'client',
    boundary: { center: { lat: 6.97, lng: 3.03 }, radius_m: 800 },
  });
  const truck = await createTruck(db.sql, seeder, { truck_number: 'KJA-123XY' });
  await createTruck(db.sql, seeder, { truck_number: 'LND-456AB' });
  const fixTime = new Date(Date.now() - 2 * 60_000);
  await db.sql.begin((tx) =>
    applyPresenceChanges(tx, [{ truckId: truck.id, geofenceId: apapa.id, type: 'entered', at: fixTime }]),
  );
  await updateCurrentLocations(db.sql, [
    { truckId: truck.id, fixTime, lat: 6.4501, lng: 3.3601, speedKmh: 0, headingDeg: null, ignition: false },
  ]);
}

export async function grant(db: TestDb, principal: string, role: UserRole): Promise<void> {
  await db.sql`
    insert into roles (principal, role, updated_by) values (${principal}, ${role}, 'test')
    on conflict (principal) do update set role = excluded.role`;
}
