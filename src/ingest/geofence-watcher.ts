import type { StreamEntry } from '../bus/types.ts';
import type { Sql } from '../db/client.ts';
import { insertEvents, type NewEvent } from '../db/events.ts';
import { applyPresenceChanges, openPresence, type PresenceChange } from '../db/presence.ts';
import { INITIAL_PRESENCE, type PresenceState, step } from '../domain/geofence-presence.ts';
import { uuidFromText } from '../domain/ids.ts';
import type { QualityOptions } from '../domain/position-quality.ts';
import type { Metrics } from '../metrics.ts';
import { traceBatch } from '../telemetry.ts';
import { decodeBatch, type ShardBatch } from './codec.ts';
import { FixGate } from './fix-gate.ts';
import type { GeofenceCatalog } from './geofence-catalog.ts';
import type { TruckDirectory } from './truck-directory.ts';

export interface GeofenceWatcherDeps {
  sql: Sql;
  directory: TruckDirectory;
  catalog: GeofenceCatalog;
  metrics: Metrics;
  quality?: Partial<QualityOptions>;
  now?: () => number;
  /** Called after a batch with transitions commits (the outbox relay polls sooner). */
  onTransitions?: () => void;
}

type TruckPresence = Map<string, PresenceState>;

/**
 * The geofence watcher: places each accepted fix against the in-process index and steps each (truck,
 * geofence) presence through its hysteresis. Transitions are written — presence rows and their events —
 * in one transaction per batch; in-memory state only advances once that commits.
 */
export function geofenceWatcher(deps: GeofenceWatcherDeps) {
  const gate = new FixGate(deps.quality);
  const now = deps.now ?? Date.now;
  const presence = new Map<string, TruckPresence>();

  async function loadPresence(truckIds: string[]) {
    const missing = truckIds.filter((id) => !presence.has(id));
    if (missing.length === 0) return;
    for (const id of missing) presence.set(id, new Map());
    for (const row of await openPresence(deps.sql, missing)) {
      presence.get(row.truckId)!.set(row.geofenceId, { status: 'inside', enteredAt: row.enteredAt });
    }
  }

  return async function watchGeofences(entries: StreamEntry[]): Promise<void> {
    const batches = entries.map((e) => decodeBatch(e.fields));
    if (batches.every((b) => b.fixes.length === 0)) return;
    await traceBatch(
      'geofence-watcher',
      entries,
      batches.map((b) => b.requestId),
      () => watch(batches),
    );
  };

  async function watch(batches: ShardBatch[]): Promise<void> {
    const trucks = await deps.directory.resolve(
      batches.flatMap((b) => b.fixes),
      batches[0]?.requestId,
    );
    const truckIds = trucks.all().map((t) => t.id);
    await loadPresence(truckIds);
    const catalog = await deps.catalog.current();

    const gateSnapshot = gate.snapshot(truckIds);
    const presenceSnapshot = new Map(truckIds.map((id) => [id, new Map(presence.get(id))]));
    const changes: (PresenceChange & { requestId: string; lat: number; lng: number })[] = [];
    const nowDate = new Date(now());

    for (const batch of batches) {
      for (const fix of batch.fixes) {
        const truck = trucks.get(fix);
        if (gate.pass(truck.id, fix, nowDate) !== 'accept') continue;
        const started = performance.now();
        const states = presence.get(truck.id)!;
        const seen = new Set<string>();
        const observe = (geofenceId: string, inside: boolean, distanceOutsideM: number) => {
          const info = catalog.byId.get(geofenceId);
          const result = step(
            states.get(geofenceId) ?? INITIAL_PRESENCE,
            { fixTime: fix.fixTime, inside, distanceOutsideM },
            info?.rules,
          );
          if (result.state.status === 'outside') states.delete(geofenceId);
          else states.set(geofenceId, result.state);
          if (result.transition) {
            changes.push({
              truckId: truck.id,
              geofenceId,
              type: result.transition.type,
              at: result.transition.at,
              requestId: batch.requestId,
              lat: fix.lat,
              lng: fix.lng,
            });
          }
        };
        for (const hit of catalog.index.query(fix.lat, fix.lng, catalog.maxExitMarginM)) {
          seen.add(hit.id);
          observe(hit.id, hit.inside, hit.distanceOutsideM);
        }
        // A geofence the truck is in (or entering) that is nowhere near this fix: far outside.
        for (const geofenceId of [...states.keys()]) {
          if (!seen.has(geofenceId)) observe(geofenceId, false, Number.POSITIVE_INFINITY);
        }
        deps.metrics.geofenceEval.observe((performance.now() - started) / 1e6);
      }
    }
    if (changes.length === 0) return;

    const events: NewEvent[] = changes.map((c) => {
      const info = catalog.byId.get(c.geofenceId);
      const truck = trucks.byId(c.truckId)!;
      return {
        type: `geofence.${c.type}`,
        entityType: 'truck',
        entityId: c.truckId,
        occurredAt: c.at,
        correlationId: c.requestId,
        actor: 'system:geofence-watcher',
        eventId: uuidFromText(`geofence:${c.type}:${c.truckId}:${c.geofenceId}:${c.at.toISOString()}`),
        payload: {
          truckId: c.truckId,
          truckNumber: truck.truckNumber,
          geofenceId: c.geofenceId,
          geofenceName: info?.name ?? null,
          geofenceType: info?.type ?? null,
          at: c.at.toISOString(),
          lat: c.lat,
          lng: c.lng,
        },
      };
    });
    try {
      // In order on the transaction's connection, sent together: the presence rows, then their events.
      await deps.sql.begin((tx) =>
        Promise.all([applyPresenceChanges(tx, changes), insertEvents(tx, events)]),
      );
    } catch (err) {
      gate.restore(gateSnapshot);
      for (const [id, states] of presenceSnapshot) presence.set(id, states);
      throw err;
    }
    for (const c of changes) deps.metrics.geofenceTransitions.inc({ type: c.type });
    deps.onTransitions?.();
  }
}
