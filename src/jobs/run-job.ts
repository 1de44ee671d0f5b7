import { randomUUID } from 'node:crypto';
import { insertEvents } from '../db/events.ts';
import { uuidFromText } from '../domain/ids.ts';
import { isAppError } from '../errors.ts';
import type { Job, JobDeps } from './types.ts';

// One run of one job, however it was started: under a lease so two runs of a job never overlap (several
// replicas, or `npm run job` beside the scheduler), timed, logged, counted and kept as a `job.run` event.

export type RunOutcome = 'ok' | 'error' | 'skipped';

export interface RunReport {
  job: string;
  outcome: RunOutcome;
  summary: string;
  durationMs: number;
}

export interface RunOptions {
  /** `schedule` (a cron slot) or `manual` (`npm run job`). */
  trigger: 'schedule' | 'manual';
  /** The cron slot this run is for; its `job.run` event id is derived from it, so a slot is recorded once. */
  slot?: Date;
  /** How long the running lease lives without renewal (renewed every third of it while the job runs). */
  lockTtlMs?: number;
  /** Who holds the lease, for the lease value and the logs. */
  owner?: string;
}

export const DEFAULT_LOCK_TTL_MS = 60_000;
const MAX_SUMMARY = 500;

export const runningLeaseKey = (job: string) => `jobs:${job}:running`;

function failureSummary(err: unknown): string {
  if (isAppError(err)) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `failed: ${message}`;
}

const clip = (s: string) => (s.length <= MAX_SUMMARY ? s : `${s.slice(0, MAX_SUMMARY - 1)}…`);

export async function runJob(deps: JobDeps, job: Job, opts: RunOptions): Promise<RunReport> {
  const ttl = opts.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const owner = `${opts.owner ?? 'run'}:${randomUUID()}`;
  const logger = deps.logger.child({ job: job.name, trigger: opts.trigger, slot: opts.slot?.toISOString() });
  const lease = runningLeaseKey(job.name);

  if (!(await deps.kv.setIfAbsent(lease, owner, ttl))) {
    const summary = 'skipped: another run of this job is still going';
    logger.info(summary);
    deps.metrics.jobRuns.inc({ job: job.name, outcome: 'skipped' });
    return { job: job.name, outcome: 'skipped', summary, durationMs: 0 };
  }

  const renew = setInterval(() => {
    deps.kv.renewIfOwner(lease, owner, ttl).then(
      (still) => {
        if (!still) logger.warn('job lease lost while running; another run may start');
      },
      (err) => logger.warn({ err: (err as Error).message }, 'job lease renewal failed'),
    );
  }, ttl / 3);
  renew.unref();

  const startedAt = new Date();
  const started = performance.now();
  let outcome: RunOutcome;
  let summary: string;
  try {
    ({ summary } = await job.run(deps));
    outcome = 'ok';
  } catch (err) {
    outcome = 'error';
    summary = failureSummary(err);
    logger.error({ err }, 'job failed');
  } finally {
    clearInterval(renew);
    await deps.kv
      .releaseIfOwner(lease, owner)
      .catch((err) => logger.warn({ err: (err as Error).message }, 'job lease release failed'));
  }
  summary = clip(summary);
  const durationMs = Math.round(performance.now() - started);

  deps.metrics.jobRuns.inc({ job: job.name, outcome });
  deps.metrics.jobDuration.observe({ job: job.name, outcome }, durationMs / 1000);
  logger[outcome === 'ok' ? 'info' : 'warn']({ outcome, durationMs, summary }, 'job run finished');

  try {
    await insertEvents(deps.sql, [
      {
        type: 'job.run',
        entityType: 'job',
        entityId: job.name,
        payload: { job: job.name, outcome, durationMs, summary, trigger: opts.trigger },
        actor: opts.trigger === 'schedule' ? 'system:scheduler' : 'system:cli',
        occurredAt: startedAt,
        eventId: opts.slot ? uuidFromText(`job.run:${job.name}:${opts.slot.toISOString()}`) : undefined,
      },
    ]);
  } catch (err) {
    logger.error({ err }, 'could not record the job run');
  }
  return { job: job.name, outcome, summary, durationMs };
}
