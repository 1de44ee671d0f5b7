// `npm run job -- <name>`: runs one job now, under the same lease, logging, metrics and `job.run` event as
// a scheduled run, then exits (0 done, 1 failed, 2 bad usage or config, 75 another run of it is going).

import { pathToFileURL } from 'node:url';
import { createBus, createKv } from '../bus/index.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { createLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { findJob, JOB_NAMES } from './registry.ts';
import { runJob } from './run-job.ts';
import { jobSlack } from './slack-poster.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, busy: 75 } as const;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export async function runJobCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || rest.length > 0 || name === '--help' || name === 'help') {
    io.err(`usage: npm run job -- <name>, where <name> is one of ${JOB_NAMES.join(', ')}`);
    return EXIT.usage;
  }
  let job: ReturnType<typeof findJob>;
  let config: ReturnType<typeof loadConfig>;
  try {
    job = findJob(name);
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof Error)) throw err;
    io.err(err.message);
    return EXIT.usage;
  }
  const disabled = job.disabledReason?.(config);
  if (disabled) {
    io.err(`${job.name} cannot run: ${disabled}`);
    return EXIT.usage;
  }

  const logger = createLogger(config.logLevel);
  const metrics = createMetrics();
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
    poolSize: 2,
  });
  try {
    await migrate(db.sql, logger);
    const bus = await createBus({ redisUrl: config.redisUrl, logger, prefix: config.redisPrefix });
    try {
      const report = await runJob(
        {
          sql: db.sql,
          kv: createKv(bus),
          logger,
          metrics,
          config,
          ...jobSlack(config.slack, metrics, logger),
          now: () => new Date(),
        },
        job,
        { trigger: 'manual', owner: 'cli' },
      );
      (report.outcome === 'ok' ? io.out : io.err)(
        `${job.name} ${report.outcome} in ${report.durationMs} ms: ${report.summary}`,
      );
      return report.outcome === 'ok' ? EXIT.ok : report.outcome === 'skipped' ? EXIT.busy : EXIT.failed;
    } finally {
      await bus.close();
    }
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runJobCli(process.argv.slice(2), process.env, {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  });
  process.exit(code);
}
