import type { Sql } from './client.ts';

// The day partitions of vehicle_positions (`vehicle_positions_YYYYMMDD`, UTC days, made by the SQL function
// ensure_position_partitions in migration 001) and the default partition that catches fixes outside them.

const DAY_PARTITION = /^vehicle_positions_(\d{4})(\d{2})(\d{2})$/;

export interface DayPartition {
  name: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
}

export async function listPositionPartitions(sql: Sql): Promise<DayPartition[]> {
  const rows = await sql`
    select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'vehicle_positions'::regclass
    order by c.relname`;
  return rows.flatMap((r) => {
    const m = DAY_PARTITION.exec(r.relname as string);
    return m ? [{ name: r.relname as string, day: `${m[1]}-${m[2]}-${m[3]}` }] : [];
  });
}

/** Drops one day partition, waiting at most `lockTimeoutMs` for its lock so ingest is never held up long. */
export async function dropPositionPartition(sql: Sql, name: string, lockTimeoutMs = 10_000): Promise<void> {
  if (!DAY_PARTITION.test(name)) throw new Error(`not a day partition of vehicle_positions: ${name}`);
  await sql.begin(async (tx) => {
    await tx`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`;
    await tx`drop table if exists ${tx(name)}`;
  });
}

/** Fixes older than `before` that landed in the default partition (no day partition existed for them). */
export async function deleteDefaultPositionsBefore(sql: Sql, before: Date): Promise<number> {
  const result = await sql`delete from vehicle_positions_default where fix_time < ${before}`;
  return result.count;
}
