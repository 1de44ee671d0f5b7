import type { Fields } from '../bus/types.ts';
import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

// The webhook's spool (degraded intake while Redis is down) and the replay guard's stand-in. Every query
// here runs only while Redis is failing or has just come back: the fast path never touches these tables.

type Q = Sql | TxSql;

export interface SpoolEntry {
  stream: string;
  fields: Fields;
}

export interface SpooledEntry extends SpoolEntry {
  id: number;
}

// Any 64-bit number unique to this purpose: the one drainer at a time across replicas holds it.
const DRAIN_LOCK = 4_171_982_306;

/** Keeps one request's shard entries, in order, in one statement. */
export async function insertSpoolEntries(sql: Q, requestId: string, entries: SpoolEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const result = await sql`
    insert into ingest_spool (stream, fields, request_id)
    select e.stream, e.fields, ${requestId}
    from unnest(
      ${pgArray(entries.map((e) => e.stream))}::text[],
      ${pgArray(entries.map((e) => JSON.stringify(e.fields)))}::jsonb[]
    ) with ordinality as e(stream, fields, n)
    order by e.n`;
  return result.count;
}

/** The drain lock for this transaction, if no other drainer holds it; released at commit or rollback. */
export async function tryDrainLock(tx: TxSql): Promise<boolean> {
  const [row] = await tx`select pg_try_advisory_xact_lock(${DRAIN_LOCK}) as locked`;
  return row!.locked === true;
}

export async function oldestSpoolEntries(tx: Q, limit: number): Promise<SpooledEntry[]> {
  const rows = await tx<{ id: number; stream: string; fields: Fields }[]>`
    select id, stream, fields from ingest_spool order by id limit ${limit}`;
  return rows.map((r) => ({ id: Number(r.id), stream: r.stream, fields: r.fields }));
}

export async function deleteSpoolEntries(tx: Q, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await tx`delete from ingest_spool where id = any(${pgArray(ids)}::bigint[])`;
  return result.count;
}

export async function spoolDepth(sql: Q): Promise<number> {
  const [row] = await sql`select count(*)::int as n from ingest_spool`;
  return Number(row!.n);
}

/** Records a replay key unless a live one exists; true when this call recorded it (first use). */
export async function claimReplayKey(sql: Q, key: string, ttlMs: number): Promise<boolean> {
  const rows = await sql`
    insert into webhook_replay_guard (key, expires_at)
    values (${key}, now() + ${ttlMs} * interval '1 millisecond')
    on conflict (key) do update set expires_at = excluded.expires_at
      where webhook_replay_guard.expires_at <= now()
    returning key`;
  return rows.length === 1;
}

/** Live replay keys with the milliseconds each has left, locked so two drainers never hand over the same. */
export async function liveReplayKeys(tx: TxSql, limit: number): Promise<{ key: string; ttlMs: number }[]> {
  const rows = await tx<{ key: string; ttl_ms: number }[]>`
    select key, ceil(extract(epoch from expires_at - now()) * 1000)::int as ttl_ms
    from webhook_replay_guard where expires_at > now()
    order by key limit ${limit}
    for update skip locked`;
  return rows.map((r) => ({ key: r.key, ttlMs: Number(r.ttl_ms) }));
}

/** Deletes the given keys and every expired one. */
export async function deleteReplayKeys(tx: Q, keys: string[]): Promise<number> {
  const result = await tx`
    delete from webhook_replay_guard where key = any(${pgArray(keys)}::text[]) or expires_at <= now()`;
  return result.count;
}
