// Turnaround (TAT), utilization and distance arithmetic. Pure: callers load trips and positions, this file
// only counts. Durations are in seconds, shares in 0..1, distances in km.

import { haversineM } from './geo.ts';
import { addDays, LAGOS, localDayBounds, parseDate } from './time.ts';

// ---------------------------------------------------------------------------------------------------------
// Percentiles

/**
 * The p-th percentile (0..1) by linear interpolation between the closest ranks: the same answer as
 * PostgreSQL's `percentile_cont`, so a report computed here and one computed in SQL agree.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile must be within 0..1, got ${p}`);
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface Summary {
  count: number;
  median: number | null;
  p90: number | null;
}

/** Count, median and p90 of the known values; unknown (null) values are left out, not counted as zero. */
export function summarize(values: readonly (number | null | undefined)[]): Summary {
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return { count: known.length, median: percentile(known, 0.5), p90: percentile(known, 0.9) };
}

// ---------------------------------------------------------------------------------------------------------
// Turnaround

export interface TripTimestamps {
  dispatchedAt?: Date | null;
  arrivedPickupAt?: Date | null;
  departedPickupAt?: Date | null;
  arrivedDropoffAt?: Date | null;
  deliveredAt?: Date | null;
  completedAt?: Date | null;
}

export interface TripStages {
  waitingAtPickupS: number | null;
  transitS: number | null;
  atDropoffS: number | null;
  returnS: number | null;
  totalS: number | null;
}

// An end before its start is a data error (a hand-entered time, a clock off on a device); it becomes
// unknown rather than a negative duration that would drag a median down.
function span(start: Date | null | undefined, end: Date | null | undefined): number | null {
  if (!start || !end) return null;
  const s = (end.getTime() - start.getTime()) / 1000;
  return s >= 0 ? s : null;
}

/** Stage durations in seconds; a stage missing either end is null, never 0. */
export function tripStages(trip: TripTimestamps): TripStages {
  return {
    waitingAtPickupS: span(trip.arrivedPickupAt, trip.departedPickupAt),
    transitS: span(trip.departedPickupAt, trip.arrivedDropoffAt),
    atDropoffS: span(trip.arrivedDropoffAt, trip.deliveredAt),
    returnS: span(trip.deliveredAt, trip.completedAt),
    // Trips created already at the pickup (no dispatch recorded) still have a turnaround.
    totalS: span(trip.dispatchedAt ?? trip.arrivedPickupAt, trip.completedAt),
  };
}

export interface TripTimes extends TripTimestamps {
  tripNumber: string;
  /** Origin and destination names as people know them (geofence names). */
  origin: string;
  destination: string;
}

export interface LaneTat {
  lane: string;
  origin: string;
  destination: string;
  count: number;
  total: Summary;
  waitingAtPickup: Summary;
  transit: Summary;
  atDropoff: Summary;
  return: Summary;
}

export interface TatReport {
  trips: { tripNumber: string; lane: string; stages: TripStages }[];
  lanes: LaneTat[];
}

export const laneName = (origin: string, destination: string): string => `${origin} → ${destination}`;

/** Per-trip stages and per-lane median/p90 of each stage; lanes sorted by name. */
export function tatReport(trips: readonly TripTimes[]): TatReport {
  const rows = trips.map((t) => ({
    tripNumber: t.tripNumber,
    lane: laneName(t.origin, t.destination),
    origin: t.origin,
    destination: t.destination,
    stages: tripStages(t),
  }));

  const byLane = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byLane.get(r.lane);
    if (list) list.push(r);
    else byLane.set(r.lane, [r]);
  }

  const lanes: LaneTat[] = [...byLane.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([lane, list]) => {
      const of = (key: keyof TripStages) => summarize(list.map((r) => r.stages[key]));
      return {
        lane,
        origin: list[0]!.origin,
        destination: list[0]!.destination,
        count: list.length,
        total: of('totalS'),
        waitingAtPickup: of('waitingAtPickupS'),
        transit: of('transitS'),
        atDropoff: of('atDropoffS'),
        return: of('returnS'),
      };
    });

  return { trips: rows.map(({ tripNumber, lane, stages }) => ({ tripNumber, lane, stages })), lanes };
}

// ---------------------------------------------------------------------------------------------------------
// Utilization

/** A half-open time interval [start, end). */
export interface Interval {
  start: Date;
  end: Date;
}

/**
 * The stretch a trip keeps its truck busy: from dispatch until completed or cancelled, or until `now`
 * while it is still open. Null for a trip never dispatched.
 */
export function onTripInterval(
  trip: { dispatchedAt?: Date | null; completedAt?: Date | null; cancelledAt?: Date | null },
  now: Date,
): Interval | null {
  if (!trip.dispatchedAt) return null;
  const end = trip.completedAt ?? trip.cancelledAt ?? now;
  return end > trip.dispatchedAt ? { start: trip.dispatchedAt, end } : null;
}

export interface SpeedFix {
  fixTime: Date;
  /** km/h as the device reports it; null when it sent none. */
  speedKmh: number | null;
}

export interface MovingOptions {
  /** A fix at or above this speed counts as moving. Default 5 km/h: below it is GPS drift or creeping in a queue. */
  minSpeedKmh?: number;
  /** Two moving fixes further apart than this say nothing about the time between them. Default 5 min. */
  maxGapMs?: number;
}

/** Sorted, overlapping or touching intervals joined, so no second is counted twice. */
function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start.getTime() - b.start.getTime());
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && i.start <= last.end) {
      if (i.end > last.end) last.end = i.end;
    } else {
      out.push({ start: i.start, end: i.end });
    }
  }
  return out;
}

/**
 * When a truck was moving, from its fixes: the gap between two consecutive fixes counts as moving when both
 * fixes are at or above `minSpeedKmh` and the gap is at most `maxGapMs`. Fixes need not be sorted.
 */
export function movingIntervals(fixes: readonly SpeedFix[], opts: MovingOptions = {}): Interval[] {
  const minSpeed = opts.minSpeedKmh ?? 5;
  const maxGap = opts.maxGapMs ?? 5 * 60_000;
  const sorted = [...fixes].sort((a, b) => a.fixTime.getTime() - b.fixTime.getTime());
  const spans: Interval[] = [];
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    const gap = b.fixTime.getTime() - a.fixTime.getTime();
    const moving = (f: SpeedFix) => f.speedKmh !== null && f.speedKmh >= minSpeed;
    if (gap > 0 && gap <= maxGap && moving(a) && moving(b)) spans.push({ start: a.fixTime, end: b.fixTime });
  }
  return mergeIntervals(spans);
}

export interface TruckActivity {
  truckId: string;
  truckNumber: string;
  onTrip: readonly Interval[];
  moving: readonly Interval[];
}

export interface UtilizationInput {
  /** Local dates, YYYY-MM-DD, both inclusive. */
  from: string;
  to: string;
  now: Date;
  /** Every truck to count, including ones that did nothing: an idle truck is what utilization is about. */
  trucks: readonly TruckActivity[];
  timeZone?: string;
}

export interface TruckDayShare {
  date: string;
  onTripShare: number;
  movingShare: number;
}

export interface UtilizationReport {
  /** Fleet-wide: the mean over trucks of each truck's share that day; null when no trucks were given. */
  days: { date: string; trucks: number; onTripShare: number | null; movingShare: number | null }[];
  /** Per truck: each day, and the whole range weighted by each day's elapsed time. */
  trucks: {
    truckId: string;
    truckNumber: string;
    days: TruckDayShare[];
    onTripShare: number | null;
    movingShare: number | null;
  }[];
}

function overlapMs(intervals: readonly Interval[], start: number, end: number): number {
  let total = 0;
  for (const i of intervals) {
    const s = Math.max(i.start.getTime(), start);
    const e = Math.min(i.end.getTime(), end);
    if (e > s) total += e - s;
  }
  return total;
}

/**
 * Share of each local day each truck spent on a trip and moving. Intervals are cut at local midnight, so a
 * trip from 23:00 to 01:00 Lagos is one hour on each day.
 *
 * Today is measured against the part of the day that has passed (midnight to `now`), not the full 24 h:
 * a truck on a trip all morning reads as fully used at 10:00, rather than 42% used. Intervals are clipped
 * to `now` too, so a trip whose end lies in the future counts only its elapsed part. Days that have not
 * started yet are left out.
 */
export function utilization(input: UtilizationInput): UtilizationReport {
  const timeZone = input.timeZone ?? LAGOS;
  if (!parseDate(input.from) || !parseDate(input.to)) {
    throw new RangeError(`dates must be YYYY-MM-DD: ${input.from} .. ${input.to}`);
  }
  if (input.from > input.to) throw new RangeError(`from (${input.from}) is after to (${input.to})`);
  const now = input.now.getTime();

  const windows: { date: string; start: number; end: number }[] = [];
  for (let date = input.from; date <= input.to; date = addDays(date, 1)) {
    const b = localDayBounds(date, timeZone);
    const start = b.start.getTime();
    const end = Math.min(b.end.getTime(), now);
    if (end > start) windows.push({ date, start, end });
  }
  const elapsedMs = windows.reduce((sum, w) => sum + (w.end - w.start), 0);

  const trucks = input.trucks.map((t) => {
    const onTrip = mergeIntervals(t.onTrip);
    const moving = mergeIntervals(t.moving);
    let onTotal = 0;
    let movingTotal = 0;
    const days = windows.map((w) => {
      const on = overlapMs(onTrip, w.start, w.end);
      const mv = overlapMs(moving, w.start, w.end);
      onTotal += on;
      movingTotal += mv;
      const length = w.end - w.start;
      return { date: w.date, onTripShare: on / length, movingShare: mv / length };
    });
    return {
      truckId: t.truckId,
      truckNumber: t.truckNumber,
      days,
      onTripShare: elapsedMs > 0 ? onTotal / elapsedMs : null,
      movingShare: elapsedMs > 0 ? movingTotal / elapsedMs : null,
    };
  });

  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const days = windows.map((w, k) => ({
    date: w.date,
    trucks: trucks.length,
    onTripShare: mean(trucks.map((t) => t.days[k]!.onTripShare)),
    movingShare: mean(trucks.map((t) => t.days[k]!.movingShare)),
  }));

  return { days, trucks };
}

// ---------------------------------------------------------------------------------------------------------
// Distance

export interface PositionFix {
  lat: number;
  lng: number;
  fixTime: Date;
}

/** Hops implying more than this are glitches: no loaded truck on Lagos roads does 200 km/h. */
const MAX_PLAUSIBLE_KMH = 200;
/** Hops shorter than this are a parked truck's GPS wandering, not travel. */
const MIN_HOP_M = 5;

/**
 * Kilometres driven along the fixes (sorted here), summing great-circle hops.
 *
 * - A hop shorter than 5 m is not counted and does not move the reference point, so a parked truck's
 *   jitter adds nothing while a slow crawl still counts once it has gone 5 m from where it was.
 * - A fix implying more than 200 km/h from the reference point is held aside as a suspect. If the next
 *   fix is plausible from the reference point, the suspect was a spike and is dropped. If instead it is
 *   plausible from the suspect, the reference point was the bad one (a glitched first fix, say) and counting
 *   resumes from the suspect, so one bad fix can't zero out a whole day.
 */
export function kmDriven(fixes: readonly PositionFix[]): number {
  const sorted = [...fixes].sort((a, b) => a.fixTime.getTime() - b.fixTime.getTime());
  const plausible = (a: PositionFix, b: PositionFix, meters: number) => {
    const seconds = (b.fixTime.getTime() - a.fixTime.getTime()) / 1000;
    return seconds > 0 && (meters / seconds) * 3.6 <= MAX_PLAUSIBLE_KMH;
  };

  let totalM = 0;
  let anchor: PositionFix | undefined;
  let suspect: PositionFix | undefined;
  for (const fix of sorted) {
    if (!anchor) {
      anchor = fix;
      continue;
    }
    const fromAnchor = haversineM(anchor.lat, anchor.lng, fix.lat, fix.lng);
    if (fromAnchor < MIN_HOP_M) continue;
    if (plausible(anchor, fix, fromAnchor)) {
      totalM += fromAnchor;
      anchor = fix;
      suspect = undefined;
      continue;
    }
    if (suspect) {
      const fromSuspect = haversineM(suspect.lat, suspect.lng, fix.lat, fix.lng);
      if (fromSuspect < MIN_HOP_M || plausible(suspect, fix, fromSuspect)) {
        if (fromSuspect >= MIN_HOP_M) totalM += fromSuspect;
        anchor = fromSuspect >= MIN_HOP_M ? fix : suspect;
        suspect = undefined;
        continue;
      }
    }
    suspect = fix;
  }
  return totalM / 1000;
}
