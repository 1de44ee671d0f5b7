import { describe, expect, it } from 'vitest';
import {
  type Interval,
  kmDriven,
  movingIntervals,
  onTripInterval,
  percentile,
  summarize,
  type TripTimes,
  tatReport,
  tripStages,
  utilization,
} from '../../src/domain/analytics.ts';

/** A Lagos wall-clock time (UTC+1): `lagos('2024-03-05 23:00')`. */
const lagos = (s: string) => new Date(`${s.replace(' ', 'T')}:00+01:00`);
const H = 3600;
const DAY = 86_400;

describe('percentiles', () => {
  it('interpolates between closest ranks like percentile_cont: [1,2,3,4] at p90 is 3.7', () => {
    // rank = 0.9 * (4 - 1) = 2.7 → 3 + 0.7 * (4 - 3) = 3.7
    expect(percentile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
  });

  it('takes the mean of the middle pair as the median of an even count', () => {
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
  });

  it('sorts its input rather than trusting the order it was given', () => {
    // sorted [10, 20, 30, 40, 50]; rank = 0.9 * 4 = 3.6 → 40 + 0.6 * 10 = 46
    expect(percentile([50, 10, 40, 20, 30], 0.9)).toBeCloseTo(46, 12);
  });

  it('returns the extremes at p0 and p1, and the only value of a single-item list', () => {
    expect(percentile([3, 9, 5], 0)).toBe(3);
    expect(percentile([3, 9, 5], 1)).toBe(9);
    expect(percentile([7], 0.9)).toBe(7);
  });

  it('has no percentile of nothing', () => {
    expect(percentile([], 0.5)).toBeNull();
  });

  it('refuses a fraction outside 0..1', () => {
    expect(() => percentile([1, 2], 90)).toThrow(RangeError);
    expect(() => percentile([1, 2], -0.1)).toThrow(RangeError);
  });

  it('summarizes the known values and leaves unknown ones out of the count', () => {
    // known [10, 20, 30]: median 20; p90 rank 1.8 → 20 + 0.8 * 10 = 28
    const s = summarize([10, null, 30, undefined, 20]);
    expect(s.count).toBe(3);
    expect(s.median).toBe(20);
    expect(s.p90).toBeCloseTo(28, 12);
  });

  it('summarizes an empty list as a count of zero with no median or p90', () => {
    expect(summarize([])).toEqual({ count: 0, median: null, p90: null });
    expect(summarize([null, null])).toEqual({ count: 0, median: null, p90: null });
  });
});

describe('trip stages', () => {
  it('measures each stage from the timestamps that bound it', () => {
    expect(
      tripStages({
        dispatchedAt: lagos('2024-03-05 06:00'),
        arrivedPickupAt: lagos('2024-03-05 07:00'),
        departedPickupAt: lagos('2024-03-05 09:00'),
        arrivedDropoffAt: lagos('2024-03-05 12:00'),
        deliveredAt: lagos('2024-03-05 13:00'),
        completedAt: lagos('2024-03-05 15:00'),
      }),
    ).toEqual({ waitingAtPickupS: 2 * H, transitS: 3 * H, atDropoffS: 1 * H, returnS: 2 * H, totalS: 9 * H });
  });

  it('leaves a stage unknown, not zero, when one of its ends is missing', () => {
    expect(
      tripStages({
        dispatchedAt: lagos('2024-03-05 06:00'),
        arrivedPickupAt: lagos('2024-03-05 07:00'),
        departedPickupAt: lagos('2024-03-05 07:45'),
      }),
    ).toEqual({ waitingAtPickupS: 45 * 60, transitS: null, atDropoffS: null, returnS: null, totalS: null });
  });

  it('counts the total from arrival at pickup when no dispatch was recorded', () => {
    const stages = tripStages({
      dispatchedAt: null,
      arrivedPickupAt: lagos('2024-03-05 07:00'),
      completedAt: lagos('2024-03-05 17:30'),
    });
    expect(stages.totalS).toBe(10.5 * H);
  });

  it('treats a stage that ends before it starts as unknown rather than negative', () => {
    const stages = tripStages({
      departedPickupAt: lagos('2024-03-05 10:00'),
      arrivedDropoffAt: lagos('2024-03-05 09:00'),
    });
    expect(stages.transitS).toBeNull();
  });
});

describe('the TAT report', () => {
  const trip = (tripNumber: string, origin: string, destination: string, times: string[]): TripTimes => {
    const [dispatched, arrivedPickup, departedPickup, arrivedDropoff, delivered, completed] = times.map(
      (t) => (t ? lagos(`2024-03-05 ${t}`) : null),
    );
    return {
      tripNumber,
      origin,
      destination,
      dispatchedAt: dispatched ?? null,
      arrivedPickupAt: arrivedPickup ?? null,
      departedPickupAt: departedPickup ?? null,
      arrivedDropoffAt: arrivedDropoff ?? null,
      deliveredAt: delivered ?? null,
      completedAt: completed ?? null,
    };
  };

  // Lane "Apapa Port → Ikeja Depot"
  //   TRP-1: waiting 2 h, transit 3 h, dropoff 1 h,   return 2 h, total 9 h
  //   TRP-2: waiting 1 h, transit 2 h, dropoff 0.5 h, return 1 h, total 5 h
  //   TRP-3: waiting 4 h, transit 5 h, dropoff 2 h,   return 3 h, total 14.5 h
  // Lane "Tin Can Island → Agbara"
  //   TRP-4: waiting 2 h, transit 2 h, dropoff 1 h, return 2 h, total 8 h
  //   TRP-5: waiting 45 min, the rest unknown (still on the road, no dispatch recorded)
  const trips = [
    trip('TRP-000004', 'Tin Can Island', 'Agbara', ['05:00', '06:00', '08:00', '10:00', '11:00', '13:00']),
    trip('TRP-000001', 'Apapa Port', 'Ikeja Depot', ['06:00', '07:00', '09:00', '12:00', '13:00', '15:00']),
    trip('TRP-000002', 'Apapa Port', 'Ikeja Depot', ['06:00', '06:30', '07:30', '09:30', '10:00', '11:00']),
    trip('TRP-000003', 'Apapa Port', 'Ikeja Depot', ['08:00', '08:30', '12:30', '17:30', '19:30', '22:30']),
    trip('TRP-000005', 'Tin Can Island', 'Agbara', ['', '07:00', '07:45', '', '', '']),
  ];
  const report = tatReport(trips);
  const lane = (name: string) => report.lanes.find((l) => l.lane === name)!;

  it('sorts lanes by name and names them origin → destination', () => {
    expect(report.lanes.map((l) => l.lane)).toEqual(['Apapa Port → Ikeja Depot', 'Tin Can Island → Agbara']);
    expect(lane('Tin Can Island → Agbara')).toMatchObject({
      origin: 'Tin Can Island',
      destination: 'Agbara',
    });
  });

  it('lists every trip with its lane and stages, in the order given', () => {
    expect(report.trips.map((t) => t.tripNumber)).toEqual([
      'TRP-000004',
      'TRP-000001',
      'TRP-000002',
      'TRP-000003',
      'TRP-000005',
    ]);
    expect(report.trips[1]).toEqual({
      tripNumber: 'TRP-000001',
      lane: 'Apapa Port → Ikeja Depot',
      stages: { waitingAtPickupS: 2 * H, transitS: 3 * H, atDropoffS: 1 * H, returnS: 2 * H, totalS: 9 * H },
    });
  });

  it('takes the median and p90 of each stage on a lane of three trips', () => {
    const apapa = lane('Apapa Port → Ikeja Depot');
    expect(apapa.count).toBe(3);
    // total sorted [5 h, 9 h, 14.5 h] = [18000, 32400, 52200] s
    //   median = 32400; p90 rank 0.9 * 2 = 1.8 → 32400 + 0.8 * (52200 - 32400) = 48240
    expect(apapa.total.count).toBe(3);
    expect(apapa.total.median).toBe(32_400);
    expect(apapa.total.p90).toBeCloseTo(48_240, 6);
    // waiting sorted [3600, 7200, 14400]: median 7200; p90 = 7200 + 0.8 * 7200 = 12960
    expect(apapa.waitingAtPickup.median).toBe(7200);
    expect(apapa.waitingAtPickup.p90).toBeCloseTo(12_960, 6);
    // transit sorted [7200, 10800, 18000]: median 10800; p90 = 10800 + 0.8 * 7200 = 16560
    expect(apapa.transit.median).toBe(10_800);
    expect(apapa.transit.p90).toBeCloseTo(16_560, 6);
    // at dropoff sorted [1800, 3600, 7200]: median 3600; p90 = 3600 + 0.8 * 3600 = 6480
    expect(apapa.atDropoff.median).toBe(3600);
    expect(apapa.atDropoff.p90).toBeCloseTo(6480, 6);
    // return sorted [3600, 7200, 10800]: median 7200; p90 = 7200 + 0.8 * 3600 = 10080
    expect(apapa.return.median).toBe(7200);
    expect(apapa.return.p90).toBeCloseTo(10_080, 6);
  });

  it('summarizes each stage over only the trips that have it, so an unfinished trip adds no zeros', () => {
    const tinCan = lane('Tin Can Island → Agbara');
    expect(tinCan.count).toBe(2);
    // total: only TRP-4 finished → [28800]
    expect(tinCan.total).toEqual({ count: 1, median: 28_800, p90: 28_800 });
    // waiting [2700, 7200]: median (2700 + 7200) / 2 = 4950; p90 rank 0.9 → 2700 + 0.9 * 4500 = 6750
    expect(tinCan.waitingAtPickup.count).toBe(2);
    expect(tinCan.waitingAtPickup.median).toBe(4950);
    expect(tinCan.waitingAtPickup.p90).toBeCloseTo(6750, 6);
    expect(tinCan.transit).toEqual({ count: 1, median: 7200, p90: 7200 });
  });

  it('reports no lanes and no trips for no input', () => {
    expect(tatReport([])).toEqual({ trips: [], lanes: [] });
  });
});

describe('moving intervals', () => {
  const fix = (time: string, speedKmh: number | null) => ({ fixTime: lagos(`2024-03-05 ${time}`), speedKmh });

  it('counts the gap between two consecutive moving fixes as moving, and joins touching gaps', () => {
    const moving = movingIntervals([fix('08:00', 30), fix('08:01', 40), fix('08:02', 35), fix('08:03', 2)]);
    expect(moving).toEqual([{ start: lagos('2024-03-05 08:00'), end: lagos('2024-03-05 08:02') }]);
  });

  it('does not count a gap longer than five minutes, even between moving fixes', () => {
    expect(movingIntervals([fix('08:00', 30), fix('08:06', 30)])).toEqual([]);
    expect(movingIntervals([fix('08:00', 30), fix('08:05', 30)])).toHaveLength(1);
  });

  it('treats a fix below 5 km/h or with no speed as stopped', () => {
    expect(movingIntervals([fix('08:00', 4.9), fix('08:01', 30)])).toEqual([]);
    expect(movingIntervals([fix('08:00', null), fix('08:01', 30)])).toEqual([]);
    expect(movingIntervals([fix('08:00', 5), fix('08:01', 5)])).toHaveLength(1);
  });

  it('sorts fixes that arrive out of order', () => {
    const moving = movingIntervals([fix('08:02', 30), fix('08:00', 30), fix('08:01', 30)]);
    expect(moving).toEqual([{ start: lagos('2024-03-05 08:00'), end: lagos('2024-03-05 08:02') }]);
  });

  it('takes its speed threshold and gap limit from options', () => {
    const fixes = [fix('08:00', 8), fix('08:08', 8)];
    expect(movingIntervals(fixes, { minSpeedKmh: 10, maxGapMs: 10 * 60_000 })).toEqual([]);
    expect(movingIntervals(fixes, { minSpeedKmh: 5, maxGapMs: 10 * 60_000 })).toHaveLength(1);
  });
});

describe('utilization', () => {
  const truck = (truckId: string, onTrip: Interval[], moving: Interval[] = []) => ({
    truckId,
    truckNumber: `KJA-${truckId}XY`,
    onTrip,
    moving,
  });
  const span = (start: string, end: string): Interval => ({ start: lagos(start), end: lagos(end) });

  it('splits a trip across Lagos midnight: 23:00 to 01:00 is one hour on each day', () => {
    const report = utilization({
      from: '2024-03-05',
      to: '2024-03-06',
      now: lagos('2024-03-10 12:00'),
      trucks: [truck('101', [span('2024-03-05 23:00', '2024-03-06 01:00')])],
    });
    expect(report.trucks[0]!.days).toEqual([
      { date: '2024-03-05', onTripShare: H / DAY, movingShare: 0 },
      { date: '2024-03-06', onTripShare: H / DAY, movingShare: 0 },
    ]);
    // 2 h over two full days
    expect(report.trucks[0]!.onTripShare).toBeCloseTo((2 * H) / (2 * DAY), 12);
  });

  it('cuts days at Lagos midnight, not UTC midnight', () => {
    // 00:30 to 01:30 Lagos is 23:30 to 00:30 UTC: entirely on 6 March in Lagos.
    const report = utilization({
      from: '2024-03-05',
      to: '2024-03-06',
      now: lagos('2024-03-10 12:00'),
      trucks: [truck('101', [span('2024-03-06 00:30', '2024-03-06 01:30')])],
    });
    expect(report.trucks[0]!.days.map((d) => d.onTripShare)).toEqual([0, H / DAY]);
  });

  it('measures today against the hours elapsed so far, leaves out days not yet begun', () => {
    // now 10:00: today's window is 00:00–10:00 = 10 h. An open trip since 04:00 (ending at now) is 6 h → 0.6.
    // A trip planned to run to 20:00 counts only up to now as well.
    const now = lagos('2024-03-06 10:00');
    const open = onTripInterval({ dispatchedAt: lagos('2024-03-06 04:00') }, now)!;
    const report = utilization({
      from: '2024-03-05',
      to: '2024-03-07',
      now,
      trucks: [truck('101', [open]), truck('102', [span('2024-03-06 07:00', '2024-03-06 20:00')])],
    });
    expect(report.days.map((d) => d.date)).toEqual(['2024-03-05', '2024-03-06']);
    expect(report.trucks[0]!.days[1]).toEqual({ date: '2024-03-06', onTripShare: 0.6, movingShare: 0 });
    expect(report.trucks[1]!.days[1]!.onTripShare).toBeCloseTo(0.3, 12);
    // over the range: 6 h of (24 h + 10 h)
    expect(report.trucks[0]!.onTripShare).toBeCloseTo(6 / 34, 12);
  });

  it('averages each day over every truck given, idle ones included', () => {
    // day 1: 101 on trip 12 h (0.5), moving 6 h (0.25); 102 idle → fleet 0.25 and 0.125
    const report = utilization({
      from: '2024-03-05',
      to: '2024-03-05',
      now: lagos('2024-03-10 12:00'),
      trucks: [
        truck(
          '101',
          [span('2024-03-05 06:00', '2024-03-05 18:00')],
          [span('2024-03-05 08:00', '2024-03-05 14:00')],
        ),
        truck('102', []),
      ],
    });
    expect(report.days).toEqual([{ date: '2024-03-05', trucks: 2, onTripShare: 0.25, movingShare: 0.125 }]);
    expect(report.trucks.map((t) => [t.truckId, t.truckNumber])).toEqual([
      ['101', 'KJA-101XY'],
      ['102', 'KJA-102XY'],
    ]);
  });

  it('counts overlapping trips on one truck once, so a share never passes 1', () => {
    const report = utilization({
      from: '2024-03-05',
      to: '2024-03-05',
      now: lagos('2024-03-10 12:00'),
      trucks: [
        truck('101', [
          span('2024-03-04 20:00', '2024-03-05 18:00'),
          span('2024-03-05 12:00', '2024-03-06 06:00'),
        ]),
      ],
    });
    expect(report.trucks[0]!.days[0]!.onTripShare).toBe(1);
  });

  it('reports no fleet average when no trucks are given', () => {
    const report = utilization({
      from: '2024-03-05',
      to: '2024-03-05',
      now: lagos('2024-03-10 12:00'),
      trucks: [],
    });
    expect(report.days).toEqual([{ date: '2024-03-05', trucks: 0, onTripShare: null, movingShare: null }]);
  });

  it('refuses a range that ends before it starts, or dates that are not dates', () => {
    const now = lagos('2024-03-10 12:00');
    expect(() => utilization({ from: '2024-03-06', to: '2024-03-05', now, trucks: [] })).toThrow(RangeError);
    expect(() => utilization({ from: '2024-02-30', to: '2024-03-05', now, trucks: [] })).toThrow(RangeError);
  });

  it('keeps a trip open until now, and ends it at completion or cancellation', () => {
    const now = lagos('2024-03-05 12:00');
    expect(onTripInterval({ dispatchedAt: lagos('2024-03-05 08:00') }, now)).toEqual(
      span('2024-03-05 08:00', '2024-03-05 12:00'),
    );
    expect(
      onTripInterval(
        {
          dispatchedAt: lagos('2024-03-05 08:00'),
          cancelledAt: lagos('2024-03-05 09:00'),
          completedAt: null,
        },
        now,
      ),
    ).toEqual(span('2024-03-05 08:00', '2024-03-05 09:00'));
    expect(onTripInterval({ dispatchedAt: null }, now)).toBeNull();
  });
});

describe('km driven', () => {
  // Moving due north, one degree of latitude is R·π/180 = 6371008.8 · π/180 ≈ 111195.08 m.
  const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;
  const start = lagos('2024-03-05 08:00').getTime();
  const at = (northM: number, minute: number, lng = 3.36) => ({
    lat: 6.45 + northM / M_PER_DEG_LAT,
    lng,
    fixTime: new Date(start + minute * 60_000),
  });

  it('sums the hops along the route', () => {
    // 1 km a minute (60 km/h) for three minutes
    expect(kmDriven([at(0, 0), at(1000, 1), at(2000, 2), at(3000, 3)])).toBeCloseTo(3, 6);
  });

  it('drops a fix that implies more than 200 km/h and keeps counting from the last good one', () => {
    const spike = { lat: 7.45, lng: 3.36, fixTime: new Date(start + 90_000) }; // 111 km away, 30 s later
    expect(kmDriven([at(0, 0), at(1000, 1), spike, at(2000, 2), at(3000, 3)])).toBeCloseTo(3, 6);
  });

  it('recovers when the first fix is the glitch', () => {
    const abuja = { lat: 9.06, lng: 7.49, fixTime: new Date(start - 60_000) };
    expect(kmDriven([abuja, at(0, 0), at(1000, 1), at(2000, 2)])).toBeCloseTo(2, 6);
  });

  it('adds nothing for a parked truck whose fixes wander by a few metres', () => {
    const parked = [at(0, 0), at(2, 1), at(-1.5, 2), at(3, 3), at(0.5, 4)];
    expect(kmDriven(parked)).toBe(0);
  });

  it('still counts a slow crawl made of hops shorter than 5 m', () => {
    // fixes every 3 m: counted from reference points at 0, 6, 12, 18, 24 m → 24 m of the 27 m
    const crawl = Array.from({ length: 10 }, (_, k) => at(3 * k, k));
    expect(kmDriven(crawl)).toBeCloseTo(0.024, 6);
  });

  it('sorts fixes by time before measuring', () => {
    expect(kmDriven([at(2000, 2), at(0, 0), at(1000, 1)])).toBeCloseTo(2, 6);
  });

  it('is zero for fewer than two fixes', () => {
    expect(kmDriven([])).toBe(0);
    expect(kmDriven([at(0, 0)])).toBe(0);
  });
});
