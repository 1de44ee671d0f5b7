import { describe, expect, it } from 'vitest';
import {
  dailyReportMessage,
  formatDay,
  tatReportMessage,
  utilizationReportMessage,
} from '../../../src/bot/views/report.ts';
import type { LaneTat, Summary } from '../../../src/domain/analytics.ts';
import type { DailyReport } from '../../../src/fleet/analytics.ts';
import { allText, fields, headerText, ofType } from './fixtures.ts';

const daily: DailyReport = {
  date: '2025-03-10',
  window: { start: new Date('2025-03-09T23:00:00Z'), end: new Date('2025-03-10T23:00:00Z') },
  trips: { started: 12, completed: 9, inProgress: 4, cancelled: 1 },
  kmDriven: {
    total: 1234.56,
    byTruck: [
      { truckId: 'a', truckNumber: 'KJA-123XY', km: 212.04 },
      { truckId: 'b', truckNumber: 'LND-555AA', km: 318.5 },
    ],
  },
  alerts: {
    total: 15,
    byType: { 'truck.offline': 3, 'loconav.geofence': 12 },
    topTrucks: [
      { truckId: 'b', truckNumber: 'LND-555AA', count: 9, types: ['loconav.geofence', 'truck.offline'] },
      { truckId: 'a', truckNumber: 'KJA-123XY', count: 2, types: ['loconav.geofence'] },
    ],
  },
  tat: {
    baselineFrom: '2025-03-03',
    baselineTo: '2025-03-09',
    lanes: [
      {
        lane: 'Apapa Port → Ikeja Depot',
        origin: 'Apapa Port',
        destination: 'Ikeja Depot',
        day: { count: 3, median: 5 * 3600, p90: 6 * 3600 },
        baseline: { count: 14, median: 4.5 * 3600, p90: 5.5 * 3600 },
      },
      {
        lane: 'Tin Can Island Port → Agbara',
        origin: 'Tin Can Island Port',
        destination: 'Agbara',
        day: { count: 1, median: 7200, p90: 7200 },
        baseline: { count: 0, median: null, p90: null },
      },
    ],
  },
  utilization: { trucks: 2, onTripShare: 0.583, movingShare: 0.25 },
  // 06:00 Lagos on the 11th
  offline: {
    at: new Date('2025-03-11T05:00:00Z'),
    trucks: [
      { truckId: 'c', truckNumber: 'KJA-777ZZ', lastFixAt: null },
      { truckId: 'a', truckNumber: 'KJA-123XY', lastFixAt: new Date('2025-03-10T17:05:00Z') },
    ],
  },
};

const summary = (median: number | null, p90: number | null = median): Summary => ({
  count: median === null ? 0 : 1,
  median,
  p90,
});

const lane = (origin: string, destination: string, count: number, totalS: number): LaneTat => ({
  lane: `${origin} → ${destination}`,
  origin,
  destination,
  count,
  total: summary(totalS, totalS + 6_000),
  waitingAtPickup: summary(3_600),
  transit: summary(6_000),
  atDropoff: summary(1_800),
  return: summary(null),
});

describe('dailyReportMessage', () => {
  it('gives trip counts, km with one decimal and alerts', () => {
    const message = dailyReportMessage(daily);
    const f = fields(message.blocks);
    expect(f['Trips started']).toBe('12');
    expect(f.Cancelled).toBe('1');
    expect(f['Km driven']).toBe('1,234.6 km');
    expect(f.Alerts).toBe('15');
    expect(headerText(message.blocks)).toBe('Daily report · Mon 10 Mar 2025');
  });

  it('lists trucks by km driven, most first, and alerts in words', () => {
    const text = allText(dailyReportMessage(daily).blocks);
    expect(text).toContain('*Most km*\nLND-555AA: 318.5 km\nKJA-123XY: 212.0 km');
    expect(text).toContain('truck offline: 3');
  });

  it('sums the day up in the fallback text', () => {
    expect(dailyReportMessage(daily).text).toBe(
      'Daily report for Mon 10 Mar 2025: 12 trips started, 9 completed, 4 in progress, 1 cancelled; 1,234.6 km driven; 15 alerts; on a trip 58%; 2 offline now',
    );
  });

  it('gives utilization and the number of trucks offline as facts', () => {
    const f = fields(dailyReportMessage(daily).blocks);
    expect(f['On a trip']).toBe('58%');
    expect(f.Moving).toBe('25%');
    expect(f['Offline now']).toBe('2 :warning:');
  });

  it("compares each lane's median and p90 with the 7 days before, saying when a lane had none", () => {
    const text = allText(dailyReportMessage(daily).blocks);
    expect(text).toContain(
      '*Apapa Port → Ikeja Depot* · 3 trips: median 5 h (+30 min), p90 6 h · 7 days before: median 4 h 30 min, p90 5 h 30 min',
    );
    expect(text).toContain(
      '*Tin Can Island Port → Agbara* · 1 trip: median 2 h, p90 2 h · none in the 7 days before',
    );
    expect(text).toContain('Mon 3 Mar 2025 to Sun 9 Mar 2025');
  });

  it('names the trucks with most alerts and the trucks offline, with when they were last heard', () => {
    const text = allText(dailyReportMessage(daily).blocks);
    expect(text).toContain('*Most alerts*\nLND-555AA: 9 (geofence (LocoNav), truck offline)\nKJA-123XY: 2');
    expect(text).toContain(
      '*Offline at 06:00*\nKJA-777ZZ: never reported\nKJA-123XY: last heard yesterday 18:05',
    );
  });

  it('leaves out the sections a quiet day has nothing for', () => {
    const quiet: DailyReport = {
      ...daily,
      kmDriven: { total: 0, byTruck: [] },
      alerts: { total: 0, byType: {}, topTrucks: [] },
      tat: { ...daily.tat, lanes: [] },
      offline: { ...daily.offline, trucks: [] },
    };
    const message = dailyReportMessage(quiet);
    const text = allText(message.blocks);
    for (const title of ['Turnaround per lane', 'Most km', 'Most alerts', 'Offline at']) {
      expect(text).not.toContain(`*${title}`);
    }
    expect(fields(message.blocks)['Offline now']).toBe('0');
  });

  it("escapes a lane or truck name typed with Slack's control characters", () => {
    const lane = { ...daily.tat.lanes[0]!, lane: '<!channel> → Ikeja' };
    const message = dailyReportMessage({ ...daily, tat: { ...daily.tat, lanes: [lane] } });
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
    expect(allText(message.blocks)).toContain('&lt;!channel&gt; → Ikeja');
  });
});

describe('tatReportMessage', () => {
  const report = {
    from: '2025-03-01',
    to: '2025-03-10',
    trips: [],
    lanes: [lane('Apapa Port', 'Ikeja Depot', 3, 12_000), lane('Tin Can Island Port', 'Agbara', 7, 30_600)],
  };

  it('writes durations as 3 h 20 min, busiest lane first', () => {
    const sections = ofType(tatReportMessage(report).blocks, 'section').map((s) => s.text!.text);
    expect(sections[0]).toContain('*Tin Can Island Port → Agbara* · 7 trips');
    expect(sections[1]).toContain('Total: median 3 h 20 min, p90 5 h');
    expect(sections[1]).toContain(
      'waiting at pickup 1 h · transit 1 h 40 min · at dropoff 30 min · return n/a',
    );
  });

  it('counts trips and lanes in the fallback text', () => {
    expect(tatReportMessage(report).text).toBe(
      'Turnaround for Sat 1 Mar 2025 to Mon 10 Mar 2025: 10 trips completed on 2 lanes',
    );
  });

  it('says so when no trip was completed', () => {
    const empty = tatReportMessage({ ...report, lanes: [] });
    expect(allText(empty.blocks)).toContain('No trips were completed');
  });
});

describe('utilizationReportMessage', () => {
  const report = {
    from: '2025-03-09',
    to: '2025-03-10',
    days: [
      { date: '2025-03-09', trucks: 2, onTripShare: 0.5, movingShare: 0.25 },
      { date: '2025-03-10', trucks: 2, onTripShare: 0.6666, movingShare: 0.4 },
    ],
    trucks: [
      { truckId: 'a', truckNumber: 'KJA-123XY', days: [], onTripShare: 0.9, movingShare: 0.5 },
      { truckId: 'b', truckNumber: 'LND-555AA', days: [], onTripShare: 0.2549, movingShare: 0.1 },
    ],
  };

  it('gives whole percentages for the fleet and each day', () => {
    const message = utilizationReportMessage(report);
    const f = fields(message.blocks);
    expect(f['On a trip']).toBe('58%');
    expect(f.Moving).toBe('30%');
    expect(allText(message.blocks)).toContain('Mon 10 Mar 2025: on trip 67%, moving 40%');
  });

  it('lists the least used trucks first', () => {
    const text = allText(utilizationReportMessage(report).blocks);
    expect(text).toContain('*Least used*\nLND-555AA: on trip 25%, moving 10%\nKJA-123XY');
  });

  it('reads n/a rather than 0% when there is nothing to measure', () => {
    const message = utilizationReportMessage({ ...report, days: [], trucks: [] });
    expect(fields(message.blocks)['On a trip']).toBe('n/a');
    expect(message.text).toBe(
      'Utilization for Sun 9 Mar 2025 to Mon 10 Mar 2025: on a trip n/a, moving n/a across 0 trucks',
    );
  });
});

describe('formatDay', () => {
  it('writes a date with its weekday', () => {
    expect(formatDay('2025-03-10')).toBe('Mon 10 Mar 2025');
  });
});
