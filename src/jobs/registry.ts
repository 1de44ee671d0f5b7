import { runDailyReport } from './daily-report.ts';
import { runDelayWatch } from './delay-watch.ts';
import { runOfflineWatch } from './offline-watch.ts';
import { runRetention } from './retention.ts';
import { runSheetsSync, sheetsSyncDisabledReason } from './sheets-sync.ts';
import type { Job } from './types.ts';

// Every scheduled job: its name (what `npm run job -- <name>` takes), its cron expression in Africa/Lagos
// wall-clock time, and what it runs.

export const JOB_NAMES = [
  'sheets-sync',
  'daily-report',
  'offline-watch',
  'delay-watch',
  'retention',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const JOB_SCHEDULES: Readonly<Record<JobName, string>> = {
  'sheets-sync': '*/15 * * * *',
  // 06:00 in Lagos, whatever zone the server's clock is in.
  'daily-report': '0 6 * * *',
  'offline-watch': '* * * * *',
  'delay-watch': '* * * * *',
  // Quiet hours; partitions are made a week ahead, so a missed night costs nothing.
  retention: '30 3 * * *',
};

export const JOBS: readonly Job[] = [
  {
    name: 'sheets-sync',
    schedule: JOB_SCHEDULES['sheets-sync'],
    run: runSheetsSync,
    disabledReason: sheetsSyncDisabledReason,
  },
  { name: 'daily-report', schedule: JOB_SCHEDULES['daily-report'], run: runDailyReport },
  { name: 'offline-watch', schedule: JOB_SCHEDULES['offline-watch'], run: runOfflineWatch },
  { name: 'delay-watch', schedule: JOB_SCHEDULES['delay-watch'], run: runDelayWatch },
  { name: 'retention', schedule: JOB_SCHEDULES.retention, run: runRetention },
];

export const isJobName = (name: string): name is JobName => (JOB_NAMES as readonly string[]).includes(name);

/** The job called `name`, or an error that lists the names there are. */
export function findJob(name: string): Job {
  const job = JOBS.find((j) => j.name === name);
  if (!job) {
    throw new Error(`unknown job "${name}": expected one of ${JOB_NAMES.join(', ')}`);
  }
  return job;
}
