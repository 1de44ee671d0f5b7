import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

// The outbox: every state change writes its event row in the same transaction as the change itself.

export interface NewEvent {
  type: string;
  entityType: string;
  entityId: string;
  payload?: Record<string, unknown>;
  correlationId?: string | null;
  actor?: string | null;
  /** When it happened in the world (a fix time, say); defaults to now. */
  occurredAt?: Date;
  /** A deterministic id makes a redelivered effect write its event once. */
  eventId?: string;
}

export interface StoredEvent {
  id: number;
  eventId: string;
  type: string;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
  correlationId: string | null;
  actor: string | null;
  occurredAt: Date;
}

/** Inserts events; ones whose event id already exists are skipped. Returns those inserted. */
export async function insertEvents(sql: Sql | TxSql, events: NewEvent[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const rows = await sql`
    insert into events (event_id, type, entity_type, entity_id, payload, correlation_id, actor, occurred_at)
    select coalesce(e.event_id, gen_random_uuid()), e.type, e.entity_type, e.entity_id, e.payload,
           e.correlation_id, e.actor, coalesce(e.occurred_at, now())
    from unnest(
      ${pgArray(events.map((e) => e.eventId ?? null))}::uuid[],
      ${pgArray(events.map((e) => e.type))}::text[],
      ${pgArray(events.map((e) => e.entityType))}::text[],
      ${pgArray(events.map((e) => e.entityId))}::text[],
      ${pgArray(events.map((e) => JSON.stringify(e.payload ?? {})))}::jsonb[],
      ${pgArray(events.map((e) => e.correlationId ?? null))}::text[],
      ${pgArray(events.map((e) => e.actor ?? null))}::text[],
      ${pgArray(events.map((e) => e.occurredAt ?? null))}::timestamptz[]
    ) as e(event_id, type, entity_type, entity_id, payload, correlation_id, actor, occurred_at)
    on conflict (event_id) do nothing
    returning id, event_id, type, entity_type, entity_id, payload, correlation_id, actor, occurred_at`;
  return rows.map(toStoredEvent);
}

export const insertEvent = async (sql: Sql | TxSql, event: NewEvent) => (await insertEvents(sql, [event]))[0];

export function toStoredEvent(r: Record<string, unknown>): StoredEvent {
  return {
    id: Number(r.id),
    eventId: r.event_id as string,
    type: r.type as string,
    entityType: r.entity_type as string,
    entityId: r.entity_id as string,
    payload: r.payload as Record<string, unknown>,
    correlationId: (r.correlation_id as string | null) ?? null,
    actor: (r.actor as string | null) ?? null,
    occurredAt: r.occurred_at as Date,
  };
}
