import type { TripStatus } from '../domain/trip-state.ts';
import { STATUS_TIMESTAMP } from '../domain/trip-state.ts';
import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';
import { isUuid } from './trucks.ts';

// Trips as stored, read back with their truck's number and their geofences' names (what every card, reply
// and report shows). Writes are guarded by `version`: an update names the version it read and changes
// nothing (undefined) when someone else got there first.

type Q = Sql | TxSql;

export interface TripRow {
  id: string;
  tripNumber: string;
  status: TripStatus;
  truckId: string | null;
  truckNumber: string | null;
  originGeofenceId: string;
  originName: string;
  destinationGeofenceId: string;
  destinationName: string;
  client: string | null;
  cargo: string | null;
  plannedStartAt: Date | null;
  eta: Date | null;
  dispatchedAt: Date | null;
  arrivedPickupAt: Date | null;
  departedPickupAt: Date | null;
  arrivedDropoffAt: Date | null;
  deliveredAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  slackChannel: string | null;
  slackTs: string | null;
  version: number;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewTrip {
  truckId: string | null;
  originGeofenceId: string;
  destinationGeofenceId: string;
  client: string | null;
  cargo: string | null;
  plannedStartAt: Date | null;
  eta: Date | null;
  createdBy: string;
}

export interface TripFilters {
  /** Only these statuses; undefined: any. */
  statuses?: readonly TripStatus[];
  /** Created, or planned to start, within [from, to). */
  from?: Date;
  to?: Date;
  truckId?: string;
  limit: number;
  offset: number;
}

export interface TrackPoint {
  lng: number;
  lat: number;
  fixTime: Date;
}

export interface TripPath {
  /** Fixes in the window before thinning. */
  total: number;
  /** At most `maxPoints`, evenly spread, always keeping the first and the last. */
  points: TrackPoint[];
}

const TRIP_NUMBER = /^(?:TRP)?[-\s]*0*(\d{1,12})$/i;

/** `TRP-000042`; past six digits the number is written in full, as migration 002 does. */
export function formatTripNumber(n: number): string {
  return `TRP-${String(n).padStart(6, '0')}`;
}

/** `TRP-000042`, `trp-42`, `42` → `TRP-000042`; undefined when it is not a trip number. */
export function parseTripNumber(key: string): string | undefined {
  const m = TRIP_NUMBER.exec(key.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? formatTripNumber(n) : undefined;
}

const date = (v: unknown) => (v as Date | null) ?? null;
const text = (v: unknown) => (v as string | null) ?? null;

function toTrip(r: Record<string, unknown>): TripRow {
  return {
    id: r.id as string,
    tripNumber: r.trip_number as string,
    status: r.status as TripStatus,
    truckId: text(r.truck_id),
    truckNumber: text(r.truck_number),
    originGeofenceId: r.origin_geofence_id as string,
    originName: r.origin_name as string,
    destinationGeofenceId: r.destination_geofence_id as string,
    destinationName: r.destination_name as string,
    client: text(r.client),
    cargo: text(r.cargo),
    plannedStartAt: date(r.planned_start_at),
    eta: date(r.eta),
    dispatchedAt: date(r.dispatched_at),
    arrivedPickupAt: date(r.arrived_pickup_at),
    departedPickupAt: date(r.departed_pickup_at),
    arrivedDropoffAt: date(r.arrived_dropoff_at),
    deliveredAt: date(r.delivered_at),
    completedAt: date(r.completed_at),
    cancelledAt: date(r.cancelled_at),
    cancelReason: text(r.cancel_reason),
    slackChannel: text(r.slack_channel),
    slackTs: text(r.slack_ts),
    version: Number(r.version),
    createdBy: r.created_by as string,
    updatedBy: r.updated_by as string,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** `select … from <trips, or a CTE of written trips> t` with the truck number and geofence names joined. */
const withNames = (sql: Q, from: 'trips' | 'written') => sql`
  select t.*, k.truck_number, o.name as origin_name, d.name as destination_name
  from ${sql(from)} t
  left join trucks k on k.id = t.truck_id
  join geofences o on o.id = t.origin_geofence_id
  join geofences d on d.id = t.destination_geofence_id`;

export async function insertTrip(sql: Q, trip: NewTrip): Promise<TripRow> {
  const [row] = await sql`
    with written as (
      insert into trips (truck_id, origin_geofence_id, destination_geofence_id, client, cargo,
                         planned_start_at, eta, created_by, updated_by)
      values (${trip.truckId}, ${trip.originGeofenceId}, ${trip.destinationGeofenceId}, ${trip.client},
              ${trip.cargo}, ${trip.plannedStartAt}, ${trip.eta}, ${trip.createdBy}, ${trip.createdBy})
      returning *)
    ${withNames(sql, 'written')}`;
  return toTrip(row!);
}

/** By uuid, or by trip number in any of the forms `parseTripNumber` reads. */
export async function getTrip(sql: Q, key: string): Promise<TripRow | undefined> {
  const trimmed = key.trim();
  if (isUuid(trimmed)) {
    const [row] = await sql`${withNames(sql, 'trips')} where t.id = ${trimmed}`;
    return row ? toTrip(row) : undefined;
  }
  const number = parseTripNumber(trimmed);
  if (!number) return undefined;
  const [row] = await sql`${withNames(sql, 'trips')} where t.trip_number = ${number}`;
  return row ? toTrip(row) : undefined;
}

/** Newest first. */
export async function listTrips(sql: Q, f: TripFilters): Promise<TripRow[]> {
  const statuses = f.statuses ? pgArray(f.statuses) : null;
  const from = f.from ?? null;
  const to = f.to ?? null;
  const rows = await sql`
    ${withNames(sql, 'trips')}
    where (${statuses}::text[] is null or t.status = any(${statuses}::text[]))
      and (${f.truckId ?? null}::uuid is null or t.truck_id = ${f.truckId ?? null})
      and (${from}::timestamptz is null
           or (t.created_at >= ${from} and t.created_at < ${to})
           or (t.planned_start_at >= ${from} and t.planned_start_at < ${to}))
    order by t.created_at desc, t.trip_number desc
    limit ${f.limit} offset ${f.offset}`;
  return rows.map(toTrip);
}

/** Which of these trucks (ids that are not uuids are on none) are on an open trip: one index probe each. */
export async function trucksOnOpenTrips(sql: Q, truckIds: string[]): Promise<Set<string>> {
  const ids = truckIds.filter(isUuid);
  if (ids.length === 0) return new Set();
  const rows = await sql`
    select truck_id from trips
    where truck_id = any(${pgArray(ids)}::uuid[]) and status not in ('completed', 'cancelled')`;
  return new Set(rows.map((r) => r.truck_id as string));
}

/** The trip holding the truck (anything not completed or cancelled), if any. */
export async function getActiveTripForTruck(
  sql: Q,
  truckId: string,
  opts: { exceptTripId?: string } = {},
): Promise<TripRow | undefined> {
  const [row] = await sql`
    ${withNames(sql, 'trips')}
    where t.truck_id = ${truckId} and t.status not in ('completed', 'cancelled')
      and (${opts.exceptTripId ?? null}::uuid is null or t.id <> ${opts.exceptTripId ?? null})
    order by t.created_at desc
    limit 1`;
  return row ? toTrip(row) : undefined;
}

export interface StatusUpdate {
  id: string;
  expectedVersion: number;
  status: TripStatus;
  /** Stamped on the status's own column (STATUS_TIMESTAMP). */
  at: Date;
  updatedBy: string;
  /** Only for `cancelled`. */
  cancelReason?: string | null;
}

/** Moves the trip and stamps its stage; undefined when the version no longer matches (or no such trip). */
export async function updateTripStatus(sql: Q, u: StatusUpdate): Promise<TripRow | undefined> {
  const column = STATUS_TIMESTAMP[u.status];
  if (!column) throw new Error(`status ${u.status} has no timestamp column; trips are created planned`);
  const [row] = await sql`
    with written as (
      update trips set
        status = ${u.status}, ${sql(column)} = ${u.at},
        cancel_reason = coalesce(${u.cancelReason ?? null}, cancel_reason),
        updated_by = ${u.updatedBy}, updated_at = now(), version = version + 1
      where id = ${u.id} and version = ${u.expectedVersion}
      returning *)
    ${withNames(sql, 'written')}`;
  return row ? toTrip(row) : undefined;
}

/** Puts a truck on the trip; undefined when the version no longer matches. */
export async function setTripTruck(
  sql: Q,
  u: { id: string; expectedVersion: number; truckId: string; updatedBy: string },
): Promise<TripRow | undefined> {
  const [row] = await sql`
    with written as (
      update trips set truck_id = ${u.truckId}, updated_by = ${u.updatedBy}, updated_at = now(),
                       version = version + 1
      where id = ${u.id} and version = ${u.expectedVersion}
      returning *)
    ${withNames(sql, 'written')}`;
  return row ? toTrip(row) : undefined;
}

/**
 * The truck's fixes in [from, to], in fix-time order, thinned evenly to at most `maxPoints` (the first and
 * the last always kept) so a week-long trip at 1 Hz still draws in a browser.
 */
export async function tripPath(
  sql: Q,
  truckId: string,
  from: Date,
  to: Date,
  maxPoints: number,
): Promise<TripPath> {
  if (maxPoints < 2) throw new RangeError('maxPoints must be at least 2');
  // Row i is kept when floor(i·(max−1)/(n−1)) steps up: exactly `maxPoints` rows, first and last included.
  const rows = await sql`
    with p as (
      select fix_time, st_x(location::geometry) as lng, st_y(location::geometry) as lat,
             row_number() over (order by fix_time) - 1 as i, count(*) over () as n
      from vehicle_positions
      where truck_id = ${truckId} and fix_time >= ${from} and fix_time <= ${to})
    select fix_time, lng, lat, n from p
    where n <= ${maxPoints}
       or i = 0
       or (i * ${maxPoints - 1}::bigint) / (n - 1) > ((i - 1) * ${maxPoints - 1}::bigint) / (n - 1)
    order by fix_time`;
  return {
    total: rows.length > 0 ? Number(rows[0]!.n) : 0,
    points: rows.map((r) => ({ lng: Number(r.lng), lat: Number(r.lat), fixTime: r.fix_time as Date })),
  };
}

/**
 * Where a trip's Slack card is, so later changes update that one message in place. Not a change to the
 * trip anyone could conflict with: no version bump, no event.
 */
export async function setTripSlackCard(sql: Q, tripId: string, channel: string, ts: string): Promise<void> {
  await sql`update trips set slack_channel = ${channel}, slack_ts = ${ts} where id = ${tripId}`;
}
