// npm run bench:api — REST latency at a fixed 2,000 requests/s, in ONE run on this machine against real
// PostgreSQL+PostGIS and Redis: a truck's location, trucks near a point, a trip's status, and a bare Fastify
// route measured the same way as the baseline. Prints a table, then its figures as ONE JSON object on the
// last line.
import Fastify from 'fastify';
import { signToken } from '../src/api/auth.ts';
import { startWatchTower } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { connect } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { LAGOS_AREA, seededRandom } from '../src/domain/spatial-index.ts';
import { createLogger } from '../src/log.ts';
import { freshDatabase, type LoadResult, load, requireServices } from './support.ts';

const TRUCKS = 5_000;
const TRIPS = 2_000;
const RPS = Number(process.env.BENCH_RPS ?? 2_000);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 10_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 5_000);
const JWT_SECRET = 'bench-jwt-secret-at-least-32-characters';
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
const { databaseUrl, redisUrl } = requireServices('bench:api');

async function seed(url: string) {
  const sql = connect(url, 2);
  await migrate(sql, logger);
  await sql`
    insert into trucks (truck_number, imei, status, last_location, last_fix_at, last_speed_kmh)
    select 'API-' || lpad(i::text, 4, '0'), (880000000000000 + i)::text, 'active',
           st_setsrid(st_makepoint(3.1 + random() * 0.5, 6.4 + random() * 0.3), 4326)::geography,
           now() - (random() * interval '10 minutes'), random() * 60
    from generate_series(0, ${TRUCKS - 1}) i`;
  await sql`
    insert into geofences (name, type, shape, geom, radius_m)
    values ('Apapa Port', 'terminal', 'circle', st_setsrid(st_makepoint(3.3636, 6.4474), 4326), 800),
           ('Dangote Ibese', 'client', 'circle', st_setsrid(st_makepoint(3.05, 6.96), 4326), 1500)`;
  await sql`
    insert into trips (truck_id, origin_geofence_id, destination_geofence_id, client, cargo, status,
                       dispatched_at, created_by, updated_by)
    select t.id, (select id from geofences where name = 'Apapa Port'), (select id from geofences where name = 'Dangote Ibese'),
           'Dangote', 'cement', 'in_transit', now() - interval '2 hours', 'bench', 'bench'
    from (select id from trucks order by truck_number limit ${TRIPS}) t`;
  const trucks = (await sql`select id from trucks`).map((r) => r.id as string);
  const trips = (await sql`select id from trips`).map((r) => r.id as string);
  await sql.end();
  return { trucks, trips };
}

async function main() {
  const url = await freshDatabase(databaseUrl, 'watchtower_bench_api');
  const { trucks, trips } = await seed(url);
  const rnd = seededRandom(3);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const token = signToken(JWT_SECRET, { sub: 'bench', role: 'viewer' });
  const headers = { authorization: `Bearer ${token}` };
  // Each endpoint gets a warm-up at the same rate first (caches filled, connections open), not measured:
  // the figures are steady state. The cold start shows in the warm-up's own line.
  const phase = async (base: string, paths: string[]): Promise<LoadResult> => {
    const warm = await load({ url: base, paths, headers, concurrency: 64, durationMs: WARMUP_MS, rps: RPS });
    console.log(`  warm-up ${paths[0]?.split('?')[0]}: p95 ${warm.p95.toFixed(1)} ms`);
    return load({ url: base, paths, headers, concurrency: 64, durationMs: PHASE_MS, rps: RPS });
  };

  // Bare Fastify route: the same loader, rate and JSON size, no work.
  const bare = Fastify();
  bare.get('/bare', async () => ({ truck: { id: trucks[0] }, location: { lat: 6.45, lng: 3.36 } }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = (bare.server.address() as { port: number }).port;
  const b = await phase(`http://127.0.0.1:${barePort}/bare`, ['/bare']);
  await bare.close();

  const wt = await startWatchTower(
    loadConfig({
      DATABASE_URL: url,
      REDIS_URL: redisUrl,
      PORT: '0',
      JWT_SECRET,
      WATCHTOWER_ROLES: 'api',
      LOG_LEVEL: 'warn',
      API_RATE_LIMIT_PER_MINUTE: '1000000',
    }),
    { logger, busPrefix: `bench-api-${Date.now()}:` },
  );
  const base = wt.url!;
  const locationPaths = Array.from({ length: 20_000 }, () => `/api/v1/trucks/${pick(trucks)}/location`);
  const nearPaths = Array.from({ length: 20_000 }, () => {
    const lat = LAGOS_AREA.minLat + rnd() * (LAGOS_AREA.maxLat - LAGOS_AREA.minLat);
    const lng = LAGOS_AREA.minLng + rnd() * (LAGOS_AREA.maxLng - LAGOS_AREA.minLng);
    return `/api/v1/trucks/near?lat=${lat.toFixed(5)}&lng=${lng.toFixed(5)}&radius=3000`;
  });
  const tripPaths = Array.from({ length: 20_000 }, () => `/api/v1/trips/${pick(trips)}`);
  const location = await phase(base, locationPaths);
  const trip = await phase(base, tripPaths);
  // Last: when PostGIS cannot keep up, its backlog would spill into the next phase.
  const near = await phase(base, nearPaths);
  await wt.stop();

  const ms = (n: number) => Number(n.toFixed(2));
  const figures = {
    rps: RPS,
    location_p95_ms: ms(location.p95),
    near_p95_ms: ms(near.p95),
    trip_p95_ms: ms(trip.p95),
    bare_p95_ms: ms(b.p95),
    location_rps: Math.round(location.rps),
    near_rps: Math.round(near.rps),
    trip_rps: Math.round(trip.rps),
    bare_rps: Math.round(b.rps),
    location_p99_ms: ms(location.p99),
    near_p99_ms: ms(near.p99),
    trip_p99_ms: ms(trip.p99),
    failed_requests: b.failed + location.failed + near.failed + trip.failed,
    trucks: TRUCKS,
    trips: TRIPS,
  };
  console.log('');
  console.log(`endpoint (at ${RPS} req/s)     achieved   p50 ms   p95 ms   p99 ms`);
  for (const [name, r] of [
    ['bare Fastify route', b],
    ['truck location', location],
    ['trucks near (3 km)', near],
    ['trip status', trip],
  ] as const) {
    console.log(
      `${name.padEnd(28)}${String(Math.round(r.rps)).padStart(8)}${r.p50.toFixed(2).padStart(9)}${r.p95.toFixed(2).padStart(9)}${r.p99.toFixed(2).padStart(9)}`,
    );
  }
  console.log(JSON.stringify(figures));
}

await main();
process.exit(0);
