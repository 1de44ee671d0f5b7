import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

// What the offline and delay watches remember (migration 003): each marks the rows it reports in the same
// statement that finds them, so a second replica running the same minute finds nothing left to report.

type Q = Sql | TxSql;

export interface WentOffline {
  truckId: string;
  truckNumber: string;
  lastFixAt: Date;
  lat: number | null;
  lon: number | null;
}

export interface CameOnline {
  truckId: string;
  truckNumber: string;
  offlineSince: Date;
  at: Date;
}

export interface LateTrip {
  tripId: string;
  tripNumber: string;
  truckId: string | null;
  truckNumber: string | null;
  status: string;
  eta: Date;
  destinationName: string;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * Trucks in service whose last fix is older than `quietSince` and not yet reported: marks each offline as of
 * that fix and returns them. Trucks that never reported, and inactive or maintenance trucks, are left out.
 */
export async function markTrucksOffline(sql: Q, quietSince: Date): Promise<WentOffline[]> {
  const rows = await sql`
    update trucks set offline_since = last_fix_at
    where status not in ('inactive', 'maintenance')
      and last_fix_at is not null and last_fix_at < ${quietSince}
      and offline_since is null
    returning id, truck_number, last_fix_at,
              st_y(last_location::geometry) as lat, st_x(last_location::geometry) as lon`;
  return rows.map((r) => ({
    truckId: r.id as string,
    truckNumber: r.truck_number as string,
    lastFixAt: r.last_fix_at as Date,
    lat: num(r.lat),
    lon: num(r.lon),
  }));
}

/**
 * Trucks reported offline that have a fix newer than the one they went quiet at AND fresh (at or after
 * `freshSince`): a buffered old fix uploaded late does not count as back. Clears the mark and returns them.
 */
export async function markTrucksOnline(sql: Q, freshSince: Date): Promise<CameOnline[]> {
  const rows = await sql`
    with back as (
      select id, offline_since from trucks
      where offline_since is not null and last_fix_at > offline_since and last_fix_at >= ${freshSince}
      for update
    )
    update trucks t set offline_since = null
    from back
    where t.id = back.id
    returning t.id, t.truck_number, back.offline_since, t.last_fix_at`;
  return rows.map((r) => ({
    truckId: r.id as string,
    truckNumber: r.truck_number as string,
    offlineSince: r.offline_since as Date,
    at: r.last_fix_at as Date,
  }));
}

/** Statuses in which a trip has yet to reach its destination, so an ETA can still be missed. */
export const ETA_STATUSES = ['planned', 'dispatched', 'at_pickup', 'in_transit'] as const;

/**
 * Trips still on the way whose ETA is before `now` and not yet reported for that ETA: records the ETA
 * reported and returns them. A trip given a new ETA that passes too is returned again.
 */
export async function markTripsLate(sql: Q, now: Date): Promise<LateTrip[]> {
  const rows = await sql`
    update trips t set delay_alerted_eta = t.eta
    from geofences d
    where d.id = t.destination_geofence_id
      and t.status = any(${pgArray([...ETA_STATUSES])}::text[])
      and t.eta is not null and t.eta < ${now}
      and t.delay_alerted_eta is distinct from t.eta
    returning t.id, t.trip_number, t.truck_id, t.status, t.eta, d.name as destination_name,
              (select truck_number from trucks where id = t.truck_id) as truck_number`;
  return rows.map((r) => ({
    tripId: r.id as string,
    tripNumber: r.trip_number as string,
    truckId: (r.truck_id as string | null) ?? null,
    truckNumber: (r.truck_number as string | null) ?? null,
    status: r.status as string,
    eta: r.eta as Date,
    destinationName: r.destination_name as string,
  }));
}
