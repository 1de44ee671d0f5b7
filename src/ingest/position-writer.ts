import type { StreamEntry } from '../bus/types.ts';
import type { Sql } from '../db/client.ts';
import { insertEvents, type NewEvent } from '../db/events.ts';
import { insertPositions, type PositionRow, updateCurrentLocations } from '../db/positions.ts';
import { uuidFromText } from '../domain/ids.ts';
import { type OverspeedOptions, type OverspeedRun, OverspeedTracker } from '../domain/overspeed.ts';
import type { QualityOptions } from '../domain/position-quality.ts';
import type { Metrics } from '../metrics.ts';
import { traceBatch } from '../telemetry.ts';
import { decodeBatch, type ShardBatch } from './codec.ts';
import { FixGate, type GateOutcome } from './fix-gate.ts';
import type { NormalizedAlert } from './loconav.ts';
import type { TruckDirectory, TruckRef } from './truck-directory.ts';

export interface PositionWriterDeps {
  sql: Sql;
  directory: TruckDirectory;
  metrics: Metrics;
  quality?: Partial<QualityOptions>;
  /** Overspeed held past its minimum raises truck.overspeed; without it, no overspeed watch. */
  overspeed?: OverspeedOptions;
  now?: () => number;
  /** After a batch commits: the trucks whose current location moved (live pushes, cache invalidation). */
  onMoved?: (moved: { truck: TruckRef; row: PositionRow }[]) => Promise<void>;
}

const ALERT_EVENT: Record<NormalizedAlert['kind'], string> = {
  GeofenceAlert: 'loconav.geofence',
  OverspeedAlert: 'loconav.overspeed',
  IgnitionAlert: 'loconav.ignition',
  IdlingAlert: 'loconav.idling',
  DeviceOfflineAlert: 'loconav.device_offline',
};

/**
 * The position writer: stores every fix that passes quality (late ones too, for history), moves each
 * truck's current location to its newest fix, and records LocoNav's own alerts as events — all of a batch
 * in one transaction, idempotent on (truck, fix time) and on the alert's event id.
 */
export function positionWriter(deps: PositionWriterDeps) {
  const gate = new FixGate(deps.quality);
  const overspeed = deps.overspeed ? new OverspeedTracker(deps.overspeed) : undefined;
  const now = deps.now ?? Date.now;

  return async function writePositions(entries: StreamEntry[]): Promise<void> {
    const batches = entries.map((e) => decodeBatch(e.fields));
    await traceBatch(
      'position-writer',
      entries,
      batches.map((b) => b.requestId),
      () => write(batches),
    );
  };

  async function write(batches: ShardBatch[]): Promise<void> {
    const trucks = await deps.directory.resolve(
      batches.flatMap((b) => [...b.fixes, ...b.alerts.map((a) => ({ vehicleNumber: a.vehicleNumber }))]),
      batches[0]?.requestId,
    );
    const truckIds = trucks.all().map((t) => t.id);
    const snapshot = gate.snapshot(truckIds);
    const runs = overspeed?.snapshot(truckIds);
    const rows: PositionRow[] = [];
    const latest = new Map<string, PositionRow>();
    const outcomes = new Map<GateOutcome, number>();
    const events: NewEvent[] = [];
    const nowDate = new Date(now());
    for (const batch of batches) {
      for (const fix of batch.fixes) {
        const truck = trucks.get(fix);
        const outcome = gate.pass(truck.id, fix, nowDate);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome !== 'accept' && outcome !== 'out_of_order') continue;
        const row: PositionRow = {
          truckId: truck.id,
          fixTime: fix.fixTime,
          lat: fix.lat,
          lng: fix.lng,
          speedKmh: fix.speedKmh,
          headingDeg: fix.headingDeg,
          ignition: fix.ignition,
        };
        rows.push(row);
        if (outcome !== 'accept') continue;
        latest.set(truck.id, row);
        const run = overspeed?.observe(truck.id, fix.fixTime, fix.speedKmh);
        if (run) events.push(overspeedEvent(truck, row, run, deps.overspeed!.limitKmh, batch.requestId));
      }
      for (const alert of batch.alerts) {
        const truck = trucks.get({ vehicleNumber: alert.vehicleNumber });
        events.push({
          type: ALERT_EVENT[alert.kind],
          entityType: 'truck',
          entityId: truck.id,
          payload: { ...alert, truckNumber: truck.truckNumber },
          correlationId: batch.requestId,
          actor: 'loconav',
          occurredAt: alert.eventTime,
          eventId: uuidFromText(
            `loconav:${alert.kind}:${alert.vehicleNumber}:${alert.sourceId ?? `${alert.eventTime.toISOString()}:${alert.eventKey}:${alert.polygonId}`}`,
          ),
        });
      }
    }

    try {
      // Sent together (postgres.js pipelines a transaction's statements): one round trip, not three.
      await deps.sql.begin((tx) =>
        Promise.all([
          insertPositions(tx, rows),
          updateCurrentLocations(tx, [...latest.values()]),
          insertEvents(tx, events),
        ]),
      );
    } catch (err) {
      gate.restore(snapshot);
      if (runs) overspeed?.restore(runs);
      throw err;
    }
    for (const [outcome, n] of outcomes) {
      deps.metrics.positions.inc({ outcome: outcome === 'accept' ? 'stored' : outcome }, n);
    }
    if (deps.onMoved && latest.size > 0) {
      // The effect is stored; a failure to announce it must not redo the batch.
      await deps
        .onMoved([...latest].map(([id, row]) => ({ truck: trucks.byId(id)!, row })))
        .catch(() => undefined);
    }
  }
}

function overspeedEvent(
  truck: TruckRef,
  row: PositionRow,
  run: OverspeedRun,
  limitKmh: number,
  requestId: string | undefined,
): NewEvent {
  return {
    type: 'truck.overspeed',
    entityType: 'truck',
    entityId: truck.id,
    occurredAt: run.at,
    correlationId: requestId,
    actor: 'system:overspeed-watch',
    // One per run, however often the batch is retried.
    eventId: uuidFromText(`overspeed:${truck.id}:${run.since.toISOString()}`),
    payload: {
      truckId: truck.id,
      truckNumber: truck.truckNumber,
      speedKmh: Math.round(run.maxKmh),
      limitKmh,
      heldS: Math.round(run.heldS),
      since: run.since.toISOString(),
      at: run.at.toISOString(),
      lat: row.lat,
      lng: row.lng,
    },
  };
}
