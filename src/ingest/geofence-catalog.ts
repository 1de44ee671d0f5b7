import type { Sql } from '../db/client.ts';
import { geofenceVersion, listActiveShapes } from '../db/geofences.ts';
import {
  DEFAULT_EXIT_MARGIN_M,
  DEFAULT_MIN_DWELL_S,
  type PresenceRules,
} from '../domain/geofence-presence.ts';
import { GeofenceIndex } from '../domain/spatial-index.ts';

export interface GeofenceInfo {
  id: string;
  name: string;
  type: string;
  rules: PresenceRules;
}

export interface Catalog {
  index: GeofenceIndex;
  byId: Map<string, GeofenceInfo>;
  /** The widest exit margin of any geofence: how far around a fix the index must look. */
  maxExitMarginM: number;
}

/**
 * The active geofences as an in-process spatial index, rebuilt when they change. Changes are found by
 * polling a cheap fingerprint, which works on every database and replica (no LISTEN/NOTIFY).
 */
export class GeofenceCatalog {
  private catalog: Catalog | undefined;
  private fingerprint = '';
  private checkedAt = 0;
  private checking: Promise<Catalog> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly pollMs = 2_000,
  ) {}

  async current(): Promise<Catalog> {
    if (this.catalog && Date.now() - this.checkedAt < this.pollMs) return this.catalog;
    // Every shard's watcher asks at once (at start, and each time the poll is due): one of them checks.
    if (!this.checking) {
      const checking = this.check().finally(() => {
        if (this.checking === checking) this.checking = undefined;
      });
      this.checking = checking;
    }
    return this.checking;
  }

  private async check(): Promise<Catalog> {
    const now = Date.now();
    const { fingerprint } = await geofenceVersion(this.sql);
    this.checkedAt = now;
    if (!this.catalog || fingerprint !== this.fingerprint) {
      const shapes = await listActiveShapes(this.sql);
      const byId = new Map<string, GeofenceInfo>();
      let maxExitMarginM = DEFAULT_EXIT_MARGIN_M;
      for (const g of shapes) {
        const rules = {
          minDwellS: g.minDwellS ?? DEFAULT_MIN_DWELL_S,
          exitMarginM: g.exitMarginM ?? DEFAULT_EXIT_MARGIN_M,
        };
        maxExitMarginM = Math.max(maxExitMarginM, rules.exitMarginM);
        byId.set(g.id, { id: g.id, name: g.name, type: g.type, rules });
      }
      this.catalog = { index: new GeofenceIndex(shapes), byId, maxExitMarginM };
      this.fingerprint = fingerprint;
    }
    return this.catalog;
  }

  /** Forces the next `current()` to check the database (after a geofence change in this process). */
  invalidate(): void {
    this.checkedAt = 0;
    // A check already under way may have read the database before the change.
    this.checking = undefined;
  }
}
