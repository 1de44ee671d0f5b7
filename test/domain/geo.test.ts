import { describe, expect, it } from 'vitest';
import {
  bboxContains,
  bboxOfPositions,
  distanceToLineStringM,
  distanceToPolygonBoundaryM,
  EARTH_RADIUS_M,
  expandBBoxM,
  haversineM,
  METRES_PER_DEGREE,
  pointInPolygon,
} from '../../src/domain/geo.ts';
import { seededRandom } from '../../src/domain/spatial-index.ts';
import { loadBusStops, loadBusTrace } from '../support/trace.ts';

const RAD = Math.PI / 180;

/** The point `metres` from (lat, lng) along `bearingDeg`, on the same sphere (the direct geodesic problem). */
function destination(lat: number, lng: number, bearingDeg: number, metres: number): [number, number] {
  const d = metres / EARTH_RADIUS_M;
  const b = bearingDeg * RAD;
  const p1 = lat * RAD;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 =
    lng * RAD +
    Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [p2 / RAD, l2 / RAD];
}

// A 1 km square around Lagos Island with a 200 m square hole in its middle.
const LAT0 = 6.45;
const LNG0 = 3.4;
const HALF_LAT = 500 / METRES_PER_DEGREE;
const HALF_LNG = 500 / (METRES_PER_DEGREE * Math.cos(LAT0 * RAD));
const square = (hLat: number, hLng: number) => [
  [LNG0 - hLng, LAT0 - hLat],
  [LNG0 + hLng, LAT0 - hLat],
  [LNG0 + hLng, LAT0 + hLat],
  [LNG0 - hLng, LAT0 + hLat],
  [LNG0 - hLng, LAT0 - hLat],
];
const WITH_HOLE = [square(HALF_LAT, HALF_LNG), square(HALF_LAT / 5, HALF_LNG / 5)];

describe('haversineM', () => {
  it('measures one degree of latitude as R·π/180 metres', () => {
    expect(haversineM(6, 3, 7, 3)).toBeCloseTo(111_195.08, 1);
  });

  it('reproduces the implied speeds the data curator computed for every hop of the bus trace', () => {
    const trace = loadBusTrace();
    for (let i = 1; i < trace.length; i++) {
      const a = trace[i - 1]!;
      const b = trace[i]!;
      const kmh =
        (haversineM(a.lat, a.lng, b.lat, b.lng) / ((b.time.getTime() - a.time.getTime()) / 1000)) * 3.6;
      expect(Math.abs(kmh - b.impliedSpeedKmh!)).toBeLessThanOrEqual(0.0051);
    }
  });
});

describe('pointInPolygon', () => {
  it('counts a point in the ring between outer boundary and hole as inside', () => {
    expect(pointInPolygon(LAT0 + HALF_LAT / 2, LNG0, WITH_HOLE)).toBe(true);
  });

  it('counts a point inside the hole as outside', () => {
    expect(pointInPolygon(LAT0, LNG0, WITH_HOLE)).toBe(false);
  });

  it('counts a point beyond the outer ring as outside', () => {
    expect(pointInPolygon(LAT0 + 2 * HALF_LAT, LNG0, WITH_HOLE)).toBe(false);
  });

  it('keeps the notch of a concave U shape outside', () => {
    const u = [
      [0, 0],
      [3, 0],
      [3, 3],
      [2, 3],
      [2, 1],
      [1, 1],
      [1, 3],
      [0, 3],
      [0, 0],
    ];
    expect(pointInPolygon(2, 1.5, [u])).toBe(false);
    expect(pointInPolygon(2, 0.5, [u])).toBe(true);
    expect(pointInPolygon(0.5, 1.5, [u])).toBe(true);
  });
});

describe('distanceToPolygonBoundaryM', () => {
  it('measures a point 100 m east of the square to within 1%', () => {
    const [lat, lng] = destination(LAT0, LNG0 + HALF_LNG, 90, 100);
    expect(distanceToPolygonBoundaryM(lat, lng, WITH_HOLE)).toBeCloseTo(100, 0);
  });

  it('measures from a point in the hole to the hole edge, not the outer ring', () => {
    expect(distanceToPolygonBoundaryM(LAT0, LNG0, WITH_HOLE)).toBeCloseTo(100, 0);
  });
});

describe('distanceToLineStringM', () => {
  it('agrees with haversine to a densely sampled segment to within 1% at city scale', () => {
    const rnd = seededRandom(7);
    for (let k = 0; k < 50; k++) {
      const a = [3.3 + rnd() * 0.2, 6.4 + rnd() * 0.2];
      const b = [3.3 + rnd() * 0.2, 6.4 + rnd() * 0.2];
      const lat = 6.4 + rnd() * 0.2;
      const lng = 3.3 + rnd() * 0.2;
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i <= 2000; i++) {
        const t = i / 2000;
        const pLng = a[0]! + t * (b[0]! - a[0]!);
        const pLat = a[1]! + t * (b[1]! - a[1]!);
        best = Math.min(best, haversineM(lat, lng, pLat, pLng));
      }
      const got = distanceToLineStringM(lat, lng, [a, b]);
      // The densified sample itself overestimates by up to half a sample spacing.
      const spacing = haversineM(a[1]!, a[0]!, b[1]!, b[0]!) / 2000;
      expect(Math.abs(got - best)).toBeLessThanOrEqual(0.01 * best + spacing);
    }
  });

  it('puts every bus stop within 9.2 m of the recorded track, as the data notes say', () => {
    const line = loadBusTrace().map((p) => [p.lng, p.lat]);
    const distances = loadBusStops().map((s) => distanceToLineStringM(s.lat, s.lng, line));
    expect(Math.max(...distances)).toBeLessThanOrEqual(9.2);
    expect(Math.max(...distances)).toBeGreaterThan(5);
  });

  it('measures from the nearest endpoint when the perpendicular foot falls off the segment', () => {
    const [lat, lng] = destination(LAT0, LNG0, 225, 300);
    const line = [
      [LNG0, LAT0],
      [LNG0 + 0.01, LAT0 + 0.01],
    ];
    expect(distanceToLineStringM(lat, lng, line)).toBeCloseTo(300, 0);
  });
});

describe('expandBBoxM', () => {
  it('contains every point within the margin of the box, and not much more', () => {
    const box = bboxOfPositions(square(HALF_LAT, HALF_LNG));
    const grown = expandBBoxM(box, 250);
    const corners: [number, number][] = [
      [box.minLat, box.minLng],
      [box.maxLat, box.maxLng],
      [box.minLat, box.maxLng],
      [box.maxLat, box.minLng],
    ];
    for (const [lat, lng] of corners) {
      for (let bearing = 0; bearing < 360; bearing += 5) {
        const [pLat, pLng] = destination(lat, lng, bearing, 249.99);
        expect(bboxContains(grown, pLat, pLng)).toBe(true);
      }
    }
    expect((grown.maxLat - box.maxLat) * METRES_PER_DEGREE).toBeLessThan(250 * 1.001);
  });

  it('grows longitude more at high latitudes, where meridians converge', () => {
    const near = expandBBoxM({ minLng: 0, minLat: 0, maxLng: 0, maxLat: 0 }, 1000);
    const far = expandBBoxM({ minLng: 0, minLat: 60, maxLng: 0, maxLat: 60 }, 1000);
    expect(far.maxLng / near.maxLng).toBeCloseTo(2, 2);
  });
});
