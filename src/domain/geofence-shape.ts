// The three geofence shapes the fleet draws (a yard polygon, a circle around a customer's gate, a corridor
// along a route) and the one question asked of each: is this fix inside, and if not, by how many metres.
//
// Every caller (one-off checks, the spatial index) goes through `prepareShape` + `measurePrepared`, so the
// index can never disagree with `containsPoint` about a fix on the edge.

import { z } from 'zod';
import {
  type BBox,
  bboxOfFlat,
  distanceToFlatPathM,
  expandBBoxM,
  flattenPositions,
  haversineM,
  pointInFlatPolygon,
} from './geo.ts';

export type GeofenceShape =
  | { kind: 'polygon'; coordinates: number[][][] }
  | { kind: 'circle'; center: { lat: number; lng: number }; radiusM: number }
  | { kind: 'corridor'; line: number[][]; widthM: number };

/** A shape with its vertices flattened and its unexpanded bbox computed, ready for repeated tests. */
export type PreparedShape =
  | { kind: 'polygon'; rings: Float64Array[]; bbox: BBox }
  | { kind: 'circle'; lat: number; lng: number; radiusM: number; bbox: BBox }
  | { kind: 'corridor'; path: Float64Array; halfWidthM: number; bbox: BBox };

export interface ShapeMeasure {
  inside: boolean;
  /** 0 when inside, else metres beyond the boundary. */
  distanceOutsideM: number;
}

export function prepareShape(shape: GeofenceShape): PreparedShape {
  switch (shape.kind) {
    case 'polygon': {
      const rings = shape.coordinates.map(flattenPositions);
      // Holes lie inside the outer ring, so the outer ring alone bounds the shape.
      return { kind: 'polygon', rings, bbox: rings[0] ? bboxOfFlat(rings[0]) : emptyBBox() };
    }
    case 'circle': {
      const { lat, lng } = shape.center;
      const bbox = expandBBoxM({ minLng: lng, minLat: lat, maxLng: lng, maxLat: lat }, shape.radiusM);
      return { kind: 'circle', lat, lng, radiusM: shape.radiusM, bbox };
    }
    case 'corridor': {
      const path = flattenPositions(shape.line);
      const halfWidthM = shape.widthM / 2;
      return { kind: 'corridor', path, halfWidthM, bbox: expandBBoxM(bboxOfFlat(path), halfWidthM) };
    }
  }
}

function emptyBBox(): BBox {
  return { minLng: Number.NaN, minLat: Number.NaN, maxLng: Number.NaN, maxLat: Number.NaN };
}

export function measurePrepared(shape: PreparedShape, lat: number, lng: number): ShapeMeasure {
  switch (shape.kind) {
    case 'polygon': {
      if (pointInFlatPolygon(lat, lng, shape.rings)) return { inside: true, distanceOutsideM: 0 };
      let gap = Number.POSITIVE_INFINITY;
      for (const ring of shape.rings) gap = Math.min(gap, distanceToFlatPathM(lat, lng, ring));
      return { inside: false, distanceOutsideM: gap };
    }
    case 'circle':
      return beyond(haversineM(shape.lat, shape.lng, lat, lng), shape.radiusM);
    case 'corridor':
      return beyond(distanceToFlatPathM(lat, lng, shape.path), shape.halfWidthM);
  }
}

function beyond(distanceM: number, limitM: number): ShapeMeasure {
  return distanceM <= limitM
    ? { inside: true, distanceOutsideM: 0 }
    : { inside: false, distanceOutsideM: distanceM - limitM };
}

export function containsPoint(shape: GeofenceShape, lat: number, lng: number): boolean {
  return measurePrepared(prepareShape(shape), lat, lng).inside;
}

/** 0 when inside, else metres beyond the boundary. */
export function distanceOutsideM(shape: GeofenceShape, lat: number, lng: number): number {
  return measurePrepared(prepareShape(shape), lat, lng).distanceOutsideM;
}

/** The shape's bounding box grown by `marginM` on every side. */
export function shapeBBox(shape: GeofenceShape, marginM = 0): BBox {
  const { bbox } = prepareShape(shape);
  return marginM > 0 ? expandBBoxM(bbox, marginM) : bbox;
}

// ---- REST boundary forms ----------------------------------------------------------------------------

export const MAX_RADIUS_M = 100_000;
export const MAX_CORRIDOR_WIDTH_M = 10_000;

// Messages name the field themselves, because a REST error body often shows only the message.
const position = (field: string) =>
  z
    .array(z.number({ error: `${field}: expected a number` }), {
      error: `${field}: expected a position [lng, lat]`,
    })
    .min(2, { error: `${field}: expected a position [lng, lat]` })
    .max(3, { error: `${field}: expected a position [lng, lat] (optionally with altitude)` })
    .superRefine((p, ctx) => {
      const [lng, lat] = p as [number, number];
      if (!Number.isFinite(lng) || lng < -180 || lng > 180) {
        ctx.addIssue({ code: 'custom', message: `${field}: longitude must be in [-180, 180], got ${lng}` });
      }
      if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
        ctx.addIssue({ code: 'custom', message: `${field}: latitude must be in [-90, 90], got ${lat}` });
      }
    });

const linearRing = z
  .array(position('coordinates[][]'), { error: 'coordinates: expected an array of rings' })
  .min(4, { error: 'coordinates: each ring needs at least 4 positions (a closed triangle)' })
  .superRefine((ring, ctx) => {
    const first = ring[0]!;
    const last = ring[ring.length - 1]!;
    if (first[0] !== last[0] || first[1] !== last[1]) {
      ctx.addIssue({ code: 'custom', message: 'coordinates: each ring must end where it starts (closed)' });
    } else if (ringArea(ring) === 0) {
      // A flat ring contains nothing, so a fence drawn that way would silently never fire.
      ctx.addIssue({ code: 'custom', message: 'coordinates: each ring must enclose an area' });
    }
  });

/** Shoelace area in square degrees; only its being zero matters. */
function ringArea(ring: readonly number[][]): number {
  let twice = 0;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1]!;
    const b = ring[i]!;
    twice += a[0]! * b[1]! - b[0]! * a[1]!;
  }
  return Math.abs(twice / 2);
}

const polygonBody = z.object({
  type: z.literal('Polygon'),
  coordinates: z
    .array(linearRing, { error: 'coordinates: expected an array of rings [[[lng, lat], ...], ...]' })
    .min(1, { error: 'coordinates: expected at least the outer ring' }),
});

const circleBody = z.object({
  center: z.object(
    {
      lat: z
        .number({ error: 'center.lat: expected a number' })
        .min(-90, { error: 'center.lat: must be in [-90, 90]' })
        .max(90, { error: 'center.lat: must be in [-90, 90]' }),
      lng: z
        .number({ error: 'center.lng: expected a number' })
        .min(-180, { error: 'center.lng: must be in [-180, 180]' })
        .max(180, { error: 'center.lng: must be in [-180, 180]' }),
    },
    { error: 'center: expected {lat, lng}' },
  ),
  radius_m: z
    .number({ error: `radius_m: expected a number of metres from 1 to ${MAX_RADIUS_M}` })
    .min(1, { error: `radius_m: must be from 1 to ${MAX_RADIUS_M} metres` })
    .max(MAX_RADIUS_M, { error: `radius_m: must be from 1 to ${MAX_RADIUS_M} metres` }),
});

const corridorBody = z.object({
  type: z.literal('LineString'),
  coordinates: z
    .array(position('coordinates[]'), { error: 'coordinates: expected [[lng, lat], ...]' })
    .min(2, { error: 'coordinates: a LineString needs at least 2 positions' }),
  width_m: z
    .number({ error: `width_m: a LineString boundary needs width_m, a number of metres` })
    .min(1, { error: `width_m: must be from 1 to ${MAX_CORRIDOR_WIDTH_M} metres` })
    .max(MAX_CORRIDOR_WIDTH_M, { error: `width_m: must be from 1 to ${MAX_CORRIDOR_WIDTH_M} metres` }),
});

const BOUNDARY_FORMS =
  'boundary: expected a GeoJSON Polygon, a GeoJSON LineString with width_m, or {center: {lat, lng}, radius_m}';

/**
 * A geofence boundary as the REST API accepts it, turned into a GeofenceShape. The form is picked by
 * `type` (or by `center`) first, so errors speak about that form instead of "no union member matched".
 */
export const boundarySchema = z.unknown().transform((body, ctx): GeofenceShape => {
  const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const schema =
    form?.type === 'Polygon'
      ? polygonBody
      : form?.type === 'LineString'
        ? corridorBody
        : form && form.type === undefined && 'center' in form
          ? circleBody
          : undefined;
  if (!schema) {
    ctx.addIssue({ code: 'custom', message: BOUNDARY_FORMS });
    return z.NEVER;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] });
    }
    return z.NEVER;
  }
  const data = parsed.data;
  if ('radius_m' in data) {
    return { kind: 'circle', center: { lat: data.center.lat, lng: data.center.lng }, radiusM: data.radius_m };
  }
  if (data.type === 'LineString') {
    return { kind: 'corridor', line: data.coordinates.map((p) => [p[0]!, p[1]!]), widthM: data.width_m };
  }
  return { kind: 'polygon', coordinates: data.coordinates.map((r) => r.map((p) => [p[0]!, p[1]!])) };
});
