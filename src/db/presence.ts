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
 *
 * Set-based, so a batch's transaction stays short (it holds back vacuum of the trucks table the position
 * writer updates all the time): the changes go in waves, the n-th change of each (truck, geofence) in wave
 * n, each wave one exit statement and one entry statement over distinct pairs. Nearly every batch is one wave.
 */
export async function applyPresenceChanges(tx: TxSql, changes: PresenceChange[]): Promise<void> {
  const waves: PresenceChange[][] = [];
  const seen = new Map<string, number>();
  for (const c of changes) {
    const key = `${c.truckId}:${c.geofenceId}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    if (n === waves.length) waves.push([]);
    waves[n]!.push(c);
  }
  const statements: Promise<unknown>[] = [];
  for (const wave of waves) {
    const exits = wave.filter((c) => c.type === 'exited');
    const entries = wave.filter((c) => c.type === 'entered');
    if (exits.length > 0)
      statements.push(tx`
        update geofence_presence p set exited_at = c.at
        from unnest(
          ${pgArray(exits.map((c) => c.truckId))}::uuid[],
          ${pgArray(exits.map((c) => c.geofenceId))}::uuid[],
          ${pgArray(exits.map((c) => c.at))}::timestamptz[]
        ) as c(truck_id, geofence_id, at)
        where p.truck_id = c.truck_id and p.geofence_id = c.geofence_id and p.exited_at is null
          and p.entered_at <= c.at`);
    if (entries.length > 0)
      statements.push(tx`
        insert into geofence_presence (truck_id, geofence_id, entered_at)
        select c.truck_id, c.geofence_id, c.at
        from unnest(
          ${pgArray(entries.map((c) => c.truckId))}::uuid[],
          ${pgArray(entries.map((c) => c.geofenceId))}::uuid[],
          ${pgArray(entries.map((c) => c.at))}::timestamptz[]
        ) as c(truck_id, geofence_id, at)
        where not exists (
          select 1 from geofence_presence p
          where p.truck_id = c.truck_id and p.geofence_id = c.geofence_id
            and (p.exited_at is null or p.entered_at = c.at))`);
  }
  // Sent together and run in order on the transaction's connection (postgres.js pipelines them).
  await Promise.all(statements);
}
