import type { FastifyInstance } from 'fastify';
import { createFleetAgent } from './agent/fleet-agent.ts';
import { apiAuth } from './api/auth.ts';
import { responseCache } from './api/cache.ts';
import { FleetView } from './api/fleet-view.ts';
import { LiveHub } from './api/live.ts';
import { openApiRoutes, WEBHOOK_ROUTE_DOC } from './api/openapi.ts';
import { rateLimit } from './api/rate-limit.ts';
import { AI_ROUTE_DOCS, aiRoutes } from './api/routes/ai.ts';
import { ANALYTICS_ROUTE_DOCS, analyticsRoutes } from './api/routes/analytics.ts';
import { GEOFENCE_ROUTE_DOCS, geofenceRoutes } from './api/routes/geofences.ts';
import { liveRoutes } from './api/routes/live.ts';
import { ROLE_ROUTE_DOCS, roleRoutes } from './api/routes/roles.ts';
import { TRIP_ROUTE_DOCS, tripRoutes } from './api/routes/trips.ts';
import { TRUCK_ROUTE_DOCS, truckRoutes } from './api/routes/trucks.ts';
import { build } from './api/server.ts';
import { startSlackBot } from './bot/app.ts';
import { startSlackOutbound } from './bot/outbound.ts';
import { createBus, createKv } from './bus/index.ts';
import type { Kv } from './bus/kv.ts';
import type { Bus } from './bus/types.ts';
import { type Config, hasRole } from './config.ts';
import { createDb, type Db } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { getTrip } from './db/trips.ts';
import { bootstrapAdmins } from './fleet/roles.ts';
import { handleEventsForTrips } from './fleet/trip-progress.ts';
import { type Ingest, newReplicaId, startIngest } from './ingest/index.ts';
import { startSpool } from './ingest/spool.ts';
import { EVENTS_STREAM } from './ingest/streams.ts';
import { webhookRoutes } from './ingest/webhook.ts';
import { cacheInvalidation, startEventConsumers } from './jobs/event-consumers.ts';
import { JOBS } from './jobs/registry.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { jobSlack } from './jobs/slack-poster.ts';
import type { Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { ephemeralSecret, seedDemoFleetIfEmpty, startDemoSimulator } from './sim/demo.ts';

/** A part of the running system that can be stopped; stopped in the reverse order it was started. */
interface Part {
  name: string;
  stop(): Promise<void>;
}

export interface WatchTower {
  config: Config;
  db: Db;
  bus: Bus;
  kv: Kv;
  metrics: Metrics;
  ingest: Ingest | undefined;
  http: FastifyInstance | undefined;
  /** Where the HTTP server listens, e.g. http://127.0.0.1:3000 */
  url: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Overrides REDIS_PREFIX (tests run side by side on one Redis). */
  busPrefix?: string;
  /** Consumer and lease timings (tests shorten them). */
  tuning?: Pick<Parameters<typeof startIngest>[0], 'consumer' | 'leaseTtlMs' | 'relayIdleMs' | 'replicaId'>;
}

/** The composition root's body: config → db → bus → http (→ consumers, bot, jobs), stopped in reverse. */
export async function startWatchTower(config: Config, opts: StartOptions): Promise<WatchTower> {
  const { logger } = opts;
  const parts: Part[] = [];
  let draining = false;
  const stopAll = async () => {
    draining = true;
    for (const part of parts.reverse()) {
      try {
        await part.stop();
        logger.debug({ part: part.name }, 'stopped');
      } catch (err) {
        logger.error({ err, part: part.name }, 'error while stopping');
      }
    }
  };

  try {
    const metrics = createMetrics();
    const db = await createDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      logger,
      stuckAfterMs: config.databaseStuckAfterMs,
    });
    parts.push({ name: 'database', stop: () => db.close() });
    await migrate(db.sql, logger);
    const agent = await createFleetAgent({ sql: db.sql, logger, openai: config.openai });
    const admins = await bootstrapAdmins(db.sql, config.slack.adminUsers);
    if (admins.length > 0) logger.info({ admins }, 'first admins from SLACK_ADMIN_USERS');

    const bus = await createBus({
      redisUrl: config.redisUrl,
      logger,
      prefix: opts.busPrefix ?? config.redisPrefix,
    });
    parts.push({ name: 'bus', stop: () => bus.close() });
    const kv = createKv(bus);

    // The demo drives through the real, authenticated webhook; with nothing configured it signs with a
    // secret made up for this process, so the route is still never open.
    const demo = wantsDemo(config, db) && hasRole(config, 'webhook');
    const loconav =
      demo && !config.loconav.webhookSecret && !config.loconav.webhookToken
        ? { ...config.loconav, webhookSecret: ephemeralSecret() }
        : config.loconav;
    if (demo) await seedDemoFleetIfEmpty(db.sql, logger);

    const replicaId = opts.tuning?.replicaId ?? newReplicaId();
    let ingest: Ingest | undefined;
    if (hasRole(config, 'consumers')) {
      const events = startEventConsumers({
        sql: db.sql,
        bus,
        kv,
        logger,
        metrics,
        replicaId,
        groups: {
          'trip-progress': async (events) => void (await handleEventsForTrips(db.sql, events)),
          'cache-invalidation': cacheInvalidation(kv),
        },
        consumer: opts.tuning?.consumer,
      });
      parts.push({ name: 'event consumers', stop: () => events.stop() });
      const started = await startIngest({
        sql: db.sql,
        bus,
        kv,
        metrics,
        logger,
        shards: config.ingest.shards,
        quality: { maxSpeedKmh: config.ingest.maxSpeedKmh },
        overspeed: { limitKmh: config.ingest.overspeedLimitKmh, minHeldS: config.ingest.overspeedMinS },
        ...opts.tuning,
        replicaId,
      });
      ingest = started;
      parts.push({ name: 'consumers', stop: () => started.stop() });
    }

    // Degraded intake: with Redis down the webhook spools to PostgreSQL, drained once Redis is back.
    const spool =
      hasRole(config, 'webhook') && bus.kind === 'redis'
        ? startSpool({ sql: db.sql, bus, kv, logger, metrics })
        : undefined;
    if (spool) parts.push({ name: 'webhook spool drainer', stop: () => spool.stop() });

    let http: FastifyInstance | undefined;
    let url: string | undefined;
    // Every role serves /healthz, /readyz and /metrics (probes, scraping); webhook and API routes by role.
    {
      const plugins = [];
      if (hasRole(config, 'webhook')) {
        plugins.push(
          webhookRoutes({
            bus,
            metrics,
            auth: loconav,
            timeZone: config.loconav.timeZone,
            shards: config.ingest.shards,
            spool,
          }),
        );
      }
      if (hasRole(config, 'api')) {
        const hub = new LiveHub(bus, logger, EVENTS_STREAM);
        const fleetView = new FleetView(db.sql, logger);
        hub.onLocations((updates) => fleetView.apply(updates));
        await hub.start();
        parts.push({ name: 'live hub', stop: () => hub.stop() });
        // Loaded after the hub follows the locations stream, so no move falls between table and stream.
        await fleetView.start();
        parts.push({ name: 'fleet view', stop: async () => fleetView.stop() });
        plugins.push(
          apiAuth({ jwtSecret: config.jwtSecret }),
          rateLimit({ kv, perMinute: config.apiRateLimitPerMinute }),
          responseCache({ kv }),
          geofenceRoutes({ sql: db.sql }),
          truckRoutes({ sql: db.sql, near: (q) => fleetView.near(q) }),
          tripRoutes({ sql: db.sql }),
          analyticsRoutes({ sql: db.sql }),
          roleRoutes({ sql: db.sql }),
          aiRoutes({ agent }),
          openApiRoutes([
            ...TRUCK_ROUTE_DOCS,
            ...GEOFENCE_ROUTE_DOCS,
            ...TRIP_ROUTE_DOCS,
            ...ANALYTICS_ROUTE_DOCS,
            ...ROLE_ROUTE_DOCS,
            ...AI_ROUTE_DOCS,
            WEBHOOK_ROUTE_DOC,
          ]),
          liveRoutes({
            sql: db.sql,
            hub,
            jwtSecret: config.jwtSecret,
            findTripId: async (key) => (await getTrip(db.sql, key))?.id,
          }),
        );
      }
      http = await build({
        db,
        bus,
        logger,
        metrics,
        plugins,
        isDraining: () => draining,
        readyWithoutBus: spool !== undefined,
      });
      const app = http;
      // Closing fastify waits for in-flight requests to finish: intake stops first, then work drains.
      parts.push({ name: 'http', stop: () => app.close() });
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      url = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : undefined;
    }

    if (hasRole(config, 'bot') && config.slack.botToken && config.slack.appToken) {
      const bot = await startSlackBot({ config, sql: db.sql, logger, agent, kv });
      parts.push({ name: 'slack bot', stop: () => bot.stop() });
      const outbound = startSlackOutbound({
        config,
        sql: db.sql,
        bus,
        kv,
        logger,
        metrics,
        replicaId,
        consumer: opts.tuning?.consumer,
      });
      parts.push({ name: 'slack alerts and cards', stop: () => outbound.stop() });
    }

    if (hasRole(config, 'jobs')) {
      const scheduler = startScheduler({
        sql: db.sql,
        kv,
        logger,
        metrics,
        config,
        ...jobSlack(config.slack, metrics, logger),
        now: () => new Date(),
        jobs: [...JOBS],
        replicaId,
      });
      parts.push({ name: 'scheduler', stop: () => scheduler.stop() });
    }

    if (demo && url) {
      const sim = startDemoSimulator({
        baseUrl: url,
        secret: loconav.webhookSecret,
        token: loconav.webhookToken,
        logger,
      });
      // Stopped before the HTTP server, so its last requests are answered.
      parts.push({ name: 'demo simulator', stop: () => sim.stop() });
    }

    describeStartup(config, logger, db, bus, url);
    return { config, db, bus, kv, metrics, ingest, http, url, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** auto: on the embedded database only (the Lagos demo); on/off force it. */
function wantsDemo(config: Config, db: Db): boolean {
  return config.simulator === 'on' || (config.simulator === 'auto' && db.embedded);
}

function describeStartup(config: Config, logger: Logger, db: Db, bus: Bus, url: string | undefined) {
  const embedded: string[] = [];
  if (db.embedded) embedded.push('database (PGlite; set DATABASE_URL for PostgreSQL+PostGIS)');
  if (bus.kind === 'memory') embedded.push('streams (in-process; set REDIS_URL for Redis)');
  const disabled: string[] = [];
  if (!config.slack.botToken || !config.slack.appToken) {
    disabled.push('Slack (set SLACK_BOT_TOKEN and SLACK_APP_TOKEN)');
  }
  if (!config.openai.apiKey)
    disabled.push('LLM agent (set OPENAI_API_KEY; the command router answers meanwhile)');
  if (!config.google.sheetsId)
    disabled.push('roster sync (set GOOGLE_SHEETS_ID and GOOGLE_APPLICATION_CREDENTIALS)');
  if (!config.loconav.webhookSecret && !config.loconav.webhookToken) {
    disabled.push('LocoNav webhook (set LOCONAV_WEBHOOK_SECRET or LOCONAV_WEBHOOK_TOKEN)');
  }
  logger.info({ url, roles: config.roles, embedded, disabled }, 'Watch Tower is up');
}
