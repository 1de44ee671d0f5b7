import { describe, expect, it } from 'vitest';
import { metresToDegreesLat, metresToDegreesLng } from '../../src/domain/geo.ts';
import { containsPoint, measurePrepared, prepareShape, shapeBBox } from '../../src/domain/geofence-shape.ts';
import {
  GeofenceIndex,
  type IndexedGeofence,
  LAGOS_AREA,
  measureIndex,
  seededRandom,
  syntheticGeofences,
} from '../../src/domain/spatial-index.ts';
import { loadBusStops, loadBusTrace } from '../support/trace.ts';

/** Half the points near a random geofence (where the answers are interesting), half anywhere in Lagos. */
function samplePoints(geofences: IndexedGeofence[], n: number, seed: number): [number, number][] {
  const rnd = seededRandom(seed);
  const points: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      const box = shapeBBox(geofences[Math.floor(rnd() * geofences.length)]!.shape, 100);
      points.push([
        box.minLat + rnd() * (box.maxLat - box.minLat),
        box.minLng + rnd() * (box.maxLng - box.minLng),
      ]);
    } else {
      points.push([
        LAGOS_AREA.minLat + rnd() * (LAGOS_AREA.maxLat - LAGOS_AREA.minLat),
        LAGOS_AREA.minLng + rnd() * (LAGOS_AREA.maxLng - LAGOS_AREA.minLng),
      ]);
    }
  }
  return points;
}

describe('GeofenceIndex', () => {
  const geofences = syntheticGeofences(1000, 3);
  const index = new GeofenceIndex(geofences);
  const points = samplePoints(geofences, 2000, 4);

  it('finds exactly the geofences brute force says contain the point, over 1,000 mixed shapes', () => {
    let insideHits = 0;
    for (const [lat, lng] of points) {
      const expected = geofences.filter((g) => containsPoint(g.shape, lat, lng)).map((g) => g.id);
      const got = index
        .query(lat, lng, 0)
        .filter((h) => h.inside)
        .map((h) => h.id);
      expect(got.sort()).toEqual(expected.sort());
      insideHits += expected.length;
    }
    // Guards the sampling: a test where no point falls in any shape would prove nothing.
    expect(insideHits).toBeGreaterThan(250);
  });

  it('returns every geofence within the margin, with the brute-force distance', () => {
    // Prepared once, or brute force over a million pairs takes longer than the rest of the suite.
    const prepared = geofences.map((g) => ({ id: g.id, shape: prepareShape(g.shape) }));
    let nearHits = 0;
    for (const [lat, lng] of points) {
      const hits = new Map(index.query(lat, lng, 50).map((h) => [h.id, h]));
      for (const g of prepared) {
        const d = measurePrepared(g.shape, lat, lng).distanceOutsideM;
        if (d <= 49.9) {
          expect(hits.get(g.id)?.distanceOutsideM).toBe(d);
          if (d > 0) nearHits++;
        }
      }
    }
    expect(nearHits).toBeGreaterThan(100);
  });

  it('only returns geofences whose bbox, grown by the margin, is around the point', () => {
    for (const [lat, lng] of points.slice(0, 500)) {
      for (const hit of index.query(lat, lng, 50)) {
        const box = shapeBBox(geofences[Number(hit.id.slice(3))]!.shape);
        const slackLat = metresToDegreesLat(50.1);
        const slackLng = metresToDegreesLng(50.1, lat);
        expect(lat).toBeGreaterThanOrEqual(box.minLat - slackLat);
        expect(lat).toBeLessThanOrEqual(box.maxLat + slackLat);
        expect(lng).toBeGreaterThanOrEqual(box.minLng - slackLng);
        expect(lng).toBeLessThanOrEqual(box.maxLng + slackLng);
      }
    }
  });

  it('answers with nothing when built from no geofences', () => {
    expect(new GeofenceIndex([]).query(6.45, 3.4, 1000)).toEqual([]);
  });

  it('agrees with brute force at every fix of the real bus trace against 30 m circles on its stops', () => {
    const stops = loadBusStops().map((s) => ({
      id: s.stopId,
      shape: { kind: 'circle' as const, center: { lat: s.lat, lng: s.lng }, radiusM: 30 },
    }));
    const stopIndex = new GeofenceIndex(stops);
    let fixesAtStops = 0;
    for (const p of loadBusTrace()) {
      const expected = stops.filter((s) => containsPoint(s.shape, p.lat, p.lng)).map((s) => s.id);
      const got = stopIndex
        .query(p.lat, p.lng)
        .filter((h) => h.inside)
        .map((h) => h.id);
      expect(got.sort()).toEqual(expected.sort());
      if (expected.length > 0) fixesAtStops++;
    }
    expect(fixesAtStops).toBeGreaterThan(100);
  });
});

describe('measureIndex', () => {
  it('reports build time and per-query cost for the bench script', () => {
    const result = measureIndex(500, 2000);
    expect(result.geofences).toBe(500);
    expect(result.queries).toBe(2000);
    expect(result.nsPerQuery).toBeGreaterThan(0);
    expect(result.buildMs).toBeGreaterThanOrEqual(0);
  });
});
