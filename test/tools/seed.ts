import type { Sql } from '../../src/db/client.ts';
import { updateCurrentLocations } from '../../src/db/positions.ts';
import { applyPresenceChanges } from '../../src/db/presence.ts';
import { insertTruck } from '../../src/db/trucks.ts';
import { type Actor, systemActor } from '../../src/fleet/actor.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import {
  APAPA_PORT,
  DANGOTE_IBESE,
  IKEJA_DEPOT,
  LAGOS_GEOFENCES,
  TIN_CAN_PORT,
} from '../../src/sim/lagos-demo.ts';
import type { ToolContext } from '../../src/tools/types.ts';

// The Lagos demo's geofences, a handful of its trucks parked at known places, and the clock tool tests pin.

/** 09:00 in Lagos on 10 March 2025. */
export const NOW = new Date('2025-03-10T08:00:00Z');

export const viewer: Actor = { principal: 'slack:UVIEWER', role: 'viewer' };
export const dispatcher: Actor = { principal: 'slack:UDISPATCH', role: 'dispatcher', correlationId: 'c-1' };

export const ctxFor = (sql: Sql, actor: Actor = dispatcher): ToolContext => ({ sql, actor, now: NOW });

export interface Seeded {
  trucks: Record<string, string>;
  geofences: Record<string, string>;
}

const minutesBefore = (min: number) => new Date(NOW.getTime() - min * 60_000);

/**
 * KJA-123XY inside Apapa Port (12 min ago), LSD-482KJ just east of Apapa Port, APP-771AA at Tin Can,
 * KJA-905BD at Ikeja depot (3 h silent), and EKY-230XA registered but never heard from.
 */
export async function seedLagos(sql: Sql): Promise<Seeded> {
  const admin = systemActor('test-seed');
  const geofences: Record<string, string> = {};
  for (const g of LAGOS_GEOFENCES) geofences[g.name] = (await createGeofence(sql, admin, g)).id;
  const trucks: Record<string, string> = {};
  for (const plate of ['KJA-123XY', 'LSD-482KJ', 'APP-771AA', 'KJA-905BD', 'EKY-230XA']) {
    trucks[plate] = (await insertTruck(sql, { truckNumber: plate })).id;
  }
  const fix = (plate: string, lat: number, lng: number, ago: number, kmh: number) => ({
    truckId: trucks[plate]!,
    fixTime: minutesBefore(ago),
    lat,
    lng,
    speedKmh: kmh,
    headingDeg: 90,
    ignition: kmh > 0,
  });
  await updateCurrentLocations(sql, [
    fix('KJA-123XY', 6.446, 3.365, 12, 0),
    fix('LSD-482KJ', 6.447, 3.381, 4, 18),
    fix('APP-771AA', 6.438, 3.343, 30, 0),
    fix('KJA-905BD', 6.602, 3.352, 180, 0),
  ]);
  await sql.begin((tx) =>
    applyPresenceChanges(tx, [
      {
        truckId: trucks['KJA-123XY']!,
        geofenceId: geofences[APAPA_PORT]!,
        type: 'entered',
        at: minutesBefore(95),
      },
      {
        truckId: trucks['APP-771AA']!,
        geofenceId: geofences[TIN_CAN_PORT]!,
        type: 'entered',
        at: minutesBefore(40),
      },
      {
        truckId: trucks['KJA-905BD']!,
        geofenceId: geofences[IKEJA_DEPOT]!,
        type: 'entered',
        at: minutesBefore(600),
      },
    ]),
  );
  return { trucks, geofences };
}

export { APAPA_PORT, DANGOTE_IBESE, IKEJA_DEPOT, TIN_CAN_PORT };
