import { z } from 'zod';
import * as db from '../db/analytics.ts';
import type { Sql } from '../db/client.ts';
import {
  type Interval,
  onTripInterval,
  type TatReport,
  type TruckActivity,
  tatReport as tatArithmetic,
  type UtilizationReport,
  utilization,
} from '../domain/analytics.ts';
import { localDate, localDayBounds, parseDate } from '../domain/time.ts';
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

export interface DailyReport {
  date: string;
  window: db.Window;
  trips: db.TripCounts;
  kmDriven: { total: number; byTruck: db.TruckKm[] };
  alerts: { total: number; byType: Record<string, number> };
}

export interface RangeReport {
  from: string;
  to: string;
}

/** The instants a range of Lagos dates covers: from's midnight to the midnight after `to`. */
function rangeWindow(from: string, to: string): db.Window {
  return { start: localDayBounds(from).start, end: localDayBounds(to).end };
}

/** Trips started, completed, in progress at the day's end and cancelled; km driven; alerts by type. */
export async function dailyReport(
  sql: Sql,
  actor: Actor,
  input: unknown = {},
  clock: Clock = {},
): Promise<DailyReport> {
  requireRole(actor, 'viewer', 'see reports');
  const parsed = parseOrThrow(dailyReportSchema, input ?? {}, 'report date');
  const date = parsed.date ?? localDate(clock.now ?? new Date());
  const window = localDayBounds(date);
  const [trips, km, alerts] = await Promise.all([
    db.tripCounts(sql, window),
    db.kmDriven(sql, window),
    db.alertCounts(sql, window),
  ]);
  return {
    date,
    window,
    trips,
    kmDriven: { total: km.totalKm, byTruck: km.trucks },
    alerts: {
      total: alerts.reduce((sum, a) => sum + a.count, 0),
      byType: Object.fromEntries(alerts.map((a) => [a.type, a.count])),
    },
  };
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
  const now = clock.now ?? new Date();
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
  return { from, to, ...utilization({ from, to, now, trucks: activity }) };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Trucks whose last fix is within the radius of a point, nearest first, with the distance in metres. */
export async function trucksNear(sql: Sql, actor: Actor, input: unknown): Promise<db.TruckNear[]> {
  requireRole(actor, 'viewer', 'find trucks near a place');
  const q = parseOrThrow(trucksNearSchema, input, 'location query');
  return db.trucksNear(sql, q);
}
