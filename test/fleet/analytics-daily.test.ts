import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as db from '../../src/db/analytics.ts';
import { localDayBounds } from '../../src/domain/time.ts';
import type { Actor } from '../../src/fleet/actor.ts';
import { type DailyReport, dailyReport, OFFLINE_AFTER_MS } from '../../src/fleet/analytics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import {
  DAY,
  MOVING_SHARE,
  ON_TRIP_SHARE,
  REPORT_AT,
  type SeededDay,
  STEP_M,
  seedDay,
  TRIP_COUNTS,
} from './analytics-daily-seed.ts';

// The daily report's parts beyond counts and km (those are in analytics.test.ts): turnaround per lane against
// the week before, the trucks with most alerts, utilization of the day, and trucks offline when it is made.

const viewer: Actor = { principal: 'api:vic', role: 'viewer' };
const h = (hours: number) => hours * 3600;

let testDb: TestDb;
let seeded: SeededDay;
let report: DailyReport;

beforeAll(async () => {
  testDb = await createTestDb();
  seeded = await seedDay(testDb.sql);
  report = await dailyReport(testDb.sql, viewer, { date: DAY }, { now: REPORT_AT });
});

afterAll(async () => {
  await testDb?.drop();
});

describe('daily report of a seeded day', () => {
  it('counts the trips of the Lagos day and km driven', () => {
    expect(report.trips).toEqual(TRIP_COUNTS);
    expect(report.kmDriven.total).toBeCloseTo((2 * STEP_M) / 1000, 6);
  });

  it("gives each lane's turnaround on the day beside the same lane's over the 7 days before", () => {
    expect(report.tat.baselineFrom).toBe('2025-03-03');
    expect(report.tat.baselineTo).toBe('2025-03-09');
    expect(report.tat.lanes).toEqual([
      {
        lane: 'Apapa Port → Ikeja Depot',
        origin: 'Apapa Port',
        destination: 'Ikeja Depot',
        day: { count: 2, median: h(5.5), p90: h(5.9) },
        baseline: { count: 2, median: h(4.5), p90: h(4.9) },
      },
      {
        lane: 'Tin Can Island Port → Agbara',
        origin: 'Tin Can Island Port',
        destination: 'Agbara',
        day: { count: 1, median: h(2), p90: h(2) },
        baseline: { count: 0, median: null, p90: null },
      },
    ]);
  });

  it('names the trucks with most alerts, counting a late trip for its truck and routine events not at all', () => {
    expect(report.alerts.total).toBe(5);
    expect(report.alerts.topTrucks).toEqual([
      {
        truckId: seeded.trucks.k102,
        truckNumber: 'KJA-102BB',
        count: 3,
        types: ['loconav.overspeed', 'truck.offline'],
      },
      { truckId: seeded.trucks.k101, truckNumber: 'KJA-101AA', count: 1, types: ['loconav.idling'] },
      { truckId: seeded.trucks.k103, truckNumber: 'KJA-103CC', count: 1, types: ['trip.delayed'] },
    ]);
  });

  it('gives the fleet’s share of the day on a trip and moving over the active trucks', () => {
    expect(report.utilization.trucks).toBe(3);
    expect(report.utilization.onTripShare).toBeCloseTo(ON_TRIP_SHARE, 9);
    expect(report.utilization.movingShare).toBeCloseTo(MOVING_SHARE, 9);
  });

  it('lists active trucks silent for over 30 minutes at report time, never-reported first', () => {
    expect(report.offline.at).toEqual(REPORT_AT);
    expect(report.offline.trucks).toEqual([
      { truckId: seeded.trucks.k103, truckNumber: 'KJA-103CC', lastFixAt: null },
      { truckId: seeded.trucks.k102, truckNumber: 'KJA-102BB', lastFixAt: new Date('2025-03-10T17:05:00Z') },
    ]);
  });
});

describe('offlineTrucks', () => {
  it('counts a truck heard exactly 30 minutes ago as online, and one a second more as offline', async () => {
    const heard = new Date('2025-03-10T17:05:00Z');
    const at30 = new Date(heard.getTime() + OFFLINE_AFTER_MS);
    const numbers = async (at: Date) =>
      (await db.offlineTrucks(testDb.sql, at, OFFLINE_AFTER_MS)).map((t) => t.truckNumber);

    expect(await numbers(at30)).toEqual(['KJA-103CC']);
    expect(await numbers(new Date(at30.getTime() + 1000))).toEqual(['KJA-103CC', 'KJA-102BB']);
  });
});

describe('topAlertTrucks', () => {
  it('stops at the limit, most alerts first', async () => {
    const top = await db.topAlertTrucks(testDb.sql, localDayBounds(DAY), 1);
    expect(top.map((t) => [t.truckNumber, t.count])).toEqual([['KJA-102BB', 3]]);
  });

  it('finds none on a day without alerts', async () => {
    expect(await db.topAlertTrucks(testDb.sql, localDayBounds('2025-03-01'), 5)).toEqual([]);
  });
});
