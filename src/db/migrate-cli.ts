// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits.
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { createDb } from './client.ts';
import { migrate } from './migrate.ts';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger, poolSize: 1 });
try {
  const { applied, skipped } = await migrate(db.sql, logger);
  logger.info({ applied: applied.length, alreadyApplied: skipped.length }, 'migrations up to date');
} finally {
  await db.close();
}
