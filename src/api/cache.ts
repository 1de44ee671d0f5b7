import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kv } from '../bus/kv.ts';

// Cache-aside for the read routes the architecture names (truck locations 60 s, trip details 5 min,
// analytics 1 h), invalidated by what changes them: every cached answer records the generation of the
// entities it shows, read BEFORE the answer was computed; a change bumps the entity's generation, so an
// answer computed before (or during) a change is never served after it.

export interface CachedRoute {
  /** fastify route pattern, e.g. `/api/v1/trucks/:id/location` */
  url: string;
  ttlMs: number;
  /** The entities the answer shows, known before computing it; null = don't cache this one. */
  tags(req: FastifyRequest, kv: Kv): Promise<string[] | null>;
  /** Learn from a fresh answer (e.g. which truck id a truck number names). */
  learn?(req: FastifyRequest, body: unknown, kv: Kv): Promise<void>;
}

interface Entry {
  payload: string;
  gens: Record<string, string>;
}

const GEN_TTL_MS = 2 * 86_400_000; // longer than any entry lives, so a lapsed generation can't be mistaken

const genKey = (tag: string) => `cache:gen:${tag}`;

/** Marks entities changed: every cached answer showing them is stale from now on. */
export async function invalidate(kv: Kv, tags: string[]): Promise<void> {
  await kv.incrMany([...new Set(tags)].map(genKey), GEN_TTL_MS);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A route keyed by an entity given as uuid or as its human key (truck number, trip number): the uuid is
 * learnt from the first answer, so the tag is known before computing later ones.
 */
export function entityRoute(
  url: string,
  ttlMs: number,
  kind: string,
  idOf: (body: Record<string, unknown>) => unknown,
): CachedRoute {
  const alias = (key: string) => `cache:alias:${kind}:${key.trim().toUpperCase()}`;
  return {
    url,
    ttlMs,
    async tags(req, kv) {
      const key = String((req.params as Record<string, string>).id ?? '');
      const id = UUID.test(key) ? key.toLowerCase() : await kv.get(alias(key));
      return id ? [`${kind}:${id}`] : null;
    },
    async learn(req, body, kv) {
      const key = String((req.params as Record<string, string>).id ?? '');
      const id = body && typeof body === 'object' ? idOf(body as Record<string, unknown>) : undefined;
      if (!UUID.test(key) && typeof id === 'string') await kv.set(alias(key), id.toLowerCase(), GEN_TTL_MS);
    },
  };
}

export const CACHED_ROUTES: CachedRoute[] = [
  entityRoute(
    '/api/v1/trucks/:id/location',
    60_000,
    'truck',
    (b) => (b.truck as { id?: unknown } | undefined)?.id,
  ),
  entityRoute('/api/v1/trips/:id', 5 * 60_000, 'trip', (b) => b.id),
  ...['daily', 'tat', 'utilization'].map(
    (kind): CachedRoute => ({
      url: `/api/v1/analytics/${kind}`,
      ttlMs: 3_600_000,
      tags: async () => ['analytics'],
    }),
  ),
];

declare module 'fastify' {
  interface FastifyRequest {
    cacheState?: { key: string; gens: Record<string, string> | null; route: CachedRoute };
  }
}

/** Hooks for the cached routes; register after authentication so a cache hit is still authorised. */
export function responseCache(opts: { kv: Kv; routes?: CachedRoute[] }) {
  const routes = new Map((opts.routes ?? CACHED_ROUTES).map((r) => [r.url, r]));
  const plugin = async (app: FastifyInstance) => {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const route = req.method === 'GET' ? routes.get(req.routeOptions.url ?? '') : undefined;
      if (!route) return;
      const key = `cache:http:${req.url}`;
      try {
        const tags = await route.tags(req, opts.kv);
        if (!tags) {
          req.cacheState = { key, gens: null, route };
          return;
        }
        // The entry and the generations of what it shows, in one round trip.
        const [raw, ...values] = await opts.kv.mget([key, ...tags.map(genKey)]);
        const gens = Object.fromEntries(tags.map((t, i) => [t, values[i] ?? '0']));
        req.cacheState = { key, gens, route };
        if (!raw) return;
        const entry = JSON.parse(raw) as Entry;
        if (Object.entries(gens).every(([t, g]) => entry.gens[t] === g)) {
          reply.header('x-cache', 'hit').type('application/json; charset=utf-8');
          return reply.send(entry.payload);
        }
      } catch {
        // The cache is an optimisation: when it is unreachable, answer from the database.
        req.cacheState = undefined;
      }
    });
    app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const state = req.cacheState;
      if (!state || reply.statusCode !== 200 || typeof payload !== 'string' || reply.getHeader('x-cache')) {
        return payload;
      }
      reply.header('x-cache', 'miss');
      try {
        if (state.route.learn) await state.route.learn(req, JSON.parse(payload), opts.kv);
        if (state.gens) {
          const entry: Entry = { payload, gens: state.gens };
          await opts.kv.set(state.key, JSON.stringify(entry), state.route.ttlMs);
        }
      } catch {
        // Not cached this time; the answer itself is fine.
      }
      return payload;
    });
  };
  // Like fastify-plugin: the hooks apply to routes registered in sibling plugins.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}

/** The cache tags an event's change touches. */
export function tagsForEvent(e: {
  type: string;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
}) {
  const tags: string[] = [];
  if (e.entityType === 'trip') tags.push(`trip:${e.entityId}`, 'analytics');
  if (e.entityType === 'truck') tags.push(`truck:${e.entityId}`);
  if (e.type.startsWith('loconav.') || e.type.startsWith('geofence.')) tags.push('analytics');
  return tags;
}
