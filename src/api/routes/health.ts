import type { FastifyInstance } from 'fastify';
import type { Bus } from '../../bus/types.ts';
import type { Db } from '../../db/client.ts';
import type { Metrics } from '../../metrics.ts';

interface HealthDeps {
  db: Db;
  bus: Bus;
  metrics: Metrics;
  isDraining: () => boolean;
  /** The bus is not needed to take traffic (the webhook spools to the database while Redis is down). */
  readyWithoutBus: boolean;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

async function check(fn: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(fn(), 2_000);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps) {
  // Liveness: the process answers. Never depends on the database, so a database outage does not restart pods.
  app.get('/healthz', async () => ({ ok: true }));

  // Readiness: take traffic only while the database and the bus answer and we are not shutting down; a
  // webhook that can spool needs only the database, so a Redis outage does not turn LocoNav away.
  app.get('/readyz', async (_req, reply) => {
    const [database, bus] = await Promise.all([check(() => deps.db.ping()), check(() => deps.bus.ping())]);
    const draining = deps.isDraining();
    const ready = database.ok && (bus.ok || deps.readyWithoutBus) && !draining;
    reply.code(ready ? 200 : 503);
    return {
      ready,
      draining,
      database: { ...database, embedded: deps.db.embedded },
      bus: { ...bus, kind: deps.bus.kind, required: !deps.readyWithoutBus },
    };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
