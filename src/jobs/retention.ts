import {
  deleteDefaultPositionsBefore,
  dropPositionPartition,
  listPositionPartitions,
} from '../db/partitions.ts';
import { ensurePositionPartitions } from '../db/positions.ts';
import type { JobDeps, JobResult } from './types.ts';

// vehicle_positions is partitioned by UTC day: make the coming days' partitions before their fixes arrive,
// and drop the days older than POSITIONS_RETENTION_DAYS (a whole partition at a time, no row-by-row delete).

/** Today and this many days after it always have a partition. */
export const PARTITION_DAYS_AHEAD = 7;

const DAY_MS = 86_400_000;
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

export async function runRetention(deps: JobDeps): Promise<JobResult> {
  const today = new Date(`${utcDay(deps.now())}T00:00:00Z`);
  const problems: string[] = [];

  // One day at a time: a day whose fixes already sit in the default partition cannot get its own partition
  // (PostgreSQL refuses), and that must not stop the days after it.
  const created: string[] = [];
  for (let i = 0; i <= PARTITION_DAYS_AHEAD; i++) {
    const day = utcDay(new Date(today.getTime() + i * DAY_MS));
    try {
      if ((await ensurePositionPartitions(deps.sql, day, 1)) > 0) created.push(day);
    } catch (err) {
      problems.push(`could not create the partition for ${day}: ${(err as Error).message}`);
    }
  }

  const retentionDays = deps.config.jobs.positionsRetentionDays;
  const oldestKept = new Date(today.getTime() - retentionDays * DAY_MS);
  const expired = (await listPositionPartitions(deps.sql)).filter((p) => p.day < utcDay(oldestKept));
  const dropped: string[] = [];
  for (const p of expired) {
    try {
      await dropPositionPartition(deps.sql, p.name);
      dropped.push(p.day);
    } catch (err) {
      problems.push(`could not drop ${p.name}: ${(err as Error).message}`);
    }
  }
  const strays = await deleteDefaultPositionsBefore(deps.sql, oldestKept);

  const list = (days: string[]) => (days.length ? ` (${days.join(', ')})` : '');
  const summary =
    `created ${created.length} partition(s)${list(created)}, dropped ${dropped.length}${list(dropped)} ` +
    `older than ${retentionDays} days, deleted ${strays} expired fix(es) from the default partition`;
  if (problems.length) {
    deps.logger.warn({ problems }, 'retention incomplete');
    throw new Error(`${summary}; ${problems.join('; ')}`);
  }
  return { summary };
}
