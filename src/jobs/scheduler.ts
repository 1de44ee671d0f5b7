import { randomUUID } from 'node:crypto';
import { createTask, type ScheduledTask, validateDetailed } from 'node-cron';
import type { Logger } from '../log.ts';
import { type RunReport, runJob } from './run-job.ts';
import type { Job, JobDeps } from './types.ts';

// Runs each job on its cron schedule (node-cron, Africa/Lagos wall clock). Every replica with the `jobs`
// role runs a scheduler; each slot is claimed in the shared Kv (Redis, or this process when embedded), so a
// slot runs on exactly one of them, and the running lease in runJob keeps two runs of a job from overlapping.

export const JOBS_TIMEZONE = 'Africa/Lagos';

/** Long enough to outlast any clock skew between replicas; each slot has its own key, so it blocks nothing. */
const SLOT_CLAIM_TTL_MS = 15 * 60_000;

export interface SchedulerOptions extends JobDeps {
  jobs: Job[];
  /** Lifetime of a job's running lease without renewal; see runJob. */
  lockTtlMs?: number;
  /** Identifies this replica in leases and logs. */
  replicaId?: string;
  cron?: { timezone?: string };
  /** Told of every run this replica made (tests and diagnostics). */
  onRun?(report: RunReport, slot: Date): void;
}

export interface Scheduler {
  /** Stops scheduling and waits for the runs in flight to finish. */
  stop(): Promise<void>;
}

export const slotClaimKey = (job: string, slot: Date) => `jobs:${job}:slot:${slot.toISOString()}`;

/** Throws one error naming every job whose cron expression node-cron refuses. */
export function assertSchedules(jobs: readonly Pick<Job, 'name' | 'schedule'>[]): void {
  const problems = jobs.flatMap((j) => {
    const v = validateDetailed(j.schedule);
    return v.valid ? [] : [`${j.name} ("${j.schedule}"): ${v.errors.map((e) => e.message).join('; ')}`];
  });
  if (problems.length) throw new Error(`invalid job schedule: ${problems.join(', ')}`);
}

const cronLogger = (logger: Logger) => ({
  info: (m: string) => logger.debug({ component: 'node-cron' }, m),
  warn: (m: string) => logger.warn({ component: 'node-cron' }, m),
  error: (m: string | Error, err?: Error) =>
    logger.error({ component: 'node-cron', err: err ?? m }, String(m)),
  debug: (m: string | Error) => logger.debug({ component: 'node-cron' }, String(m)),
});

export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { jobs, logger } = opts;
  assertSchedules(jobs);
  const replicaId = opts.replicaId ?? randomUUID();
  const timezone = opts.cron?.timezone ?? JOBS_TIMEZONE;
  const inFlight = new Set<Promise<void>>();
  const tasks: ScheduledTask[] = [];

  const fire = async (job: Job, slot: Date) => {
    if (!(await opts.kv.setIfAbsent(slotClaimKey(job.name, slot), replicaId, SLOT_CLAIM_TTL_MS))) {
      logger.debug({ job: job.name, slot: slot.toISOString() }, 'slot taken by another replica');
      return;
    }
    const report = await runJob(opts, job, {
      trigger: 'schedule',
      slot,
      lockTtlMs: opts.lockTtlMs,
      owner: replicaId,
    });
    opts.onRun?.(report, slot);
  };

  for (const job of jobs) {
    const disabled = job.disabledReason?.(opts.config);
    if (disabled) {
      logger.info({ job: job.name, reason: disabled }, 'job not scheduled');
      continue;
    }
    const task = createTask(
      job.schedule,
      (ctx) => {
        const run = fire(job, ctx.date).catch((err) =>
          logger.error({ err, job: job.name }, 'could not start a scheduled job run'),
        );
        inFlight.add(run);
        void run.finally(() => inFlight.delete(run));
        return run;
      },
      { name: `watchtower:${job.name}`, timezone, noOverlap: true, logger: cronLogger(logger) },
    );
    tasks.push(task);
  }
  for (const task of tasks) void task.start();
  logger.info({ jobs: tasks.map((t) => t.name), timezone, replicaId }, 'scheduler started');

  return {
    async stop() {
      for (const task of tasks) await task.destroy();
      await Promise.all([...inFlight]);
    },
  };
}
