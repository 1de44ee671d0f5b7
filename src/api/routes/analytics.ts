import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/client.ts';
import type { Summary, TatReport, TripStages, UtilizationReport } from '../../domain/analytics.ts';
import {
  type DailyReport,
  dailyReport,
  dailyReportSchema,
  dateRangeSchema,
  type RangeReport,
  tatReport,
  utilizationReport,
} from '../../fleet/analytics.ts';
import { requestActor } from '../auth.ts';
import type { RouteDoc } from '../route-docs.ts';

// REST for reports: parse, call the use case, render (snake_case, durations in seconds, shares in 0..1, km).
// The response schemas below are what the OpenAPI document shows; test/api/analytics.test.ts parses real
// answers with them so they cannot drift.

export function renderDailyReport(r: DailyReport) {
  return {
    date: r.date,
    window: { start: r.window.start.toISOString(), end: r.window.end.toISOString() },
    trips: {
      started: r.trips.started,
      completed: r.trips.completed,
      in_progress: r.trips.inProgress,
      cancelled: r.trips.cancelled,
    },
    km_driven: {
      total: r.kmDriven.total,
      by_truck: r.kmDriven.byTruck.map((t) => ({
        truck_id: t.truckId,
        truck_number: t.truckNumber,
        km: t.km,
      })),
    },
    alerts: { total: r.alerts.total, by_type: r.alerts.byType },
  };
}

const renderSummary = (s: Summary) => ({ count: s.count, median: s.median, p90: s.p90 });

const renderStages = (s: TripStages) => ({
  waiting_at_pickup_s: s.waitingAtPickupS,
  transit_s: s.transitS,
  at_dropoff_s: s.atDropoffS,
  return_s: s.returnS,
  total_s: s.totalS,
});

export function renderTatReport(r: RangeReport & TatReport) {
  return {
    from: r.from,
    to: r.to,
    trips: r.trips.map((t) => ({ trip_number: t.tripNumber, lane: t.lane, stages: renderStages(t.stages) })),
    lanes: r.lanes.map((l) => ({
      lane: l.lane,
      origin: l.origin,
      destination: l.destination,
      count: l.count,
      total_s: renderSummary(l.total),
      waiting_at_pickup_s: renderSummary(l.waitingAtPickup),
      transit_s: renderSummary(l.transit),
      at_dropoff_s: renderSummary(l.atDropoff),
      return_s: renderSummary(l.return),
    })),
  };
}

export function renderUtilization(r: RangeReport & UtilizationReport) {
  return {
    from: r.from,
    to: r.to,
    days: r.days.map((d) => ({
      date: d.date,
      trucks: d.trucks,
      on_trip_share: d.onTripShare,
      moving_share: d.movingShare,
    })),
    trucks: r.trucks.map((t) => ({
      truck_id: t.truckId,
      truck_number: t.truckNumber,
      on_trip_share: t.onTripShare,
      moving_share: t.movingShare,
      days: t.days.map((d) => ({ date: d.date, on_trip_share: d.onTripShare, moving_share: d.movingShare })),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Response schemas (documentation and drift tests)

const seconds = z.number().nullable().meta({ description: 'Seconds; null when either end is unknown.' });
const share = z.number().min(0).max(1);
const summary = z.strictObject({
  count: z.number().int(),
  median: z.number().nullable(),
  p90: z.number().nullable(),
});

export const dailyReportResponse = z.strictObject({
  date: z.string(),
  window: z.strictObject({ start: z.iso.datetime(), end: z.iso.datetime() }),
  trips: z.strictObject({
    started: z.number().int(),
    completed: z.number().int(),
    in_progress: z.number().int().meta({ description: 'Open at the end of the day.' }),
    cancelled: z.number().int(),
  }),
  km_driven: z.strictObject({
    total: z.number(),
    by_truck: z.array(z.strictObject({ truck_id: z.uuid(), truck_number: z.string(), km: z.number() })),
  }),
  alerts: z.strictObject({
    total: z.number().int(),
    by_type: z.record(z.string(), z.number().int()).meta({ description: 'Event type → count.' }),
  }),
});

export const tatReportResponse = z.strictObject({
  from: z.string(),
  to: z.string(),
  trips: z.array(
    z.strictObject({
      trip_number: z.string(),
      lane: z.string(),
      stages: z.strictObject({
        waiting_at_pickup_s: seconds,
        transit_s: seconds,
        at_dropoff_s: seconds,
        return_s: seconds,
        total_s: seconds,
      }),
    }),
  ),
  lanes: z.array(
    z.strictObject({
      lane: z.string(),
      origin: z.string(),
      destination: z.string(),
      count: z.number().int(),
      total_s: summary,
      waiting_at_pickup_s: summary,
      transit_s: summary,
      at_dropoff_s: summary,
      return_s: summary,
    }),
  ),
});

export const utilizationResponse = z.strictObject({
  from: z.string(),
  to: z.string(),
  days: z.array(
    z.strictObject({
      date: z.string(),
      trucks: z.number().int(),
      on_trip_share: share.nullable(),
      moving_share: share.nullable(),
    }),
  ),
  trucks: z.array(
    z.strictObject({
      truck_id: z.uuid(),
      truck_number: z.string(),
      on_trip_share: share.nullable(),
      moving_share: share.nullable(),
      days: z.array(z.strictObject({ date: z.string(), on_trip_share: share, moving_share: share })),
    }),
  ),
});

const BAD_DATES = 'A date is not YYYY-MM-DD, from is after to, or the range is longer than 92 days.';

export const ANALYTICS_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/analytics/daily',
    summary: 'One Lagos day: trips started, completed, in progress and cancelled; km driven; alerts by type',
    tag: 'analytics',
    role: 'viewer',
    query: dailyReportSchema,
    success: { status: 200, description: 'The day report', schema: dailyReportResponse },
    errors: { 400: 'The date is not YYYY-MM-DD.' },
  },
  {
    method: 'GET',
    path: '/api/v1/analytics/tat',
    summary: 'Turnaround of trips completed in a range of Lagos dates: per trip, and median/p90 per lane',
    tag: 'analytics',
    role: 'viewer',
    query: dateRangeSchema,
    success: {
      status: 200,
      description: 'Per-trip stages and per-lane summaries',
      schema: tatReportResponse,
    },
    errors: { 400: BAD_DATES },
  },
  {
    method: 'GET',
    path: '/api/v1/analytics/utilization',
    summary: 'Share of each Lagos day each truck spent on a trip and moving, and the fleet mean',
    tag: 'analytics',
    role: 'viewer',
    query: dateRangeSchema,
    success: { status: 200, description: 'Per-day and per-truck shares', schema: utilizationResponse },
    errors: { 400: BAD_DATES },
  },
];

export function analyticsRoutes(deps: { sql: Sql }) {
  const { sql } = deps;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/analytics/daily', async (req) =>
      renderDailyReport(await dailyReport(sql, requestActor(req), req.query ?? {})),
    );

    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/analytics/tat', async (req) =>
      renderTatReport(await tatReport(sql, requestActor(req), req.query ?? {})),
    );

    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/analytics/utilization', async (req) =>
      renderUtilization(await utilizationReport(sql, requestActor(req), req.query ?? {})),
    );
  };
}
