// Spherical and local-plane geometry for geofences, on WGS 84 degrees with GeoJSON's [lng, lat] order.
//
// Distances to edges use an equirectangular projection centred on the query point: at city scale (tens of
// km) its error is well under 1%, and it needs no trigonometry per vertex. It does not handle shapes that
// straddle the antimeridian or reach a pole; no fleet route in West Africa comes close to either.
//
// The hot paths work on flat Float64Arrays ([lng0, lat0, lng1, lat1, ...]) so a prepared geofence can be
// tested over and over without allocating; the number[][] forms are thin wrappers for one-off callers.

export const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;
/** Metres in one degree of latitude (and of longitude at the equator) on the sphere above. */
export const METRES_PER_DEGREE = EARTH_RADIUS_M * RAD;

export interface BBox {
  minLng: number;
  minLat: number;
  maxLng: number;
  maxLat: number;
}

/** Great-circle distance in metres. */
export function haversineM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLng = (lng2 - lng1) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** [[lng, lat], ...] → [lng, lat, lng, lat, ...]; a third (altitude) value is dropped. */
export function flattenPositions(positions: readonly (readonly number[])[]): Float64Array {
  const out = new Float64Array(positions.length * 2);
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    out[2 * i] = p[0]!;
    out[2 * i + 1] = p[1]!;
  }
  return out;
}

/** Even-odd ray casting; the ring may be closed (GeoJSON) or open. Projection-free, so exact in degrees. */
export function pointInFlatRing(lng: number, lat: number, ring: Float64Array): boolean {
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = ring[i]!;
    const yi = ring[i + 1]!;
    const xj = ring[j]!;
    const yj = ring[j + 1]!;
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside the outer ring (first) and in none of the holes (the rest). */
export function pointInFlatPolygon(lat: number, lng: number, rings: readonly Float64Array[]): boolean {
  if (rings.length === 0 || !pointInFlatRing(lng, lat, rings[0]!)) return false;
  for (let r = 1; r < rings.length; r++) {
    if (pointInFlatRing(lng, lat, rings[r]!)) return false;
  }
  return true;
}

/** Shortest distance in metres from the point to any segment of the path (a ring counts as a path). */
export function distanceToFlatPathM(lat: number, lng: number, path: Float64Array): number {
  const kx = Math.cos(lat * RAD) * METRES_PER_DEGREE;
  const ky = METRES_PER_DEGREE;
  const n = path.length;
  if (n === 0) return Number.POSITIVE_INFINITY;
  let ax = (path[0]! - lng) * kx;
  let ay = (path[1]! - lat) * ky;
  let best = ax * ax + ay * ay;
  for (let i = 2; i < n; i += 2) {
    const bx = (path[i]! - lng) * kx;
    const by = (path[i + 1]! - lat) * ky;
    // The point is the origin of the local plane, so the closest point on AB is A + t(B - A), t clamped.
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
    if (t < 0) t = 0;
    else if (t > 1) t = 1;
    const cx = ax + t * dx;
    const cy = ay + t * dy;
    const d2 = cx * cx + cy * cy;
    if (d2 < best) best = d2;
    ax = bx;
    ay = by;
  }
  return Math.sqrt(best);
}

/** GeoJSON Polygon coordinates: outer ring first, then holes. */
export function pointInPolygon(
  lat: number,
  lng: number,
  coordinates: readonly (readonly number[])[][],
): boolean {
  return pointInFlatPolygon(lat, lng, coordinates.map(flattenPositions));
}

/** Metres from the point to the nearest edge of any ring (outer or hole), whichever side it is on. */
export function distanceToPolygonBoundaryM(
  lat: number,
  lng: number,
  coordinates: readonly (readonly number[])[][],
): number {
  let best = Number.POSITIVE_INFINITY;
  for (const ring of coordinates)
    best = Math.min(best, distanceToFlatPathM(lat, lng, flattenPositions(ring)));
  return best;
}

/** Metres from the point to a GeoJSON LineString. */
export function distanceToLineStringM(
  lat: number,
  lng: number,
  line: readonly (readonly number[])[],
): number {
  return distanceToFlatPathM(lat, lng, flattenPositions(line));
}

/** Degrees of latitude spanned by `metres` along a meridian. */
export function metresToDegreesLat(metres: number): number {
  return metres / METRES_PER_DEGREE;
}

/**
 * Half-width in degrees of longitude of a spherical cap of radius `metres` centred at `lat`: the widest
 * longitude offset any point within `metres` can have. Infinity when the cap reaches a pole.
 */
export function metresToDegreesLng(metres: number, lat: number): number {
  const s = Math.sin(metres / EARTH_RADIUS_M) / Math.cos(lat * RAD);
  return s >= 1 ? Number.POSITIVE_INFINITY : Math.asin(s) / RAD;
}

export function bboxOfFlat(flat: Float64Array): BBox {
  let minLng = Number.POSITIVE_INFINITY;
  let minLat = Number.POSITIVE_INFINITY;
  let maxLng = Number.NEGATIVE_INFINITY;
  let maxLat = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < flat.length; i += 2) {
    const x = flat[i]!;
    const y = flat[i + 1]!;
    if (x < minLng) minLng = x;
    if (x > maxLng) maxLng = x;
    if (y < minLat) minLat = y;
    if (y > maxLat) maxLat = y;
  }
  return { minLng, minLat, maxLng, maxLat };
}

export function bboxOfPositions(positions: readonly (readonly number[])[]): BBox {
  return bboxOfFlat(flattenPositions(positions));
}

// Absorbs float rounding so a point exactly `metres` away is never dropped by the box (~0.1 mm).
const PAD_DEG = 1e-9;

/**
 * The box grown by `metres` on every side. Conservative: every point within `metres` of the box is in the
 * result (longitude growth is taken at the latitude furthest from the equator). Clamped to the globe.
 */
export function expandBBoxM(box: BBox, metres: number): BBox {
  const dLat = metresToDegreesLat(metres) + PAD_DEG;
  const minLat = Math.max(-90, box.minLat - dLat);
  const maxLat = Math.min(90, box.maxLat + dLat);
  const dLng = metresToDegreesLng(metres, Math.max(Math.abs(minLat), Math.abs(maxLat))) + PAD_DEG;
  return {
    minLng: Math.max(-180, box.minLng - dLng),
    minLat,
    maxLng: Math.min(180, box.maxLng + dLng),
    maxLat,
  };
}

export function bboxContains(box: BBox, lat: number, lng: number): boolean {
  return lng >= box.minLng && lng <= box.maxLng && lat >= box.minLat && lat <= box.maxLat;
}
