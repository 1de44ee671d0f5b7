import { MOVING_MIN_SPEED_KMH } from '../db/analytics.ts';
import type { Sql } from '../db/client.ts';
import * as trucksDb from '../db/trucks.ts';
import { DEFAULT_OFFLINE_AFTER_MS } from '../domain/offline.ts';
import type { TripStatus } from '../domain/trip-state.ts';
import type { Actor } from './actor.ts';
import { listGeofences, trucksInGeofence } from './geofences.ts';
import { listTrips, MAX_PAGE as TRIP_PAGE } from './trips.ts';
import { listTrucks, MAX_PAGE as TRUCK_PAGE } from './trucks.ts';

// The fleet at a glance (`/fleet`, the router, the agent's fleet_summary tool), composed from the use cases
// that exist, so each one's role check applies. One grouped query could replace it when the fleet grows.

export interface FleetSummary {
  /** Trips by status; only open (not completed or cancelled) ones are shown. */
  byStatus: Partial<Record<TripStatus, number>>;
  /** Trucks inside each terminal or depot geofence. */
  atTerminals: { name: string; count: number }[];
  moving: number;
  offline: number;
  total: number;
}

const TERMINAL_TYPES = ['terminal', 'depot'] as const;

export async function fleetSummaryData(sql: Sql, actor: Actor, now: Date): Promise<FleetSummary> {
  const trucks = await allPages(
    (offset) => listTrucks(sql, actor, { limit: TRUCK_PAGE, offset }),
    TRUCK_PAGE,
  );
  const listed = new Set(trucks.map((t) => t.id));
  const locations = (await trucksDb.listLastFixes(sql)).filter((l) => listed.has(l.truckId));
  let moving = 0;
  let offline = 0;
  for (const l of locations) {
    const silent = !l?.lastFixAt || now.getTime() - l.lastFixAt.getTime() > DEFAULT_OFFLINE_AFTER_MS;
    if (silent) offline += 1;
    else if ((l.speedKmh ?? 0) >= MOVING_MIN_SPEED_KMH) moving += 1;
  }

  const open = await allPages(
    (offset) => listTrips(sql, actor, { active: true, limit: TRIP_PAGE, offset }),
    TRIP_PAGE,
  );
  const byStatus: Partial<Record<TripStatus, number>> = {};
  for (const t of open) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;

  const atTerminals: FleetSummary['atTerminals'] = [];
  for (const type of TERMINAL_TYPES) {
    for (const g of await listGeofences(sql, actor, { type })) {
      const { trucks: inside } = await trucksInGeofence(sql, actor, g.id);
      atTerminals.push({ name: g.name, count: inside.length });
    }
  }
  return { byStatus, atTerminals, moving, offline, total: trucks.length };
}

async function allPages<T>(page: (offset: number) => Promise<T[]>, size: number): Promise<T[]> {
  const all: T[] = [];
  for (let offset = 0; ; offset += size) {
    const rows = await page(offset);
    all.push(...rows);
    if (rows.length < size) return all;
  }
}
