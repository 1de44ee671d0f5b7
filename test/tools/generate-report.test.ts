import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateReportTool } from '../../src/tools/generate-report.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';
import { seedTrips } from './trip-tools.ts';

describe('generate_report', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
    // TRP-000002 ran Tin Can → Ibese on 9 March (Lagos): dispatched 06:00, completed 12:00, six hours.
    await db.sql`
      update trips set status = 'completed',
        dispatched_at = '2025-03-09T06:00:00+01:00', arrived_pickup_at = '2025-03-09T07:00:00+01:00',
        departed_pickup_at = '2025-03-09T08:00:00+01:00', arrived_dropoff_at = '2025-03-09T10:00:00+01:00',
        delivered_at = '2025-03-09T11:00:00+01:00', completed_at = '2025-03-09T12:00:00+01:00'
      where trip_number = 'TRP-000002'`;
  });
  afterAll(async () => {
    await db.drop();
  });

  const report = (args: unknown) => callTool(generateReportTool, args, ctxFor(db.sql, viewer));

  it("gives a day's trip counts, km and alerts for a Lagos date", async () => {
    expect(await report({ kind: 'daily', date: '2025-03-09' })).toMatchObject({
      ok: true,
      data: {
        kind: 'daily',
        date: '2025-03-09',
        trips: { started: 1, completed: 1, inProgress: 0, cancelled: 0 },
        km: 0,
        top_km: [],
        alerts: { total: 0 },
      },
    });
  });

  it('defaults the daily report to today in Lagos', async () => {
    expect(await report({ kind: 'daily' })).toMatchObject({ ok: true, data: { date: '2025-03-10' } });
  });

  it('gives turnaround per lane in hours for a range of days', async () => {
    expect(await report({ kind: 'tat', from: '2025-03-03', to: '2025-03-09' })).toEqual({
      ok: true,
      data: {
        kind: 'tat',
        from: '2025-03-03',
        to: '2025-03-09',
        completed_trips: 1,
        unit: 'hours',
        lanes: [
          {
            lane: 'Tin Can Island Port → Dangote Ibese cement plant',
            n: 1,
            median: 6,
            p90: 6,
            wait_pickup: 1,
            transit: 2,
          },
        ],
        more_lanes: 0,
      },
    });
  });

  it('gives utilization in percent for a single day, least used trucks first', async () => {
    const result = await report({ kind: 'utilization', date: '2025-03-09' });
    expect(result).toMatchObject({
      ok: true,
      data: { kind: 'utilization', from: '2025-03-09', to: '2025-03-09', unit: '%' },
    });
    const data = (
      result as {
        data: {
          days: { on_trip: number }[];
          least_used: { truck: string; on_trip: number }[];
          more_trucks: number;
        };
      }
    ).data;
    expect(data.days).toHaveLength(1);
    expect(data.least_used).toHaveLength(5);
    expect(data.least_used[0]).toMatchObject({ on_trip: 0 });
    // Six hours of the 24 on a trip: the busiest truck comes last.
    expect(data.least_used[4]).toMatchObject({ truck: 'APP-771AA', on_trip: 25 });
    expect(data.more_trucks).toBe(0);
  });

  it('refuses an unknown kind and a range the use case does not allow, saying why', async () => {
    expect(await report({ kind: 'weekly' })).toMatchObject({
      ok: false,
      error: 'Invalid arguments for generate_report: kind: expected one of daily, tat, utilization',
    });
    expect(await report({ kind: 'tat', from: '2025-03-09', to: '2025-03-01' })).toMatchObject({
      ok: false,
      error: 'Invalid report range: to: must be on or after from (2025-03-09)',
    });
  });
});
