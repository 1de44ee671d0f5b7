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
  // invalidate() calls so far, and how many of them the last finished check began after: until those agree,
  // current() waits for a check.
  private invalidations = 0;
  private checkedAfter = 0;

  constructor(
    private readonly sql: Sql,
    private readonly pollMs = 2_000,
  ) {}

  async current(): Promise<Catalog> {
    const mustCheck = this.checkedAfter < this.invalidations;
    if (this.catalog && !mustCheck && Date.now() - this.checkedAt < this.pollMs) return this.catalog;
    // Every shard's watcher asks at once (at start, and each time the poll is due): one of them checks.
    if (!this.checking) {
      const checking = this.check().finally(() => {
        if (this.checking === checking) this.checking = undefined;
      });
      // Nobody may be waiting for it (see below); a failed check is tried again at the next call.
      checking.catch(() => {});
      this.checking = checking;
    }
    // Due only by the clock: the catalog in hand answers while the check runs behind it, so the watchers do
    // not all stop for the check's scan of the geofences every pollMs (it showed in the lag's tail).
    if (this.catalog && !mustCheck) return this.catalog;
    return this.checking;
  }

  private async check(): Promise<Catalog> {
    const now = Date.now();
    const generation = this.invalidations;
    const { fingerprint } = await geofenceVersion(this.sql);
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
    this.checkedAt = now;
    this.checkedAfter = Math.max(this.checkedAfter, generation);
    return this.catalog;
  }

  /** Forces the next `current()` to check the database (after a geofence change in this process). */
  invalidate(): void {
    this.invalidations++;
    // A check already under way may have read the database before the change.
    this.checking = undefined;
  }
}
