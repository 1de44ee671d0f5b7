import { z } from 'zod';
import * as db from '../db/analytics.ts';
import type { Sql } from '../db/client.ts';
import {
  type Interval,
  type LaneTat,
  onTripInterval,
  type Summary,
  type TatReport,
  type TruckActivity,
  tatReport as tatArithmetic,
  type UtilizationReport,
  utilization,
} from '../domain/analytics.ts';
import { DEFAULT_OFFLINE_AFTER_MS } from '../domain/offline.ts';
import { addDays, localDate, localDayBounds, parseDate } from '../domain/time.ts';
import { type Actor, requireRole } from './actor.ts';
import { MAX_PAGE } from './trucks.ts';
import { objectErrors, parseOrThrow } from './validation.ts';

// Report use cases (viewer and up), the same for REST, Slack, the agent and the daily-report job. Dates are
// Lagos calendar dates; src/db/analytics.ts reads, src/domain/analytics.ts does the arithmetic.

export const MAX_RANGE_DAYS = 92;
export const DEFAULT_NEAR_RADIUS_M = 5_000;
export const MAX_NEAR_RADIUS_M = 50_000;

// The same as in fleet/trucks.ts and fleet/geofences.ts: unknown keys are refused, not silently dropped.
const localDateField = (field: string) =>
  z
    .string({ error: `${field}: expected a date as YYYY-MM-DD, e.g. 2025-01-10` })
    .refine((s) => parseDate(s) !== null, {
      error: `${field}: expected a date as YYYY-MM-DD, e.g. 2025-01-10`,
    })
    .meta({ description: 'A Lagos calendar date, YYYY-MM-DD.' });

export const dailyReportSchema = z.strictObject(
  {
    date: localDateField('date')
      .optional()
      .meta({ description: 'A Lagos calendar date, YYYY-MM-DD; today in Lagos when left out.' }),
  },
  { error: objectErrors('date') },
);

/** Days from `from` to `to`, both included. */
function daysIncluded(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

export const dateRangeSchema = z
  .strictObject(
    {
      from: localDateField('from').meta({ description: 'First Lagos date, YYYY-MM-DD (included).' }),
      to: localDateField('to').meta({ description: 'Last Lagos date, YYYY-MM-DD (included).' }),
    },
    { error: objectErrors('from, to') },
  )
  .superRefine((r, ctx) => {
    if (r.from > r.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `must be on or after from (${r.from})` });
    } else if (daysIncluded(r.from, r.to) > MAX_RANGE_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `at most ${MAX_RANGE_DAYS} days after from, both included (${r.from} to ${r.to} is ${daysIncluded(r.from, r.to)} days)`,
      });
    }
  });

export type DailyReportInput = z.input<typeof dailyReportSchema>;
export type DateRangeInput = z.input<typeof dateRangeSchema>;

const wholeNumber = (field: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${field}: expected a whole number from ${min} to ${max}` })
    .int({ error: `${field}: expected a whole number from ${min} to ${max}` })
    .min(min, { error: `${field}: expected a whole number from ${min} to ${max}` })
    .max(max, { error: `${field}: expected a whole number from ${min} to ${max}` });

const nearFields = {
  lat: z.coerce
    .number({ error: 'lat: expected a latitude from -90 to 90' })
    .min(-90, { error: 'lat: expected a latitude from -90 to 90' })
    .max(90, { error: 'lat: expected a latitude from -90 to 90' })
    .meta({ description: 'Latitude of the point, WGS 84 degrees.' }),
  lng: z.coerce
    .number({ error: 'lng: expected a longitude from -180 to 180' })
    .min(-180, { error: 'lng: expected a longitude from -180 to 180' })
    .max(180, { error: 'lng: expected a longitude from -180 to 180' })
    .meta({ description: 'Longitude of the point, WGS 84 degrees.' }),
  limit: wholeNumber('limit', 1, MAX_PAGE)
    .default(50)
    .meta({ description: `At most this many trucks, nearest first (1 to ${MAX_PAGE}).` }),
};

const nearRadius = (field: string) =>
  z.coerce
    .number({ error: `${field}: expected metres from 1 to ${MAX_NEAR_RADIUS_M}` })
    .positive({ error: `${field}: expected metres from 1 to ${MAX_NEAR_RADIUS_M}` })
    .max(MAX_NEAR_RADIUS_M, { error: `${field}: expected metres from 1 to ${MAX_NEAR_RADIUS_M}` })
    .default(DEFAULT_NEAR_RADIUS_M)
    .meta({ description: `Search radius in metres (default ${DEFAULT_NEAR_RADIUS_M}).` });

export const trucksNearSchema = z.strictObject(
  { ...nearFields, radiusM: nearRadius('radiusM') },
  { error: objectErrors('lat, lng, radiusM, limit') },
);

/** The REST spelling of the same question (`?lat=&lng=&radius=&limit=`). */
export const trucksNearQuerySchema = z.strictObject(
  { ...nearFields, radius: nearRadius('radius') },
  { error: objectErrors('lat, lng, radius, limit') },
);

export type TrucksNearInput = z.input<typeof trucksNearSchema>;

export interface Clock {
  /** Defaults to the current time; tests pin it. */
  now?: Date;
}

/** A truck is offline when nothing was heard from it for this long (the same as the truck card). */
export const OFFLINE_AFTER_MS = DEFAULT_OFFLINE_AFTER_MS;
/** Days the daily report compares each lane's turnaround with. */
export const TAT_BASELINE_DAYS = 7;
export const TOP_ALERT_TRUCKS = 5;

export interface LaneComparison {
  lane: string;
  origin: string;
  destination: string;
  /** Total turnaround of the trips completed on the day (count, median, p90 in seconds). */
  day: Summary;
  /** The same over the TAT_BASELINE_DAYS days before; count 0 when the lane had none. */
  baseline: Summary;
}

export interface DailyReport {
  date: string;
  window: db.Window;
  trips: db.TripCounts;
  kmDriven: { total: number; byTruck: db.TruckKm[] };
  alerts: { total: number; byType: Record<string, number>; topTrucks: db.TruckAlerts[] };
  /** Lanes with a trip completed on the day, busiest first. */
  tat: { baselineFrom: string; baselineTo: string; lanes: LaneComparison[] };
  /** The fleet's mean share of the day on a trip and moving (the elapsed part, for today). */
  utilization: { trucks: number; onTripShare: number | null; movingShare: number | null };
  /** Active trucks silent at `at` (when the report was made, not the day's end: what to chase now). */
  offline: { at: Date; trucks: db.OfflineTruck[] };
}

export interface RangeReport {
  from: string;
  to: string;
}

/** The instants a range of Lagos dates covers: from's midnight to the midnight after `to`. */
function rangeWindow(from: string, to: string): db.Window {
  return { start: localDayBounds(from).start, end: localDayBounds(to).end };
}

/**
 * Trips started, completed, in progress at the day's end and cancelled; km driven; alerts by type and the
 * trucks that raised most; turnaround per lane against the 7 days before; utilization; trucks offline now.
 */
export async function dailyReport(
  sql: Sql,
  actor: Actor,
  input: unknown = {},
  clock: Clock = {},
): Promise<DailyReport> {
  requireRole(actor, 'viewer', 'see reports');
  const parsed = parseOrThrow(dailyReportSchema, input ?? {}, 'report date');
  const now = clock.now ?? new Date();
  const date = parsed.date ?? localDate(now);
  const window = localDayBounds(date);
  const baselineFrom = addDays(date, -TAT_BASELINE_DAYS);
  const baselineTo = addDays(date, -1);
  const [trips, km, alerts, topTrucks, dayTrips, baselineTrips, use, offline] = await Promise.all([
    db.tripCounts(sql, window),
    db.kmDriven(sql, window),
    db.alertCounts(sql, window),
    db.topAlertTrucks(sql, window, TOP_ALERT_TRUCKS),
    db.completedTrips(sql, window),
    db.completedTrips(sql, rangeWindow(baselineFrom, baselineTo)),
    fleetUtilization(sql, date, date, now),
    db.offlineTrucks(sql, now, OFFLINE_AFTER_MS),
  ]);
  const theDay = use.days[0];
  return {
    date,
    window,
    trips,
    kmDriven: { total: km.totalKm, byTruck: km.trucks },
    alerts: {
      total: alerts.reduce((sum, a) => sum + a.count, 0),
      byType: Object.fromEntries(alerts.map((a) => [a.type, a.count])),
      topTrucks,
    },
    tat: {
      baselineFrom,
      baselineTo,
      lanes: compareLanes(tatArithmetic(dayTrips).lanes, tatArithmetic(baselineTrips).lanes),
    },
    utilization: {
      trucks: use.trucks.length,
      onTripShare: theDay?.onTripShare ?? null,
      movingShare: theDay?.movingShare ?? null,
    },
    offline: { at: now, trucks: offline },
  };
}

const NO_TRIPS: Summary = { count: 0, median: null, p90: null };

/** The day's lanes, each with the same lane's baseline; busiest first, then by name. */
function compareLanes(day: readonly LaneTat[], baseline: readonly LaneTat[]): LaneComparison[] {
  const before = new Map(baseline.map((l) => [l.lane, l.total]));
  return day
    .map((l) => ({
      lane: l.lane,
      origin: l.origin,
      destination: l.destination,
      day: l.total,
      baseline: before.get(l.lane) ?? NO_TRIPS,
    }))
    .sort((a, b) => b.day.count - a.day.count || (a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : 0));
}

/** Turnaround of the trips completed from `from` to `to` (Lagos dates): per trip, and median/p90 per lane. */
export async function tatReport(sql: Sql, actor: Actor, input: unknown): Promise<RangeReport & TatReport> {
  requireRole(actor, 'viewer', 'see reports');
  const { from, to } = parseOrThrow(dateRangeSchema, input, 'report range');
  const trips = await db.completedTrips(sql, rangeWindow(from, to));
  return { from, to, ...tatArithmetic(trips) };
}

/**
 * Share of each Lagos day each truck spent on a trip and moving, and the fleet's mean. Counts every active
 * truck (idle ones are the point) plus any truck that was on a trip or moving whatever its status now.
 */
export async function utilizationReport(
  sql: Sql,
  actor: Actor,
  input: unknown,
  clock: Clock = {},
): Promise<RangeReport & UtilizationReport> {
  requireRole(actor, 'viewer', 'see reports');
  const { from, to } = parseOrThrow(dateRangeSchema, input, 'report range');
  return { from, to, ...(await fleetUtilization(sql, from, to, clock.now ?? new Date())) };
}

async function fleetUtilization(sql: Sql, from: string, to: string, now: Date): Promise<UtilizationReport> {
  const window = rangeWindow(from, to);
  const [spans, moving] = await Promise.all([db.tripSpans(sql, window), db.movingIntervals(sql, window)]);

  const onTrip = new Map<string, Interval[]>();
  for (const s of spans) {
    const interval = onTripInterval(
      { dispatchedAt: s.startedAt, completedAt: s.completedAt, cancelledAt: s.cancelledAt },
      now,
    );
    if (interval) push(onTrip, s.truckId, interval);
  }
  const movingByTruck = new Map<string, Interval[]>();
  for (const m of moving) push(movingByTruck, m.truckId, { start: m.start, end: m.end });

  const trucks = await db.trucksToCount(sql, [...new Set([...onTrip.keys(), ...movingByTruck.keys()])]);
  const activity: TruckActivity[] = trucks.map((t) => ({
    truckId: t.id,
    truckNumber: t.truckNumber,
    onTrip: onTrip.get(t.id) ?? [],
    moving: movingByTruck.get(t.id) ?? [],
  }));
  return utilization({ from, to, now, trucks: activity });
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Trucks whose last fix is within the radius of a point, nearest first, with the distance in metres. */
/** Where "near" is answered from: the database by default, or the API's in-memory fleet view. */
export type NearSource = (q: { lat: number; lng: number; radiusM: number; limit: number }) => db.TruckNear[];

export async function trucksNear(
  sql: Sql,
  actor: Actor,
  input: unknown,
  source?: NearSource,
): Promise<db.TruckNear[]> {
  requireRole(actor, 'viewer', 'find trucks near a place');
  const q = parseOrThrow(trucksNearSchema, input, 'location query');
  return source ? source(q) : db.trucksNear(sql, q);
}
