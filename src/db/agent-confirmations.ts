import type { Sql } from './client.ts';

// Writes the agent proposed and a human has to confirm: one row per tool call, decided once.

export type ConfirmationStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'superseded';

export interface Confirmation {
  id: string;
  threadId: string;
  toolCallId: string;
  tool: string;
  args: Record<string, unknown>;
  summary: string;
  askedBy: string;
  status: ConfirmationStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  expiresAt: Date;
  slackChannel: string | null;
  slackTs: string | null;
  createdAt: Date;
}

export interface NewConfirmation {
  threadId: string;
  toolCallId: string;
  tool: string;
  args: Record<string, unknown>;
  summary: string;
  askedBy: string;
  expiresAt: Date;
}

function toConfirmation(r: Record<string, unknown>): Confirmation {
  return {
    id: r.id as string,
    threadId: r.thread_id as string,
    toolCallId: r.tool_call_id as string,
    tool: r.tool as string,
    args: r.args as Record<string, unknown>,
    summary: r.summary as string,
    askedBy: r.asked_by as string,
    status: r.status as ConfirmationStatus,
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: (r.decided_at as Date | null) ?? null,
    expiresAt: r.expires_at as Date,
    slackChannel: (r.slack_channel as string | null) ?? null,
    slackTs: (r.slack_ts as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/** Records a proposed write; the same tool call proposed again (a replayed graph step) returns the first row. */
export async function insertConfirmation(sql: Sql, c: NewConfirmation): Promise<Confirmation> {
  const [row] = await sql`
    insert into agent_confirmations (thread_id, tool_call_id, tool, args, summary, asked_by, expires_at)
    values (${c.threadId}, ${c.toolCallId}, ${c.tool}, ${sql.json(c.args as never)}, ${c.summary}, ${c.askedBy},
            ${c.expiresAt})
    on conflict (thread_id, tool_call_id) do update set thread_id = excluded.thread_id
    returning *`;
  return toConfirmation(row!);
}

export async function getConfirmation(sql: Sql, id: string): Promise<Confirmation | undefined> {
  const [row] = await sql`select * from agent_confirmations where id = ${id}`;
  return row ? toConfirmation(row) : undefined;
}

/** The thread's proposal still waiting for a decision, if any. */
export async function pendingConfirmation(sql: Sql, threadId: string): Promise<Confirmation | undefined> {
  const [row] = await sql`
    select * from agent_confirmations where thread_id = ${threadId} and status = 'pending'
    order by created_at desc limit 1`;
  return row ? toConfirmation(row) : undefined;
}

/** Moves a pending proposal to its decision; undefined when it was no longer pending (someone decided first). */
export async function decideConfirmation(
  sql: Sql,
  id: string,
  decision: Exclude<ConfirmationStatus, 'pending'>,
  decidedBy: string | null,
): Promise<Confirmation | undefined> {
  const [row] = await sql`
    update agent_confirmations
    set status = ${decision}, decided_by = ${decidedBy}, decided_at = now()
    where id = ${id} and status = 'pending'
    returning *`;
  return row ? toConfirmation(row) : undefined;
}

/** Where the preview card was posted, so a later decision can redraw it. */
export async function setConfirmationMessage(
  sql: Sql,
  id: string,
  channel: string,
  ts: string,
): Promise<void> {
  await sql`update agent_confirmations set slack_channel = ${channel}, slack_ts = ${ts} where id = ${id}`;
}
