import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

// Reads behind the reports: trip counts, km driven, alert counts, trip timestamps for TAT, on-trip and moving
// intervals for utilization, and trucks near a point. Every window is a half-open [start, end) of instants
// (a Lagos day is 23:00Z to 23:00Z); src/fleet/analytics.ts turns local dates into windows.
//
// vehicle_positions is partitioned by fix_time, so every query on it bounds fix_time by a literal range of
// parameters: the planner (or executor, for a generic plan) then reads only the day partitions involved.

type Q = Sql | TxSql;

export interface Window {
  start: Date;
  end: Date;
}

// ---------------------------------------------------------------------------------------------------------
// Trips

export interface TripCounts {
  /** Dispatched in the window (or, never dispatched, arrived at the pickup in it). */
  started: number;
  completed: number;
  /** Started before the window ended and neither completed nor cancelled by then. */
  inProgress: number;
  cancelled: number;
}

// A trip created already at the pickup has no dispatch time; it starts when it arrived there, the same rule
// tripStages in src/domain/analytics.ts uses for its total.
export async function tripCounts(sql: Q, w: Window): Promise<TripCounts> {
  const [row] = await sql`
    with t as (
      select coalesce(dispatched_at, arrived_pickup_at) as started_at, completed_at, cancelled_at from trips
    )
    select
      count(*) filter (where started_at >= ${w.start} and started_at < ${w.end})::int as started,
      count(*) filter (where completed_at >= ${w.start} and completed_at < ${w.end})::int as completed,
      count(*) filter (where started_at < ${w.end}
                         and (completed_at is null or completed_at >= ${w.end})
                         and (cancelled_at is null or cancelled_at >= ${w.end}))::int as in_progress,
      count(*) filter (where cancelled_at >= ${w.start} and cancelled_at < ${w.end})::int as cancelled
    from t`;
  return {
    started: row!.started as number,
    completed: row!.completed as number,
    inProgress: row!.in_progress as number,
    cancelled: row!.cancelled as number,
  };
}

export interface CompletedTrip {
  tripNumber: string;
  origin: string;
  destination: string;
  dispatchedAt: Date | null;
  arrivedPickupAt: Date | null;
  departedPickupAt: Date | null;
  arrivedDropoffAt: Date | null;
  deliveredAt: Date | null;
  completedAt: Date;
}

/** Trips completed in the window with their stage timestamps and lane names, oldest completion first. */
export async function completedTrips(sql: Q, w: Window): Promise<CompletedTrip[]> {
  const rows = await sql`
    select t.trip_number, o.name as origin, d.name as destination, t.dispatched_at, t.arrived_pickup_at,
           t.departed_pickup_at, t.arrived_dropoff_at, t.delivered_at, t.completed_at
    from trips t
    join geofences o on o.id = t.origin_geofence_id
    join geofences d on d.id = t.destination_geofence_id
    where t.status = 'completed' and t.completed_at >= ${w.start} and t.completed_at < ${w.end}
    order by t.completed_at, t.trip_number`;
  return rows.map((r) => ({
    tripNumber: r.trip_number as string,
    origin: r.origin as string,
    destination: r.destination as string,
    dispatchedAt: (r.dispatched_at as Date | null) ?? null,
    arrivedPickupAt: (r.arrived_pickup_at as Date | null) ?? null,
    departedPickupAt: (r.departed_pickup_at as Date | null) ?? null,
    arrivedDropoffAt: (r.arrived_dropoff_at as Date | null) ?? null,
    deliveredAt: (r.delivered_at as Date | null) ?? null,
    completedAt: r.completed_at as Date,
  }));
}

export interface TripSpan {
  truckId: string;
  /** dispatched_at, or arrived_pickup_at for a trip created at the pickup. */
  startedAt: Date;
  completedAt: Date | null;
  cancelledAt: Date | null;
}

/** Trips whose truck was busy at some point of the window (still open ones included). */
export async function tripSpans(sql: Q, w: Window): Promise<TripSpan[]> {
  const rows = await sql`
    select truck_id, coalesce(dispatched_at, arrived_pickup_at) as started_at, completed_at, cancelled_at
    from trips
    where truck_id is not null
      and coalesce(dispatched_at, arrived_pickup_at) < ${w.end}
      and coalesce(completed_at, cancelled_at, 'infinity') > ${w.start}
    order by truck_id, started_at`;
  return rows.map((r) => ({
    truckId: r.truck_id as string,
    startedAt: r.started_at as Date,
    completedAt: (r.completed_at as Date | null) ?? null,
    cancelledAt: (r.cancelled_at as Date | null) ?? null,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Distance

// The same thresholds as kmDriven in src/domain/analytics.ts (not exported there); test/fleet/analytics.test.ts
// checks the two give the same km on the same fixes.
export const MIN_HOP_M = 5;
export const MAX_PLAUSIBLE_KMH = 200;
// A hop that ends in the window counts for the window even when it began just before it (a truck driving
// through midnight), so fixes this far back are read too; a longer gap across the boundary is lost.
const LOOKBACK = '10 minutes';

export interface TruckKm {
  truckId: string;
  truckNumber: string;
  km: number;
}

export interface KmDriven {
  totalKm: number;
  trucks: TruckKm[];
}

/**
 * Kilometres driven in the window per truck (trucks with no fixes left out) and in total, summed in SQL
 * over consecutive fixes. It mirrors kmDriven in src/domain/analytics.ts on what matters in practice:
 *
 * - a hop under 5 m (a parked truck's jitter) counts nothing;
 * - a hop implying more than 200 km/h counts nothing; when the fix before was an isolated spike (implausible
 *   on both sides), the hop from the fix before the spike is counted instead, so the spike costs no
 *   distance, just as the domain drops the suspect and carries on from its anchor;
 * - a glitched first fix is skipped and counting resumes from the next one.
 *
 * Where they differ: the domain keeps its reference point through sub-5 m hops, so a truck creeping 3 m per
 * fix adds up there and not here, and jitter wandering more than 5 m between two fixes counts here. Distances
 * are on the sphere (`use_spheroid = false`, PostGIS's mean radius), as the domain's haversine is.
 */
export async function kmDriven(sql: Q, w: Window): Promise<KmDriven> {
  const rows = await sql`
    with fixes as (
      select truck_id, fix_time as t, location as p,
             lag(fix_time, 1) over w as t1, lag(location, 1) over w as p1,
             lag(fix_time, 2) over w as t2, lag(location, 2) over w as p2
      from vehicle_positions
      where fix_time >= ${w.start}::timestamptz - ${LOOKBACK}::interval and fix_time < ${w.end}
      window w as (partition by truck_id order by fix_time)
    ),
    hops as (
      select truck_id,
             st_distance(p1, p, false) as d1,
             extract(epoch from t - t1) as s1,
             st_distance(p2, p, false) as d2,
             extract(epoch from t - t2) as s2,
             st_distance(p2, p1, false) as d21,
             extract(epoch from t1 - t2) as s21
      from fixes
      where t >= ${w.start} and t1 is not null
    ),
    counted as (
      select truck_id, sum(
        case
          when d1 / s1 * 3.6 <= ${MAX_PLAUSIBLE_KMH} then case when d1 >= ${MIN_HOP_M} then d1 else 0 end
          when d21 / s21 * 3.6 > ${MAX_PLAUSIBLE_KMH} and d2 / s2 * 3.6 <= ${MAX_PLAUSIBLE_KMH}
               and d2 >= ${MIN_HOP_M} then d2
          else 0
        end) as m
      from hops
      group by truck_id
    )
    select c.truck_id, t.truck_number, c.m / 1000 as km, sum(c.m) over () / 1000 as total_km
    from counted c join trucks t on t.id = c.truck_id
    order by t.truck_number`;
  return {
    totalKm: rows.length ? Number(rows[0]!.total_km) : 0,
    trucks: rows.map((r) => ({
      truckId: r.truck_id as string,
      truckNumber: r.truck_number as string,
      km: Number(r.km),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Moving

// movingIntervals' defaults in src/domain/analytics.ts: a fix at 5 km/h or more is moving; two moving fixes
// more than 5 minutes apart say nothing about the time between them.
export const MOVING_MIN_SPEED_KMH = 5;
export const MOVING_MAX_GAP_S = 300;

export interface TruckInterval {
  truckId: string;
  start: Date;
  end: Date;
}

/**
 * When each truck was moving, merged into stretches in SQL (gaps and islands): the gap between two
 * consecutive fixes counts when both are at or above 5 km/h and at most 5 minutes apart, as
 * movingIntervals in the domain does. Stretches may begin up to 5 minutes before the window (a pair straddling
 * its start); callers clip.
 */
export async function movingIntervals(sql: Q, w: Window): Promise<TruckInterval[]> {
  const rows = await sql`
    with fixes as (
      select truck_id, fix_time, speed_kmh,
             lag(fix_time) over w as prev_time, lag(speed_kmh) over w as prev_speed
      from vehicle_positions
      where fix_time >= ${w.start}::timestamptz - make_interval(secs => ${MOVING_MAX_GAP_S})
        and fix_time < ${w.end}
      window w as (partition by truck_id order by fix_time)
    ),
    pairs as (
      select truck_id, prev_time as start_at, fix_time as end_at,
             lag(fix_time) over (partition by truck_id order by prev_time) as prev_end
      from fixes
      where prev_speed >= ${MOVING_MIN_SPEED_KMH} and speed_kmh >= ${MOVING_MIN_SPEED_KMH}
        and fix_time - prev_time <= make_interval(secs => ${MOVING_MAX_GAP_S})
    ),
    islands as (
      select truck_id, start_at, end_at,
             sum(case when start_at = prev_end then 0 else 1 end)
               over (partition by truck_id order by start_at) as island
      from pairs
    )
    select truck_id, min(start_at) as start_at, max(end_at) as end_at
    from islands
    group by truck_id, island
    order by truck_id, start_at`;
  return rows.map((r) => ({
    truckId: r.truck_id as string,
    start: r.start_at as Date,
    end: r.end_at as Date,
  }));
}

export interface TruckName {
  id: string;
  truckNumber: string;
}

/** Active trucks, plus any of `alsoIds` whatever their status (one that worked in the window counts). */
export async function trucksToCount(sql: Q, alsoIds: readonly string[] = []): Promise<TruckName[]> {
  const rows = await sql`
    select id, truck_number from trucks
    where status = 'active' or id = any(${pgArray(alsoIds)}::uuid[])
    order by truck_number`;
  return rows.map((r) => ({ id: r.id as string, truckNumber: r.truck_number as string }));
}

// ---------------------------------------------------------------------------------------------------------
// Alerts

/**
 * What counts as an alert: LocoNav's own alert webhooks (written by the position writer as `loconav.<kind>`)
 * and the alerts Watch Tower raises itself (a truck gone quiet, a trip running late, overspeeding). Our
 * geofence enter/exit and trip/truck changes are routine events, not alerts. Listed rather than matched by
 * `like 'loconav.%'` so the (type, occurred_at) index answers; a new LocoNav kind must be added here (see
 * ALERT_EVENT in src/ingest/position-writer.ts).
 */
export const ALERT_EVENT_TYPES = [
  'loconav.geofence',
  'loconav.overspeed',
  'loconav.ignition',
  'loconav.idling',
  'loconav.device_offline',
  'truck.offline',
  'truck.overspeed',
  'trip.delayed',
] as const;

/** Alert events in the window by type (types with none left out), sorted by type. */
export async function alertCounts(sql: Q, w: Window): Promise<{ type: string; count: number }[]> {
  const rows = await sql`
    select type, count(*)::int as n from events
    where type = any(${pgArray(ALERT_EVENT_TYPES)}::text[])
      and occurred_at >= ${w.start} and occurred_at < ${w.end}
    group by type
    order by type`;
  return rows.map((r) => ({ type: r.type as string, count: r.n as number }));
}

export interface TruckAlerts {
  truckId: string;
  truckNumber: string;
  count: number;
  /** The alert types it raised, most frequent first. */
  types: string[];
}

/**
 * The trucks that raised the most alerts in the window, most first (ties by truck number). An alert about a
 * trip counts for the trip's truck. Alerts about no known truck are left out.
 */
export async function topAlertTrucks(sql: Q, w: Window, limit: number): Promise<TruckAlerts[]> {
  const rows = await sql`
    with alerts as (
      select coalesce(tk.id, tr.truck_id) as truck_id, e.type
      from events e
      left join trucks tk on e.entity_type = 'truck' and tk.id::text = e.entity_id
      left join trips tr on e.entity_type = 'trip' and tr.id::text = e.entity_id
      where e.type = any(${pgArray(ALERT_EVENT_TYPES)}::text[])
        and e.occurred_at >= ${w.start} and e.occurred_at < ${w.end}
    ),
    by_type as (
      select truck_id, type, count(*)::int as n from alerts where truck_id is not null group by truck_id, type
    )
    select b.truck_id, t.truck_number, sum(b.n)::int as n,
           array_agg(b.type order by b.n desc, b.type) as types
    from by_type b join trucks t on t.id = b.truck_id
    group by b.truck_id, t.truck_number
    order by n desc, t.truck_number
    limit ${limit}`;
  return rows.map((r) => ({
    truckId: r.truck_id as string,
    truckNumber: r.truck_number as string,
    count: r.n as number,
    types: r.types as string[],
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Offline

export interface OfflineTruck {
  truckId: string;
  truckNumber: string;
  /** Null for a truck that never reported. */
  lastFixAt: Date | null;
}

/**
 * Active trucks silent at `at`: their last fix is more than `silentAfterMs` old, or they never reported.
 * Longest silent first (never reported before all), then by truck number.
 */
export async function offlineTrucks(sql: Q, at: Date, silentAfterMs: number): Promise<OfflineTruck[]> {
  const rows = await sql`
    select id, truck_number, last_fix_at from trucks
    where status = 'active'
      and (last_fix_at is null
           or last_fix_at < ${at}::timestamptz - make_interval(secs => ${silentAfterMs / 1000}))
    order by last_fix_at nulls first, truck_number`;
  return rows.map((r) => ({
    truckId: r.id as string,
    truckNumber: r.truck_number as string,
    lastFixAt: (r.last_fix_at as Date | null) ?? null,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Near a point

export interface TruckNear {
  truckId: string;
  truckNumber: string;
  lat: number;
  lng: number;
  distanceM: number;
  lastFixAt: Date | null;
  speedKmh: number | null;
}

/**
 * Trucks whose last location is within `radiusM` of the point, nearest first: ST_DWithin on geography over
 * the fleet's rows (no spatial index on them: it made every position write costlier, see migration 006, and
 * the REST API answers from its in-memory fleet view); ST_Distance ranks them. Both on the sphere
 * (`use_spheroid = false`, as the domain's haversine): within 0.6% of the spheroid and about 40% cheaper,
 * on the API's most expensive read.
 */
export async function trucksNear(
  sql: Q,
  q: { lat: number; lng: number; radiusM: number; limit: number },
): Promise<TruckNear[]> {
  const rows = await sql`
    with here as (select st_setsrid(st_makepoint(${q.lng}, ${q.lat}), 4326)::geography as g)
    select t.id, t.truck_number, t.last_fix_at, t.last_speed_kmh,
           st_y(t.last_location::geometry) as lat, st_x(t.last_location::geometry) as lng,
           st_distance(t.last_location, here.g, false) as distance_m
    from trucks t, here
    where st_dwithin(t.last_location, here.g, ${q.radiusM}, false)
    order by distance_m, t.truck_number
    limit ${q.limit}`;
  return rows.map((r) => ({
    truckId: r.id as string,
    truckNumber: r.truck_number as string,
    lat: Number(r.lat),
    lng: Number(r.lng),
    distanceM: Number(r.distance_m),
    lastFixAt: (r.last_fix_at as Date | null) ?? null,
    speedKmh: r.last_speed_kmh === null ? null : Number(r.last_speed_kmh),
  }));
}
