import { describe, expect, it } from 'vitest';
import { bboxContains, haversineM, METRES_PER_DEGREE } from '../../src/domain/geo.ts';
import {
  boundarySchema,
  containsPoint,
  distanceOutsideM,
  type GeofenceShape,
  shapeBBox,
} from '../../src/domain/geofence-shape.ts';
import { seededRandom, syntheticGeofences } from '../../src/domain/spatial-index.ts';

// Apapa port gate, roughly; a 30 m circle and a 40 m-wide corridor running 1 km due east from it.
const GATE = { lat: 6.4474, lng: 3.3671 };
const EAST_1KM = 1000 / (METRES_PER_DEGREE * Math.cos((GATE.lat * Math.PI) / 180));
const circle: GeofenceShape = { kind: 'circle', center: GATE, radiusM: 30 };
const corridor: GeofenceShape = {
  kind: 'corridor',
  line: [
    [GATE.lng, GATE.lat],
    [GATE.lng + EAST_1KM, GATE.lat],
  ],
  widthM: 40,
};
const north = (metres: number) => GATE.lat + metres / METRES_PER_DEGREE;

describe('containsPoint and distanceOutsideM', () => {
  it('treats a circle as inside up to its radius and measures beyond it by haversine', () => {
    expect(containsPoint(circle, north(29.9), GATE.lng)).toBe(true);
    expect(distanceOutsideM(circle, north(29.9), GATE.lng)).toBe(0);
    expect(containsPoint(circle, north(30.1), GATE.lng)).toBe(false);
    expect(distanceOutsideM(circle, north(80), GATE.lng)).toBeCloseTo(50, 6);
  });

  it('treats a corridor as inside within half its width of the line', () => {
    const midLng = GATE.lng + EAST_1KM / 2;
    expect(containsPoint(corridor, north(19.9), midLng)).toBe(true);
    expect(containsPoint(corridor, north(20.1), midLng)).toBe(false);
    expect(distanceOutsideM(corridor, north(50), midLng)).toBeCloseTo(30, 1);
  });

  it('measures a point in a polygon hole by its distance to the hole edge', () => {
    const d = 0.001;
    const ring = (h: number) => [
      [GATE.lng - h, GATE.lat - h],
      [GATE.lng + h, GATE.lat - h],
      [GATE.lng + h, GATE.lat + h],
      [GATE.lng - h, GATE.lat + h],
      [GATE.lng - h, GATE.lat - h],
    ];
    const donut: GeofenceShape = { kind: 'polygon', coordinates: [ring(3 * d), ring(d)] };
    expect(containsPoint(donut, GATE.lat, GATE.lng)).toBe(false);
    expect(distanceOutsideM(donut, GATE.lat, GATE.lng)).toBeCloseTo(d * METRES_PER_DEGREE, -1);
    expect(containsPoint(donut, GATE.lat + 2 * d, GATE.lng)).toBe(true);
    expect(distanceOutsideM(donut, GATE.lat + 2 * d, GATE.lng)).toBe(0);
  });
});

describe('shapeBBox', () => {
  it('holds every inside point, and every point within the margin, of a thousand random shapes', () => {
    const rnd = seededRandom(11);
    for (const { shape } of syntheticGeofences(1000, 5)) {
      const box = shapeBBox(shape, 0);
      const grown = shapeBBox(shape, 60);
      for (let k = 0; k < 20; k++) {
        // Sample around the grown box so points land inside, near and outside the shape.
        const lat = grown.minLat + (rnd() * 1.2 - 0.1) * (grown.maxLat - grown.minLat);
        const lng = grown.minLng + (rnd() * 1.2 - 0.1) * (grown.maxLng - grown.minLng);
        if (containsPoint(shape, lat, lng)) expect(bboxContains(box, lat, lng)).toBe(true);
        if (distanceOutsideM(shape, lat, lng) <= 59.9) expect(bboxContains(grown, lat, lng)).toBe(true);
      }
    }
  });

  it('bounds a circle by its radius in every direction', () => {
    const box = shapeBBox(circle);
    expect(haversineM(GATE.lat, GATE.lng, box.maxLat, GATE.lng)).toBeCloseTo(30, 3);
    expect(haversineM(GATE.lat, GATE.lng, GATE.lat, box.maxLng)).toBeCloseTo(30, 3);
  });
});

describe('boundarySchema', () => {
  const ring = [
    [3.36, 6.44],
    [3.37, 6.44],
    [3.37, 6.45],
    [3.36, 6.44],
  ];
  const messages = (body: unknown) => {
    const r = boundarySchema.safeParse(body);
    expect(r.success).toBe(false);
    return r.success ? '' : r.error.issues.map((i) => i.message).join(' | ');
  };

  it('turns a GeoJSON Polygon into a polygon shape, dropping altitude', () => {
    const withAltitude = ring.map((p) => [...p, 12]);
    expect(boundarySchema.parse({ type: 'Polygon', coordinates: [withAltitude] })).toEqual({
      kind: 'polygon',
      coordinates: [ring],
    });
  });

  it('turns {center, radius_m} into a circle shape', () => {
    expect(boundarySchema.parse({ center: { lat: 6.45, lng: 3.37 }, radius_m: 250 })).toEqual({
      kind: 'circle',
      center: { lat: 6.45, lng: 3.37 },
      radiusM: 250,
    });
  });

  it('turns a LineString with width_m into a corridor shape', () => {
    const line = [
      [3.36, 6.44],
      [3.4, 6.46],
    ];
    expect(boundarySchema.parse({ type: 'LineString', coordinates: line, width_m: 60 })).toEqual({
      kind: 'corridor',
      line,
      widthM: 60,
    });
  });

  it('rejects a ring that does not end where it starts', () => {
    expect(messages({ type: 'Polygon', coordinates: [[...ring.slice(0, 3), [3.361, 6.44]]] })).toContain(
      'must end where it starts',
    );
  });

  it('rejects a ring of fewer than four positions', () => {
    expect(messages({ type: 'Polygon', coordinates: [ring.slice(1)] })).toContain('at least 4 positions');
  });

  it('rejects a ring that encloses no area', () => {
    const flat = [
      [3.36, 6.44],
      [3.37, 6.44],
      [3.38, 6.44],
      [3.36, 6.44],
    ];
    expect(messages({ type: 'Polygon', coordinates: [flat] })).toContain('enclose an area');
  });

  it('names longitude and latitude out of range, reading positions as [lng, lat]', () => {
    const east = ring.map(([lng, lat]) => [lng! + 200, lat!]);
    expect(messages({ type: 'Polygon', coordinates: [east] })).toContain('longitude must be in [-180, 180]');
    // A [lat, lng] swap is the usual mistake; it only shows when the "latitude" leaves [-90, 90].
    const swapped = ring.map(([lng, lat]) => [lat!, lng! + 100]);
    expect(messages({ type: 'Polygon', coordinates: [swapped] })).toContain('latitude must be in [-90, 90]');
  });

  it('rejects a radius of 0 and one above 100 km, naming radius_m', () => {
    expect(messages({ center: { lat: 6.45, lng: 3.37 }, radius_m: 0 })).toContain('radius_m');
    expect(messages({ center: { lat: 6.45, lng: 3.37 }, radius_m: 100_001 })).toContain('radius_m');
  });

  it('names center.lat when the centre is off the globe', () => {
    expect(messages({ center: { lat: 96, lng: 3.37 }, radius_m: 10 })).toContain('center.lat');
  });

  it('asks for width_m when a LineString comes without it', () => {
    expect(messages({ type: 'LineString', coordinates: ring.slice(0, 2) })).toContain('width_m');
  });

  it('lists the accepted forms when the body is none of them', () => {
    expect(messages({ type: 'Point', coordinates: [3.36, 6.44] })).toContain('GeoJSON Polygon');
    expect(messages('a string')).toContain('{center: {lat, lng}, radius_m}');
  });
});
