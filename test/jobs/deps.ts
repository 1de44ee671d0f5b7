import { Writable } from 'node:stream';
import { type Kv, MemoryKv } from '../../src/bus/kv.ts';
import { loadConfig } from '../../src/config.ts';
import type { Sql } from '../../src/db/client.ts';
import type { JobDeps, SlackPoster } from '../../src/jobs/types.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';

// Real deps for a job under test: a real database and Kv, a pino logger writing into an array, and a Slack
// poster that records what it was asked to post (Slack itself is outside: jobs only see this seam).

export interface Posted {
  channel: string;
  message: { text: string; blocks?: unknown[] };
}

export function recordingSlack(): SlackPoster & { posted: Posted[] } {
  const posted: Posted[] = [];
  return {
    posted,
    async post(channel, message) {
      posted.push({ channel, message });
    },
  };
}

export function logSink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

export function jobDeps(
  sql: Sql,
  opts: { env?: Record<string, string>; kv?: Kv; now?: () => Date; slack?: SlackPoster } = {},
) {
  const sink = logSink();
  const deps: JobDeps = {
    sql,
    kv: opts.kv ?? new MemoryKv(),
    logger: sink.logger,
    metrics: createMetrics(),
    config: loadConfig({ LOG_LEVEL: 'silent', ...opts.env }),
    slack: opts.slack,
    now: opts.now ?? (() => new Date()),
  };
  return { deps, logs: sink.lines };
}
