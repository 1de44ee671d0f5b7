import { pgArray } from './arrays.ts';
import type { TxSql } from './client.ts';
import type { TruckStatus } from './trucks.ts';

// The roster sync's reads and writes on trucks, all inside the sync's one transaction.

export interface RosterValues {
  truckNumber: string;
  imei: string | null;
  loconavVehicleId: string | null;
  company: string | null;
  fleetManager: string | null;
  status: TruckStatus;
  brand: string | null;
  trailerSize: string | null;
  operatingLocation: string | null;
}

/** A truck as the roster sync compares it: its roster fields, and when a sync last saw it on the sheet. */
export interface RosterTruck extends RosterValues {
  id: string;
  rosterSeenAt: Date | null;
}

// Any 64-bit number unique to this purpose: two syncs (a replica's and `npm run job`) take turns.
const ROSTER_LOCK = 7_302_114_967;

const str = (v: unknown) => (v as string | null) ?? null;

/** Waits for any other roster sync to commit, then reads every truck. */
export async function lockAndListRosterTrucks(tx: TxSql): Promise<RosterTruck[]> {
  await tx`select pg_advisory_xact_lock(${ROSTER_LOCK})`;
  const rows = await tx`
    select id, truck_number, imei, loconav_vehicle_id, company, fleet_manager, status, brand, trailer_size,
           operating_location, roster_seen_at
    from trucks order by truck_number`;
  return rows.map((r) => ({
    id: r.id as string,
    truckNumber: r.truck_number as string,
    imei: str(r.imei),
    loconavVehicleId: str(r.loconav_vehicle_id),
    company: str(r.company),
    fleetManager: str(r.fleet_manager),
    status: r.status as TruckStatus,
    brand: str(r.brand),
    trailerSize: str(r.trailer_size),
    operatingLocation: str(r.operating_location),
    rosterSeenAt: (r.roster_seen_at as Date | null) ?? null,
  }));
}

const columns = (values: readonly RosterValues[]) => ({
  numbers: pgArray(values.map((v) => v.truckNumber)),
  imeis: pgArray(values.map((v) => v.imei)),
  loconav: pgArray(values.map((v) => v.loconavVehicleId)),
  companies: pgArray(values.map((v) => v.company)),
  managers: pgArray(values.map((v) => v.fleetManager)),
  statuses: pgArray(values.map((v) => v.status)),
  brands: pgArray(values.map((v) => v.brand)),
  trailers: pgArray(values.map((v) => v.trailerSize)),
  locations: pgArray(values.map((v) => v.operatingLocation)),
});

/**
 * Inserts the sheet's new trucks, seen now. A truck ingest registered under the same number meanwhile is
 * updated instead. Returns id and number of each.
 */
export async function insertRosterTrucks(
  tx: TxSql,
  values: readonly RosterValues[],
  seenAt: Date,
): Promise<{ id: string; truckNumber: string }[]> {
  if (values.length === 0) return [];
  const c = columns(values);
  const rows = await tx`
    insert into trucks (truck_number, imei, loconav_vehicle_id, company, fleet_manager, status, brand,
                        trailer_size, operating_location, roster_seen_at)
    select v.* , ${seenAt}::timestamptz
    from unnest(${c.numbers}::text[], ${c.imeis}::text[], ${c.loconav}::text[], ${c.companies}::text[],
                ${c.managers}::text[], ${c.statuses}::text[], ${c.brands}::text[], ${c.trailers}::text[],
                ${c.locations}::text[])
         as v(truck_number, imei, loconav_vehicle_id, company, fleet_manager, status, brand, trailer_size,
              operating_location)
    on conflict (truck_number) do update set
      imei = coalesce(excluded.imei, trucks.imei),
      loconav_vehicle_id = coalesce(excluded.loconav_vehicle_id, trucks.loconav_vehicle_id),
      company = excluded.company, fleet_manager = excluded.fleet_manager, status = excluded.status,
      brand = excluded.brand, trailer_size = excluded.trailer_size,
      operating_location = excluded.operating_location, roster_seen_at = excluded.roster_seen_at,
      updated_at = now()
    returning id, truck_number`;
  return rows.map((r) => ({ id: r.id as string, truckNumber: r.truck_number as string }));
}

/** Writes each truck's values from the sheet (truck number included: an adopted device truck is renamed). */
export async function updateRosterTrucks(
  tx: TxSql,
  updates: readonly { id: string; values: RosterValues }[],
): Promise<void> {
  if (updates.length === 0) return;
  const c = columns(updates.map((u) => u.values));
  await tx`
    update trucks t set
      truck_number = v.truck_number, imei = v.imei, loconav_vehicle_id = v.loconav_vehicle_id,
      company = v.company, fleet_manager = v.fleet_manager, status = v.status, brand = v.brand,
      trailer_size = v.trailer_size, operating_location = v.operating_location, updated_at = now()
    from unnest(${pgArray(updates.map((u) => u.id))}::uuid[], ${c.numbers}::text[], ${c.imeis}::text[],
                ${c.loconav}::text[], ${c.companies}::text[], ${c.managers}::text[], ${c.statuses}::text[],
                ${c.brands}::text[], ${c.trailers}::text[], ${c.locations}::text[])
         as v(id, truck_number, imei, loconav_vehicle_id, company, fleet_manager, status, brand, trailer_size,
              operating_location)
    where t.id = v.id`;
}

/** Records that these trucks were on the sheet at `seenAt`. */
export async function markRosterSeen(
  tx: TxSql,
  truckNumbers: readonly string[],
  seenAt: Date,
): Promise<void> {
  if (truckNumbers.length === 0) return;
  await tx`
    update trucks set roster_seen_at = ${seenAt}
    where truck_number = any(${pgArray(truckNumbers)}::text[])`;
}

/** Marks trucks inactive (never deletes: trips, positions and events keep pointing at them). */
export async function deactivateTrucks(tx: TxSql, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx`
    update trucks set status = 'inactive', updated_at = now()
    where id = any(${pgArray(ids)}::uuid[]) and status <> 'inactive'`;
}
