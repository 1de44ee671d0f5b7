import type { Sql } from '../db/client.ts';
import { type ResolvedTruck, registerUnknownTrucks, resolveTrucks } from '../db/trucks.ts';
import type { Metrics } from '../metrics.ts';

export type TruckRef = ResolvedTruck;

export interface DeviceIds {
  imei?: string | null;
  vehicleNumber?: string | null;
}

export interface Resolved {
  get(ids: DeviceIds): TruckRef;
  byId(id: string): TruckRef | undefined;
  all(): TruckRef[];
}

const CACHE_MS = 10 * 60_000;

const keysOf = (ids: DeviceIds) => {
  const keys: string[] = [];
  if (ids.vehicleNumber) keys.push(`vn:${ids.vehicleNumber}`);
  if (ids.imei) keys.push(`imei:${ids.imei}`);
  return keys;
};

/**
 * Finds the truck behind each device, by vehicle number or IMEI, with a short-lived cache (the hot path
 * resolves thousands of fixes a second). An unknown vehicle is registered as an `unassigned` truck, and its
 * `truck.registered` event is written once, however many replicas race to register it.
 */
export class TruckDirectory {
  private readonly cache = new Map<string, { truck: TruckRef; until: number }>();

  constructor(
    private readonly sql: Sql,
    private readonly metrics?: Metrics,
  ) {}

  private cached(ids: DeviceIds): TruckRef | undefined {
    const now = Date.now();
    for (const key of keysOf(ids)) {
      const hit = this.cache.get(key);
      if (hit && hit.until > now) return hit.truck;
    }
    return undefined;
  }

  private remember(truck: ResolvedTruck | undefined) {
    if (!truck) return;
    const until = Date.now() + CACHE_MS;
    for (const key of keysOf({ vehicleNumber: truck.truckNumber, imei: truck.imei }))
      this.cache.set(key, { truck, until });
  }

  async resolve(devices: DeviceIds[], correlationId?: string): Promise<Resolved> {
    const unknown = new Map<string, DeviceIds>();
    for (const d of devices) {
      const keys = keysOf(d);
      if (keys.length > 0 && !this.cached(d)) unknown.set(keys[0]!, d);
    }
    if (unknown.size > 0) {
      const lookups = [...unknown.values()];
      for (const row of await resolveTrucks(this.sql, lookups)) this.remember(row);
      const stillUnknown = lookups.filter((d) => !this.cached(d));
      if (stillUnknown.length > 0) {
        const inserted = await registerUnknownTrucks(this.sql, stillUnknown, {
          actor: 'system:ingest',
          correlationId,
        });
        this.metrics?.trucksRegistered.inc(inserted.length);
        // Another replica may have registered some of them first: read back whatever now exists.
        for (const row of await resolveTrucks(this.sql, stillUnknown)) this.remember(row);
      }
    }
    const byId = new Map<string, TruckRef>();
    for (const d of devices) {
      const t = this.cached(d);
      if (t) byId.set(t.id, t);
    }
    return {
      get: (ids) => {
        const t = this.cached(ids);
        if (!t) throw new Error(`no truck resolved for ${keysOf(ids).join('/') || 'a fix without ids'}`);
        return t;
      },
      byId: (id) => byId.get(id),
      all: () => [...byId.values()],
    };
  }
}
