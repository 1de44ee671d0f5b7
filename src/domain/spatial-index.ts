// Which geofences is this fix in or near? Every position runs through here (1,000/s and up), so the
// geofences are prepared once (flattened vertices, bboxes in a packed R-tree) and a query only walks the
// few candidates whose box is near the fix.

import Flatbush from 'flatbush';
import { metresToDegreesLat, metresToDegreesLng } from './geo.ts';
import { type GeofenceShape, measurePrepared, type PreparedShape, prepareShape } from './geofence-shape.ts';

export interface IndexedGeofence {
  id: string;
  shape: GeofenceShape;
}

export interface GeofenceHit {
  id: string;
  inside: boolean;
  /** 0 when inside, else metres beyond the boundary. */
  distanceOutsideM: number;
}

export class GeofenceIndex {
  readonly size: number;
  private readonly ids: string[];
  private readonly shapes: PreparedShape[];
  private readonly tree: Flatbush | undefined;

  constructor(geofences: readonly IndexedGeofence[]) {
    this.size = geofences.length;
    this.ids = geofences.map((g) => g.id);
    this.shapes = geofences.map((g) => prepareShape(g.shape));
    // Flatbush cannot be built empty, and an empty fleet config is normal on a fresh install.
    if (this.size === 0) return;
    const tree = new Flatbush(this.size);
    for (const { bbox } of this.shapes) tree.add(bbox.minLng, bbox.minLat, bbox.maxLng, bbox.maxLat);
    tree.finish();
    this.tree = tree;
  }

  /**
   * Every geofence whose bbox, grown by `marginM`, contains the fix, measured exactly. A geofence the
   * truck has left by more than `marginM` is simply absent, so callers tracking presence should treat
   * "absent" as "far outside". Pass the exit margin here so a truck jittering just outside a fence it is
   * in still gets that fence back with its distance.
   */
  query(lat: number, lng: number, marginM = 0): GeofenceHit[] {
    const hits: GeofenceHit[] = [];
    if (!this.tree) return hits;
    // Growing the point instead of every box is the same test, done once.
    const dLat = metresToDegreesLat(marginM);
    const dLng = metresToDegreesLng(marginM, lat);
    this.tree.search(lng - dLng, lat - dLat, lng + dLng, lat + dLat, (i) => {
      const m = measurePrepared(this.shapes[i]!, lat, lng);
      hits.push({ id: this.ids[i]!, inside: m.inside, distanceOutsideM: m.distanceOutsideM });
      // Collected here, so tell Flatbush not to build its own result array.
      return false;
    });
    return hits;
  }
}

// ---- synthetic geofences and a micro-benchmark ------------------------------------------------------

/** Small deterministic PRNG (mulberry32): benchmarks and property tests must be repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Roughly greater Lagos, where synthetic geofences and query points are scattered. */
export const LAGOS_AREA = { minLat: 6.4, maxLat: 6.7, minLng: 3.1, maxLng: 3.6 } as const;

type ShapeKind = GeofenceShape['kind'];

/**
 * `n` random geofences over greater Lagos: star-shaped (often concave) polygons of 50-400 m, some with a
 * hole; circles of 20-500 m; corridors of 2-6 vertices with widths of 10-100 m.
 */
export function syntheticGeofences(
  n: number,
  seed = 1,
  kinds: readonly ShapeKind[] = ['polygon', 'circle', 'corridor'],
): IndexedGeofence[] {
  const rnd = seededRandom(seed);
  const degLat = metresToDegreesLat(1);
  const degLng = metresToDegreesLng(1, (LAGOS_AREA.minLat + LAGOS_AREA.maxLat) / 2);
  const out: IndexedGeofence[] = [];
  for (let k = 0; k < n; k++) {
    const lat = LAGOS_AREA.minLat + rnd() * (LAGOS_AREA.maxLat - LAGOS_AREA.minLat);
    const lng = LAGOS_AREA.minLng + rnd() * (LAGOS_AREA.maxLng - LAGOS_AREA.minLng);
    const kind = kinds[Math.floor(rnd() * kinds.length)]!;
    let shape: GeofenceShape;
    if (kind === 'circle') {
      shape = { kind, center: { lat, lng }, radiusM: 20 + rnd() * 480 };
    } else if (kind === 'corridor') {
      const line: number[][] = [[lng, lat]];
      const vertices = 2 + Math.floor(rnd() * 5);
      for (let v = 1; v < vertices; v++) {
        const [px, py] = line[v - 1] as [number, number];
        const step = 100 + rnd() * 600;
        const angle = rnd() * 2 * Math.PI;
        line.push([px + Math.cos(angle) * step * degLng, py + Math.sin(angle) * step * degLat]);
      }
      shape = { kind, line, widthM: 10 + rnd() * 90 };
    } else {
      const radius = 50 + rnd() * 350;
      const ring = (r: number, vertices: number) => {
        const pts: number[][] = [];
        for (let v = 0; v < vertices; v++) {
          const angle = (v / vertices) * 2 * Math.PI;
          const reach = r * (0.4 + 0.6 * rnd());
          pts.push([lng + Math.cos(angle) * reach * degLng, lat + Math.sin(angle) * reach * degLat]);
        }
        pts.push(pts[0]!);
        return pts;
      };
      const coordinates = [ring(radius, 5 + Math.floor(rnd() * 8))];
      // The hole stays within 0.25 r; the outer ring's edges never come closer than 0.32 r.
      if (rnd() < 0.25) coordinates.push(ring(radius * 0.25, 4).reverse());
      shape = { kind: 'polygon', coordinates };
    }
    out.push({ id: `gf-${k}`, shape });
  }
  return out;
}

export interface IndexBenchmark {
  geofences: number;
  buildMs: number;
  queries: number;
  nsPerQuery: number;
  hitsPerQuery: number;
}

/** Builds an index over `n` small synthetic polygons and times random queries with a 50 m margin. */
export function measureIndex(n: number, queries = 200_000, seed = 1): IndexBenchmark {
  const geofences = syntheticGeofences(n, seed, ['polygon']);
  const t0 = performance.now();
  const index = new GeofenceIndex(geofences);
  const buildMs = performance.now() - t0;
  const rnd = seededRandom(seed + 1);
  const points = new Float64Array(queries * 2);
  for (let i = 0; i < queries; i++) {
    points[2 * i] = LAGOS_AREA.minLat + rnd() * (LAGOS_AREA.maxLat - LAGOS_AREA.minLat);
    points[2 * i + 1] = LAGOS_AREA.minLng + rnd() * (LAGOS_AREA.maxLng - LAGOS_AREA.minLng);
  }
  let hits = 0;
  const run = (count: number) => {
    for (let i = 0; i < count; i++) hits += index.query(points[2 * i]!, points[2 * i + 1]!, 50).length;
  };
  run(Math.min(queries, 20_000)); // let the JIT settle before timing
  hits = 0;
  const t1 = performance.now();
  run(queries);
  const elapsed = performance.now() - t1;
  return {
    geofences: n,
    buildMs,
    queries,
    nsPerQuery: (elapsed * 1e6) / queries,
    hitsPerQuery: hits / queries,
  };
}
