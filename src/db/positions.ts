import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

export interface PositionRow {
  truckId: string;
  fixTime: Date;
  lat: number;
  lng: number;
  speedKmh: number | null;
  headingDeg: number | null;
  ignition: boolean | null;
}

/** Batched insert through unnest arrays; a fix already stored (same truck and time) is skipped. */
export async function insertPositions(sql: Sql | TxSql, rows: PositionRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await sql`
    insert into vehicle_positions (truck_id, fix_time, location, speed_kmh, heading_deg, ignition)
    select p.truck_id, p.fix_time, st_setsrid(st_makepoint(p.lng, p.lat), 4326)::geography,
           p.speed_kmh, p.heading_deg, p.ignition
    from unnest(
      ${pgArray(rows.map((r) => r.truckId))}::uuid[],
      ${pgArray(rows.map((r) => r.fixTime))}::timestamptz[],
      ${pgArray(rows.map((r) => r.lng))}::float8[],
      ${pgArray(rows.map((r) => r.lat))}::float8[],
      ${pgArray(rows.map((r) => r.speedKmh))}::real[],
      ${pgArray(rows.map((r) => r.headingDeg))}::real[],
      ${pgArray(rows.map((r) => r.ignition))}::boolean[]
    ) as p(truck_id, fix_time, lng, lat, speed_kmh, heading_deg, ignition)
    on conflict (truck_id, fix_time) do nothing`;
  return result.count;
}

/**
 * Moves each truck's current location to its newest fix, never backwards: a row only changes when the
 * fix is newer than the one it holds, so late and replayed batches cannot rewind a truck.
 */
export async function updateCurrentLocations(sql: Sql | TxSql, latest: PositionRow[]): Promise<number> {
  if (latest.length === 0) return 0;
  const result = await sql`
    update trucks t set
      last_location = st_setsrid(st_makepoint(p.lng, p.lat), 4326)::geography,
      last_fix_at = p.fix_time,
      last_speed_kmh = p.speed_kmh,
      last_heading_deg = p.heading_deg,
      last_ignition = p.ignition,
      updated_at = now()
    from unnest(
      ${pgArray(latest.map((r) => r.truckId))}::uuid[],
      ${pgArray(latest.map((r) => r.fixTime))}::timestamptz[],
      ${pgArray(latest.map((r) => r.lng))}::float8[],
      ${pgArray(latest.map((r) => r.lat))}::float8[],
      ${pgArray(latest.map((r) => r.speedKmh))}::real[],
      ${pgArray(latest.map((r) => r.headingDeg))}::real[],
      ${pgArray(latest.map((r) => r.ignition))}::boolean[]
    ) as p(truck_id, fix_time, lng, lat, speed_kmh, heading_deg, ignition)
    where t.id = p.truck_id and (t.last_fix_at is null or t.last_fix_at < p.fix_time)`;
  return result.count;
}

/** Creates daily partitions from `fromDay` (UTC) for `days` days; returns how many were new. */
export async function ensurePositionPartitions(sql: Sql, fromDay: string, days: number): Promise<number> {
  const [row] = await sql`select ensure_position_partitions(${fromDay}::date, ${days}) as made`;
  return Number(row!.made);
}
