import type { TruckNear } from '../db/analytics.ts';
import type { Sql } from '../db/client.ts';
import { type CurrentLocation, listCurrentLocations } from '../db/trucks.ts';
import { haversineM, METRES_PER_DEGREE } from '../domain/geo.ts';
import type { Logger } from '../log.ts';
import type { LocationUpdate } from './live.ts';

// "Trucks near a point" from memory instead of PostGIS: the fleet's current locations (thousands of points)
// scanned per request in tens of microseconds, where a spatial query costs the database about a millisecond
// and caps the API at a few hundred such requests a second on this machine.
//
// It starts from the trucks table and follows the locations stream the position writer publishes after each
// commit (the same stream the live WebSocket pushes come from), newest fix wins; it reloads from the table
// every minute, which also picks up renamed trucks and anything a stream trim dropped. Distances are on the
// sphere, as the PostGIS query measures them (st_distance(…, false)); ties are ordered by truck number.
// Trucks are also filed in a grid of 0.01° cells (about 1.1 km), so a query of a few km looks at the few
// cells around it instead of the whole fleet.

interface Point {
  truckId: string;
  truckNumber: string;
  lat: number;
  lng: number;
  /** ms since epoch; NaN when unknown */
  fixMs: number;
  /** The same instant, made once per move rather than once per answer. */
  fixAt: Date | null;
  speedKmh: number | null;
}

const CELL_DEG = 0.01;
/** Past this many cells, scanning the whole fleet is cheaper than visiting the cells. */
const MAX_CELLS = 1_500;
/** Rows of cells per column index step in a cell's number (more than the 18,000 rows from pole to pole). */
const ROWS = 20_000;
const cellKey = (row: number, col: number) => col * ROWS + row;
const cellOf = (lat: number, lng: number) => cellKey(Math.floor(lat / CELL_DEG), Math.floor(lng / CELL_DEG));

export class FleetView {
  private readonly trucks = new Map<string, Point>();
  // The points themselves, so a query reads each candidate without looking it up again.
  private readonly cells = new Map<number, Set<Point>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
    private readonly reloadEveryMs = 60_000,
  ) {}

  /** Loads the table; call after the stream is being followed, so nothing falls between the two. */
  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) =>
        this.logger.warn({ err: (err as Error).message }, 'fleet view reload failed; keeping the last one'),
      );
    }, this.reloadEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get size(): number {
    return this.trucks.size;
  }

  async reload(): Promise<void> {
    for (const l of await listCurrentLocations(this.sql)) this.put(fromRow(l), true);
  }

  /** Moves trucks to their new fixes; an older fix than the one held changes nothing. */
  apply(updates: readonly LocationUpdate[]): void {
    for (const u of updates) {
      this.put({
        truckId: u.truckId,
        truckNumber: u.truckNumber,
        lat: u.lat,
        lng: u.lng,
        fixMs: Date.parse(u.fixTime),
        fixAt: new Date(u.fixTime),
        speedKmh: u.speedKmh,
      });
    }
  }

  near(q: { lat: number; lng: number; radiusM: number; limit: number }): TruckNear[] {
    // A box around the circle first (degrees of latitude are the same everywhere; of longitude, narrower
    // away from the equator), then the exact distance for what is inside it.
    const dLat = q.radiusM / METRES_PER_DEGREE + 1e-9;
    const cos = Math.cos((q.lat * Math.PI) / 180);
    const dLng = cos > 1e-6 ? dLat / cos : 360;
    const hits: TruckNear[] = [];
    const points = this.candidates(q.lat, q.lng, dLat, dLng) ?? this.trucks.values();
    for (const p of points) {
      if (Math.abs(p.lat - q.lat) > dLat) continue;
      const lngGap = Math.abs(p.lng - q.lng);
      if (Math.min(lngGap, 360 - lngGap) > dLng) continue;
      const distanceM = haversineM(q.lat, q.lng, p.lat, p.lng);
      if (distanceM > q.radiusM) continue;
      hits.push({
        truckId: p.truckId,
        truckNumber: p.truckNumber,
        lat: p.lat,
        lng: p.lng,
        distanceM,
        lastFixAt: p.fixAt,
        speedKmh: p.speedKmh,
      });
    }
    hits.sort(
      (a, b) =>
        a.distanceM - b.distanceM ||
        (a.truckNumber < b.truckNumber ? -1 : a.truckNumber > b.truckNumber ? 1 : 0),
    );
    return hits.slice(0, q.limit);
  }

  /** The trucks in the cells the box touches, or undefined: scan the whole fleet. */
  private candidates(lat: number, lng: number, dLat: number, dLng: number): Point[] | undefined {
    const row0 = Math.floor((lat - dLat) / CELL_DEG);
    const col0 = Math.floor((lng - dLng) / CELL_DEG);
    const rows = Math.floor((lat + dLat) / CELL_DEG) - row0 + 1;
    const cols = Math.floor((lng + dLng) / CELL_DEG) - col0 + 1;
    if (rows * cols > MAX_CELLS || lng - dLng < -180 || lng + dLng > 180) return undefined;
    const points: Point[] = [];
    for (let r = row0; r < row0 + rows; r++) {
      for (let c = col0; c < col0 + cols; c++) {
        const cell = this.cells.get(cellKey(r, c));
        if (cell) for (const p of cell) points.push(p);
      }
    }
    return points;
  }

  private put(next: Point, fromTable = false): void {
    const { truckId } = next;
    const held = this.trucks.get(truckId);
    // The table may be a moment behind the stream: it never moves a truck back, but its number is the truth.
    if (held && next.fixMs < held.fixMs) {
      if (fromTable) held.truckNumber = next.truckNumber;
      return;
    }
    // The new point replaces the held one in its cell too (the cells hold the points themselves).
    if (held) {
      const from = cellOf(held.lat, held.lng);
      const cell = this.cells.get(from)!;
      cell.delete(held);
      if (cell.size === 0) this.cells.delete(from);
    }
    const to = cellOf(next.lat, next.lng);
    const cell = this.cells.get(to);
    if (cell) cell.add(next);
    else this.cells.set(to, new Set([next]));
    this.trucks.set(truckId, next);
  }
}

function fromRow(l: CurrentLocation): Point {
  return {
    truckId: l.truckId,
    truckNumber: l.truckNumber,
    lat: l.lat,
    lng: l.lng,
    fixMs: l.lastFixAt ? l.lastFixAt.getTime() : Number.NaN,
    fixAt: l.lastFixAt,
    speedKmh: l.speedKmh,
  };
}
