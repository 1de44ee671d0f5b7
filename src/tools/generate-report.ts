import { z } from 'zod';
import { localDate } from '../domain/time.ts';
import { dailyReport, MAX_RANGE_DAYS, tatReport, utilizationReport } from '../fleet/analytics.ts';
import { dateArg } from './args.ts';
import { capped } from './format.ts';
import { ok } from './result.ts';
import type { FleetTool } from './types.ts';

// The three reports, cut down to what answers a question in Slack: totals, the top rows, how many more.

const TOP = 5;
const KINDS = ['daily', 'tat', 'utilization'] as const;

const input = z.strictObject({
  kind: z
    .enum(KINDS, { error: `kind: expected one of ${KINDS.join(', ')}` })
    .describe(
      'daily: trips, km and alerts for one day; tat: turnaround of completed trips; utilization: share of time trucks were on a trip and moving.',
    ),
  date: dateArg('date')
    .optional()
    .describe('For daily: the Lagos day (default today). For tat/utilization: a single day.'),
  from: dateArg('from')
    .optional()
    .describe(`tat/utilization: first Lagos day (range at most ${MAX_RANGE_DAYS} days).`),
  to: dateArg('to')
    .optional()
    .describe('tat/utilization: last Lagos day, included (default: from, or today).'),
});

const hours = (s: number | null) => (s === null ? null : Math.round(s / 360) / 10);
const pct = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

export const generateReportTool: FleetTool<typeof input> = {
  name: 'generate_report',
  description:
    'A fleet report for Lagos dates: daily (trips started/completed/cancelled, km driven, alerts), tat (turnaround per lane, median and p90 hours) or utilization (% of time on a trip and moving, per truck). Dates are YYYY-MM-DD.',
  input,
  writes: false,
  async run({ kind, date, from, to }, { sql, actor, now }) {
    const today = localDate(now);
    if (kind === 'daily') {
      const r = await dailyReport(sql, actor, { date: date ?? from ?? today }, { now });
      const top = capped(
        [...r.kmDriven.byTruck].sort((a, b) => b.km - a.km),
        TOP,
      );
      return ok({
        kind,
        date: r.date,
        trips: r.trips,
        km: Math.round(r.kmDriven.total * 10) / 10,
        top_km: top.shown.map((t) => ({ truck: t.truckNumber, km: Math.round(t.km * 10) / 10 })),
        more_trucks: top.more,
        alerts: r.alerts,
      });
    }
    const first = from ?? date ?? to ?? today;
    const range = { from: first, to: to ?? (from ? (date ?? first) : first) };
    if (kind === 'tat') {
      const r = await tatReport(sql, actor, range);
      const lanes = capped(r.lanes, TOP);
      return ok({
        kind,
        from: r.from,
        to: r.to,
        completed_trips: r.trips.length,
        unit: 'hours',
        lanes: lanes.shown.map((l) => ({
          lane: l.lane,
          n: l.count,
          median: hours(l.total.median),
          p90: hours(l.total.p90),
          wait_pickup: hours(l.waitingAtPickup.median),
          transit: hours(l.transit.median),
        })),
        more_lanes: lanes.more,
      });
    }
    const r = await utilizationReport(sql, actor, range, { now });
    const ranked = capped(
      [...r.trucks].sort((a, b) => (a.onTripShare ?? -1) - (b.onTripShare ?? -1)),
      TOP,
    );
    return ok({
      kind,
      from: r.from,
      to: r.to,
      unit: '%',
      days: r.days.map((d) => ({
        date: d.date,
        trucks: d.trucks,
        on_trip: pct(d.onTripShare),
        moving: pct(d.movingShare),
      })),
      least_used: ranked.shown.map((t) => ({
        truck: t.truckNumber,
        on_trip: pct(t.onTripShare),
        moving: pct(t.movingShare),
      })),
      more_trucks: ranked.more,
    });
  },
};
