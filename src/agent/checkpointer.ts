import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
} from '@langchain/langgraph';
import {
  type CheckpointRow,
  type CheckpointWriteRow,
  deleteThreadCheckpoints,
  getCheckpoint,
  getCheckpointWrites,
  listCheckpoints,
  putCheckpoint,
  putCheckpointWrites,
} from '../db/agent-checkpoints.ts';
import type { Sql } from '../db/client.ts';

// LangGraph's checkpointer over our own postgres.js connection (PostgreSQL in production, PGlite when
// embedded: the same SQL), so a conversation thread survives a restart. Modelled on LangGraph's MemorySaver:
// one row per checkpoint, one per pending write, values in LangGraph's own serialisation.

type PendingWrite = Parameters<BaseCheckpointSaver['putWrites']>[1][number];
type ListOptions = Parameters<BaseCheckpointSaver['list']>[1];

// LangGraph's special channels take fixed negative indexes (its WRITES_IDX_MAP), so a retried task replaces
// them instead of piling up.
const SPECIAL_WRITE_IDX: Record<string, number> = {
  __error__: -1,
  __scheduled__: -2,
  __interrupt__: -3,
  __resume__: -4,
};

interface Key {
  threadId: string;
  checkpointNs: string;
  checkpointId: string | undefined;
}

function keyOf(config: RunnableConfig): Key {
  const c = config.configurable ?? {};
  const threadId = c.thread_id;
  if (typeof threadId !== 'string' || threadId === '') {
    throw new Error('the agent checkpointer needs configurable.thread_id (a non-empty string)');
  }
  const checkpointId = c.checkpoint_id;
  return {
    threadId,
    checkpointNs: typeof c.checkpoint_ns === 'string' ? c.checkpoint_ns : '',
    checkpointId: typeof checkpointId === 'string' && checkpointId !== '' ? checkpointId : undefined,
  };
}

const configOf = (threadId: string, checkpointNs: string, checkpointId: string): RunnableConfig => ({
  configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpointId },
});

// LangGraph orders a superstep's writes by (task path, task id, idx); ids and paths are ASCII here.
function byWriteOrder(a: CheckpointWriteRow, b: CheckpointWriteRow): number {
  if (a.taskPath !== b.taskPath) return a.taskPath < b.taskPath ? -1 : 1;
  if (a.taskId !== b.taskId) return a.taskId < b.taskId ? -1 : 1;
  return a.idx - b.idx;
}

export class PgCheckpointSaver extends BaseCheckpointSaver {
  constructor(private readonly sql: Sql) {
    super();
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const key = keyOf(config);
    const row = await getCheckpoint(this.sql, key.threadId, key.checkpointNs, key.checkpointId);
    return row ? this.toTuple(row) : undefined;
  }

  async *list(config: RunnableConfig, options?: ListOptions): AsyncGenerator<CheckpointTuple> {
    const c = config.configurable ?? {};
    const before = options?.before?.configurable?.checkpoint_id;
    const rows = await listCheckpoints(this.sql, {
      threadId: typeof c.thread_id === 'string' ? c.thread_id : undefined,
      checkpointNs: typeof c.checkpoint_ns === 'string' ? c.checkpoint_ns : undefined,
      checkpointId: typeof c.checkpoint_id === 'string' && c.checkpoint_id ? c.checkpoint_id : undefined,
      before: typeof before === 'string' ? before : undefined,
      // A metadata filter is applied after reading, so the limit is too.
      limit: options?.filter ? undefined : options?.limit,
    });
    let left = options?.limit ?? Number.POSITIVE_INFINITY;
    for (const row of rows) {
      if (left <= 0) return;
      const tuple = await this.toTuple(row);
      const filter = options?.filter;
      const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
      if (filter && !Object.entries(filter).every(([k, v]) => metadata[k] === v)) continue;
      left -= 1;
      yield tuple;
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
  ): Promise<RunnableConfig> {
    const key = keyOf(config);
    const [[checkpointType, serialized], [metadataType, serializedMetadata]] = await Promise.all([
      this.serde.dumpsTyped(checkpoint),
      this.serde.dumpsTyped(metadata),
    ]);
    await putCheckpoint(this.sql, {
      threadId: key.threadId,
      checkpointNs: key.checkpointNs,
      checkpointId: checkpoint.id,
      parentCheckpointId: key.checkpointId ?? null,
      checkpointType,
      checkpoint: serialized,
      metadataType,
      metadata: serializedMetadata,
    });
    return configOf(key.threadId, key.checkpointNs, checkpoint.id);
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    const key = keyOf(config);
    if (!key.checkpointId)
      throw new Error('the agent checkpointer needs configurable.checkpoint_id to save writes');
    const rows = await Promise.all(
      writes.map(async ([channel, value], idx): Promise<CheckpointWriteRow> => {
        const [valueType, serialized] = await this.serde.dumpsTyped(value);
        return {
          taskId,
          idx: SPECIAL_WRITE_IDX[channel] ?? idx,
          channel,
          valueType,
          value: serialized,
          taskPath: taskPath ?? '',
        };
      }),
    );
    await putCheckpointWrites(
      this.sql,
      { threadId: key.threadId, checkpointNs: key.checkpointNs, checkpointId: key.checkpointId },
      rows,
    );
  }

  async deleteThread(threadId: string): Promise<void> {
    await deleteThreadCheckpoints(this.sql, threadId);
  }

  private async toTuple(row: CheckpointRow): Promise<CheckpointTuple> {
    const writes = (
      await getCheckpointWrites(this.sql, row.threadId, row.checkpointNs, row.checkpointId)
    ).sort(byWriteOrder);
    const tuple: CheckpointTuple = {
      config: configOf(row.threadId, row.checkpointNs, row.checkpointId),
      checkpoint: (await this.serde.loadsTyped(row.checkpointType, row.checkpoint)) as Checkpoint,
      metadata: (await this.serde.loadsTyped(row.metadataType, row.metadata)) as CheckpointMetadata,
      pendingWrites: await Promise.all(
        writes.map(
          async (w) =>
            [w.taskId, w.channel, await this.serde.loadsTyped(w.valueType, w.value)] as [
              string,
              string,
              unknown,
            ],
        ),
      ),
    };
    if (row.parentCheckpointId) {
      tuple.parentConfig = configOf(row.threadId, row.checkpointNs, row.parentCheckpointId);
    }
    return tuple;
  }
}
