import type { webApi } from '@slack/bolt';
import type { Kv } from '../bus/kv.ts';
import type { Config } from '../config.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

// What every scheduled job is given, and what it gives back. Jobs read the clock through `now()` so tests
// can pin it, and post to Slack only through `slack` (absent when Slack is off).

export interface SlackPoster {
  post(channel: string, message: { text: string; blocks?: unknown[] }): Promise<void>;
}

export interface JobDeps {
  sql: Sql;
  kv: Kv;
  logger: Logger;
  metrics: Metrics;
  config: Config;
  slack: SlackPoster | undefined;
  /** The bot's Web API client, for jobs that need more than posting (the daily report uploads a chart). */
  slackClient?: webApi.WebClient;
  now(): Date;
}

export interface JobResult {
  /** One line for the log, the `job.run` event and `npm run job`. */
  summary: string;
}

export type JobRun = (deps: JobDeps) => Promise<JobResult>;

export interface Job {
  name: string;
  /** A node-cron expression, read in Africa/Lagos. */
  schedule: string;
  run: JobRun;
  /** Why the job cannot run with this config (e.g. Sheets not set up); undefined when it can. */
  disabledReason?(config: Config): string | undefined;
}
