import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

export interface OpenPresence {
  truckId: string;
  geofenceId: string;
  enteredAt: Date;
}

/** Geofences each of these trucks is inside now (no exit recorded). */
export async function openPresence(sql: Sql | TxSql, truckIds: string[]): Promise<OpenPresence[]> {
  if (truckIds.length === 0) return [];
  const rows = await sql`
    select truck_id, geofence_id, entered_at from geofence_presence
    where exited_at is null and truck_id = any(${pgArray(truckIds)}::uuid[])`;
  return rows.map((r) => ({ truckId: r.truck_id, geofenceId: r.geofence_id, enteredAt: r.entered_at }));
}

export interface PresenceChange {
  truckId: string;
  geofenceId: string;
  type: 'entered' | 'exited';
  at: Date;
}

/**
 * Applies entries and exits in the order they happened (a truck can leave and re-enter within one batch).
 * Replays are no-ops: an entry already recorded at that time is skipped, and an exit only closes a visit
 * that began before it.
 */
export async function applyPresenceChanges(tx: TxSql, changes: PresenceChange[]): Promise<void> {
  // Sent together and run in order on the transaction's connection (postgres.js pipelines them): one round
  // trip for the batch instead of one per change.
  await Promise.all(
    changes.map((c) =>
      c.type === 'exited'
        ? tx`
            update geofence_presence set exited_at = ${c.at}
            where truck_id = ${c.truckId} and geofence_id = ${c.geofenceId} and exited_at is null
              and entered_at <= ${c.at}`
        : tx`
            insert into geofence_presence (truck_id, geofence_id, entered_at)
            select ${c.truckId}, ${c.geofenceId}, ${c.at}
            where not exists (
              select 1 from geofence_presence
              where truck_id = ${c.truckId} and geofence_id = ${c.geofenceId}
                and (exited_at is null or entered_at = ${c.at}))`,
    ),
  );
}
