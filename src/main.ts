// The one place that reads the environment and wires Watch Tower together.

import { startWatchTower } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startTelemetry } from './telemetry.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const logger = createLogger(config.logLevel);
const telemetry = startTelemetry(config, logger);
const watchTower = await startWatchTower(config, { logger }).catch((err) => {
  logger.fatal({ err }, 'Watch Tower could not start');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: intake stopped, draining in-flight work');
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown did not finish in time; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  await watchTower.stop();
  await telemetry.shutdown();
  logger.info('stopped cleanly');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
