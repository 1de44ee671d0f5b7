import type { Sql } from './client.ts';

// LangGraph checkpoints and their pending writes, one chain per conversation thread. The agent's
// PgCheckpointSaver (src/agent/checkpointer.ts) is the only caller; values arrive already serialised.

export interface CheckpointRow {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentCheckpointId: string | null;
  checkpointType: string;
  checkpoint: Uint8Array;
  metadataType: string;
  metadata: Uint8Array;
}

export interface CheckpointWriteRow {
  taskId: string;
  idx: number;
  channel: string;
  valueType: string;
  value: Uint8Array;
  taskPath: string;
}

function toCheckpointRow(r: Record<string, unknown>): CheckpointRow {
  return {
    threadId: r.thread_id as string,
    checkpointNs: r.checkpoint_ns as string,
    checkpointId: r.checkpoint_id as string,
    parentCheckpointId: (r.parent_checkpoint_id as string | null) ?? null,
    checkpointType: r.checkpoint_type as string,
    checkpoint: r.checkpoint as Uint8Array,
    metadataType: r.metadata_type as string,
    metadata: r.metadata as Uint8Array,
  };
}

/** One checkpoint by id, or the thread's newest (ids are uuid6: they sort in time order) when id is undefined. */
export async function getCheckpoint(
  sql: Sql,
  threadId: string,
  checkpointNs: string,
  checkpointId: string | undefined,
): Promise<CheckpointRow | undefined> {
  const rows = checkpointId
    ? await sql`
        select * from agent_checkpoints
        where thread_id = ${threadId} and checkpoint_ns = ${checkpointNs} and checkpoint_id = ${checkpointId}`
    : await sql`
        select * from agent_checkpoints
        where thread_id = ${threadId} and checkpoint_ns = ${checkpointNs}
        order by checkpoint_id desc limit 1`;
  return rows[0] ? toCheckpointRow(rows[0]) : undefined;
}

export interface ListCheckpointsFilter {
  threadId?: string;
  checkpointNs?: string;
  checkpointId?: string;
  /** Only checkpoints older than this id. */
  before?: string;
  limit?: number;
}

/** Checkpoints newest first, narrowed by whatever the filter names. */
export async function listCheckpoints(sql: Sql, f: ListCheckpointsFilter): Promise<CheckpointRow[]> {
  const rows = await sql`
    select * from agent_checkpoints
    where (${f.threadId ?? null}::text is null or thread_id = ${f.threadId ?? null})
      and (${f.checkpointNs ?? null}::text is null or checkpoint_ns = ${f.checkpointNs ?? null})
      and (${f.checkpointId ?? null}::text is null or checkpoint_id = ${f.checkpointId ?? null})
      and (${f.before ?? null}::text is null or checkpoint_id < ${f.before ?? null})
    order by thread_id, checkpoint_ns, checkpoint_id desc
    limit ${f.limit ?? null}`;
  return rows.map(toCheckpointRow);
}

/** Saves a checkpoint; saving the same id again replaces it. */
export async function putCheckpoint(sql: Sql, row: CheckpointRow): Promise<void> {
  await sql`
    insert into agent_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
                                   checkpoint_type, checkpoint, metadata_type, metadata)
    values (${row.threadId}, ${row.checkpointNs}, ${row.checkpointId}, ${row.parentCheckpointId},
            ${row.checkpointType}, ${Buffer.from(row.checkpoint)}, ${row.metadataType}, ${Buffer.from(row.metadata)})
    on conflict (thread_id, checkpoint_ns, checkpoint_id) do update
      set parent_checkpoint_id = excluded.parent_checkpoint_id,
          checkpoint_type = excluded.checkpoint_type, checkpoint = excluded.checkpoint,
          metadata_type = excluded.metadata_type, metadata = excluded.metadata`;
}

/**
 * Saves a task's writes against a checkpoint. A regular write (idx >= 0) is kept as first written, so a
 * retried task cannot change history; special writes (negative idx: errors, interrupts) are replaced.
 */
export async function putCheckpointWrites(
  sql: Sql,
  key: { threadId: string; checkpointNs: string; checkpointId: string },
  writes: CheckpointWriteRow[],
): Promise<void> {
  if (writes.length === 0) return;
  const rows = writes.map((w) => ({
    thread_id: key.threadId,
    checkpoint_ns: key.checkpointNs,
    checkpoint_id: key.checkpointId,
    task_id: w.taskId,
    idx: w.idx,
    channel: w.channel,
    value_type: w.valueType,
    value: Buffer.from(w.value),
    task_path: w.taskPath,
  }));
  const regular = rows.filter((r) => r.idx >= 0);
  const special = rows.filter((r) => r.idx < 0);
  await sql.begin(async (tx) => {
    if (regular.length) {
      await tx`insert into agent_checkpoint_writes ${tx(regular)} on conflict do nothing`;
    }
    if (special.length) {
      await tx`
        insert into agent_checkpoint_writes ${tx(special)}
        on conflict (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) do update
          set channel = excluded.channel, value_type = excluded.value_type, value = excluded.value,
              task_path = excluded.task_path`;
    }
  });
}

/** A checkpoint's pending writes, unordered (the saver sorts them the way LangGraph applies them). */
export async function getCheckpointWrites(
  sql: Sql,
  threadId: string,
  checkpointNs: string,
  checkpointId: string,
): Promise<CheckpointWriteRow[]> {
  const rows = await sql`
    select task_id, idx, channel, value_type, value, task_path from agent_checkpoint_writes
    where thread_id = ${threadId} and checkpoint_ns = ${checkpointNs} and checkpoint_id = ${checkpointId}`;
  return rows.map((r) => ({
    taskId: r.task_id as string,
    idx: r.idx as number,
    channel: r.channel as string,
    valueType: r.value_type as string,
    value: r.value as Uint8Array,
    taskPath: r.task_path as string,
  }));
}

/** Forgets a thread: its checkpoints and writes. */
export async function deleteThreadCheckpoints(sql: Sql, threadId: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from agent_checkpoint_writes where thread_id = ${threadId}`;
    await tx`delete from agent_checkpoints where thread_id = ${threadId}`;
  });
}
