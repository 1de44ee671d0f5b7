// npm run bench:soak — Watch Tower held at 5,000 positions/s (requests of 50) for 10 minutes (BENCH_SOAK_MS),
// 2,000 trucks driving among 1,000 geofences, against real PostgreSQL+PostGIS and Redis (from
// TEST_DATABASE_URL/TEST_REDIS_URL, which scripts/bench.sh starts when none are given). Watch Tower runs as
// production scales it: a webhook process and a consumers process (src/main.ts each); this process is the
// load generator and the observer. Every 10 s it samples each Watch Tower process's RSS, the lag and pending
// entries of every consumer group, and the webhook → event lag of probe fixes (one request in 10 carries a
// probe truck crossing its own small geofence, so it yields one geofence event carrying the request id).
// When the load stops it waits for the pipeline to drain and counts what was sent, acknowledged (202) and
// stored. Prints a table, then its figures as ONE JSON object on the last line.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import postgres from 'postgres';
import { RedisBus } from '../src/bus/redis.ts';
import { connect } from '../src/db/client.ts';
import { insertGeofence } from '../src/db/geofences.ts';
import { migrate } from '../src/db/migrate.ts';
import { LAGOS_AREA, seededRandom, syntheticGeofences } from '../src/domain/spatial-index.ts';
import { LAGOS } from '../src/domain/time.ts';
import { WATCHER_GROUP, WRITER_GROUP } from '../src/ingest/index.ts';
import { formatGpstime } from '../src/ingest/loconav.ts';
import { EVENTS_STREAM, positionStream } from '../src/ingest/streams.ts';
import { WEBHOOK_PATH } from '../src/ingest/webhook.ts';
import { createLogger } from '../src/log.ts';
import { startWatchTowerProcess, type WatchTowerProcess } from '../test/support/watchtower-process.ts';
import { freshDatabase, headingDegrees, percentile, requireServices } from './support.ts';

const DURATION_MS = positiveNumber('BENCH_SOAK_MS', 600_000);
const RATE = positiveNumber('BENCH_SOAK_RATE', 5_000);
const SAMPLE_MS = positiveNumber('BENCH_SOAK_SAMPLE_MS', 10_000);
const TRUCKS = 2_000;
const GEOFENCES = 1_000;
const BATCH = 50;
const SHARDS = 8;
/** One request in PROBE_EVERY carries a probe fix; PROBES trucks take turns, each with its own geofence. */
const PROBE_EVERY = 10;
const PROBES = 100;
/** Requests in flight at most: past it the offered rate drops, and `rate` shows by how much. */
const MAX_IN_FLIGHT = 256;
const SECRET = 'bench-webhook-secret-0123456789';
const EVENT_GROUPS = ['trip-progress', 'cache-invalidation'];
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name}: expected a positive number, got "${raw}"`);
    process.exit(1);
  }
  return n;
}

const { databaseUrl: baseUrl, redisUrl } = requireServices('bench:soak');
const gpstime = (t: Date) => formatGpstime(t, LAGOS);
const probeCenter = (p: number) => ({ lat: 6.0 + p * 0.002, lng: 3.0 }); // at sea, south of Lagos

async function seed(url: string) {
  const sql = connect(url, 4);
  await migrate(sql, logger);
  const shapes = syntheticGeofences(GEOFENCES, 7);
  for (let i = 0; i < shapes.length; i += 250) {
    await Promise.all(
      shapes.slice(i, i + 250).map((g, k) =>
        insertGeofence(sql, {
          name: `soak-${i + k}`,
          type: 'checkpoint',
          shape: g.shape,
          minDwellS: 30,
          exitMarginM: 50,
        }),
      ),
    );
  }
  await Promise.all(
    Array.from({ length: PROBES }, (_, p) =>
      insertGeofence(sql, {
        name: `probe-${p}`,
        type: 'checkpoint',
        shape: { kind: 'circle', center: probeCenter(p), radiusM: 50 },
        minDwellS: 0,
        exitMarginM: 50,
      }),
    ),
  );
  await sql`
    insert into trucks (truck_number, imei, status)
    select 'SOK-' || lpad(i::text, 4, '0'), (890000000000000 + i)::text, 'active'
    from generate_series(0, ${TRUCKS - 1}) i`;
  await sql`
    insert into trucks (truck_number, imei, status)
    select 'PRB-' || lpad(i::text, 4, '0'), (891000000000000 + i)::text, 'active'
    from generate_series(0, ${PROBES - 1}) i`;
  await sql.end();
}

/**
 * The fleet's fixes in turn: truck t's k-th fix is k seconds after a start far enough in the past that the
 * last one is still not in the future, about 8 m further along a wandering heading (30 km/h). Every fix is
 * new (truck, fix time), so every acknowledged one must be stored.
 */
function fleetFixes() {
  const rnd = seededRandom(42);
  const trucks = Array.from({ length: TRUCKS }, () => ({
    lat: LAGOS_AREA.minLat + rnd() * (LAGOS_AREA.maxLat - LAGOS_AREA.minLat),
    lng: LAGOS_AREA.minLng + rnd() * (LAGOS_AREA.maxLng - LAGOS_AREA.minLng),
    heading: rnd() * 2 * Math.PI,
  }));
  const fixesPerTruck = Math.ceil(((DURATION_MS / 1000) * RATE) / TRUCKS) + 2;
  const startS = Math.floor(Date.now() / 1000) - fixesPerTruck - 120;
  let n = 0;
  return () => {
    const t = n % TRUCKS;
    const k = Math.floor(n / TRUCKS);
    n++;
    const p = trucks[t]!;
    p.heading += (rnd() - 0.5) * 0.5;
    p.lat += Math.sin(p.heading) * 0.00007;
    p.lng += Math.cos(p.heading) * 0.00007;
    return {
      imei: String(890000000000000 + t),
      vehiclenumber: `SOK-${String(t).padStart(4, '0')}`,
      latitude: Number(p.lat.toFixed(6)),
      longitude: Number(p.lng.toFixed(6)),
      speed: 30,
      orientation: headingDegrees(p.heading),
      ignition: '1',
      gpstime: gpstime(new Date((startS + k) * 1000)),
    };
  };
}

/** Probe trucks alternate between their geofence's centre and 330 m east of it: each fix enters or exits. */
function probeFixes() {
  const inside = new Array<boolean>(PROBES).fill(false);
  let n = 0;
  return () => {
    const p = n++ % PROBES;
    inside[p] = !inside[p];
    const c = probeCenter(p);
    return {
      imei: String(891000000000000 + p),
      vehiclenumber: `PRB-${String(p).padStart(4, '0')}`,
      latitude: c.lat,
      longitude: inside[p] ? c.lng : c.lng + 0.003,
      speed: 20,
      orientation: 90,
      ignition: '1',
      gpstime: gpstime(new Date(Math.floor(Date.now() / 1000) * 1000 - 1000)),
    };
  };
}

interface Sample {
  t: number;
  phase: 'load' | 'drain';
  rssMb: Record<string, number>;
  groups: Record<string, { lag: number; pending: number }>;
  acknowledged: number;
  lagP99: number | undefined;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main() {
  const url = await freshDatabase(baseUrl, 'watchtower_bench_soak');
  const seeded = Date.now();
  await seed(url);
  console.log(
    `seeded ${GEOFENCES} geofences (+${PROBES} probes) and ${TRUCKS} trucks (+${PROBES} probes) in ${((Date.now() - seeded) / 1000).toFixed(1)} s`,
  );

  const prefix = `soak-${Date.now()}:`;
  const env = (roles: string) => ({
    DATABASE_URL: url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    PORT: '0',
    LOCONAV_WEBHOOK_SECRET: SECRET,
    INGEST_SHARDS: String(SHARDS),
    WATCHTOWER_ROLES: roles,
    WATCHTOWER_SIMULATOR: 'off',
    // At info: the "Watch Tower is up" line says where it listens.
    LOG_LEVEL: 'info',
  });
  const processes: WatchTowerProcess[] = [
    startWatchTowerProcess('webhook', env('webhook')),
    startWatchTowerProcess('consumers', env('consumers')),
  ];
  const webhookUrl = `${await processes[0]!.up}${WEBHOOK_PATH}`;
  await processes[1]!.up;
  // Keep only what matters from here on: the log arrays would otherwise grow for the whole run.
  for (const p of processes) p.child.stdout?.removeAllListeners('data').resume();

  const bus = await RedisBus.connect({ url: redisUrl, prefix });
  const watched = [
    ...[WRITER_GROUP, WATCHER_GROUP].map((group) => ({
      group,
      streams: Array.from({ length: SHARDS }, (_, s) => positionStream(s)),
    })),
    ...EVENT_GROUPS.map((group) => ({ group, streams: [EVENTS_STREAM] })),
  ];
  const groupStats = async () => {
    const out: Sample['groups'] = {};
    for (const { group, streams } of watched) {
      out[group] = { lag: 0, pending: 0 };
      for (const stream of streams) {
        const info = await bus.groupInfo(stream, group);
        out[group].lag += info.lag ?? 0;
        out[group].pending += info.pending;
      }
    }
    return out;
  };

  // Probe events: read on a group of our own, timed on arrival.
  await bus.ensureGroup(EVENTS_STREAM, 'soak');
  const probeSentAt = new Map<string, number>();
  const lags: { at: number; ms: number }[] = [];
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const entries = await bus.read(EVENTS_STREAM, 'soak', 'soak', { count: 1000, blockMs: 200 });
      const now = Date.now();
      for (const e of entries) {
        const sentAt = probeSentAt.get(e.fields.correlation_id ?? '');
        if (sentAt === undefined || !e.fields.type?.startsWith('geofence.')) continue;
        probeSentAt.delete(e.fields.correlation_id!);
        lags.push({ at: now, ms: now - sentAt });
      }
      if (entries.length)
        await bus.ack(
          EVENTS_STREAM,
          'soak',
          entries.map((e) => e.id),
        );
    }
  })();

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(webhookUrl);
  const nextFleet = fleetFixes();
  const nextProbe = probeFixes();
  const tally = { sent: 0, acknowledged: 0, failed: 0, requests: 0, probes: 0 };
  /** Items the webhook answered 202 for but rejected, by its reason (they are never stored, by design). */
  const rejectedBy = new Map<string, number>();
  const post = (n: number): Promise<void> => {
    const items: unknown[] = [];
    const probe = n % PROBE_EVERY === 0;
    if (probe) items.push(nextProbe());
    while (items.length < BATCH) items.push(nextFleet());
    const body = JSON.stringify(items);
    const requestId = `soak-${n}`;
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      'x-watchtower-timestamp': ts,
      'x-watchtower-signature': `v1=${createHmac('sha256', SECRET).update(`${ts}.`).update(body).digest('hex')}`,
    };
    tally.sent += items.length;
    tally.requests++;
    if (probe) {
      tally.probes++;
      probeSentAt.set(requestId, Date.now());
    }
    return new Promise((resolve) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers, agent },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            if (res.statusCode === 202) {
              const answer = JSON.parse(text) as { accepted: number; rejected: { reason: string }[] };
              tally.acknowledged += answer.accepted;
              for (const r of answer.rejected) {
                const reason = r.reason.split(', got')[0]!;
                rejectedBy.set(reason, (rejectedBy.get(reason) ?? 0) + 1);
              }
            } else tally.failed++;
            resolve();
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
      req.on('error', () => {
        tally.failed++;
        resolve();
      });
      req.end(body);
    });
  };

  const samples: Sample[] = [];
  const started = Date.now();
  let phase: Sample['phase'] = 'load';
  const sample = async () => {
    const t = (Date.now() - started) / 1000;
    const since = Date.now() - SAMPLE_MS;
    const window = lags.filter((l) => l.at >= since).map((l) => l.ms);
    const s: Sample = {
      t,
      phase,
      rssMb: Object.fromEntries(
        await Promise.all(processes.map(async (p) => [p.name, await rssMb(p.pid)] as const)),
      ),
      groups: await groupStats(),
      acknowledged: tally.acknowledged,
      lagP99: window.length ? percentile(window, 99) : undefined,
    };
    samples.push(s);
    const pending = Object.values(s.groups).reduce((n, g) => n + g.pending, 0);
    const lag = Object.values(s.groups).reduce((n, g) => n + g.lag, 0);
    console.error(
      `  ${t.toFixed(0).padStart(5)} s ${s.phase}: rss ${Object.values(s.rssMb)
        .map((m) => m.toFixed(0))
        .join(
          '+',
        )} MB, lag ${lag}, pending ${pending}, acknowledged ${tally.acknowledged}, event lag p99 ${s.lagP99 ?? '-'} ms`,
    );
  };
  await sample();
  const sampler = setInterval(() => void sample(), SAMPLE_MS);

  // Paced: RATE / BATCH requests a second, on schedule; a slow server shows as in-flight requests, then as
  // a lower achieved rate once MAX_IN_FLIGHT are waiting.
  const interval = (1000 * BATCH) / RATE;
  const inFlight = new Set<Promise<void>>();
  let due = performance.now();
  const loadEnds = due + DURATION_MS;
  for (let n = 0; performance.now() < loadEnds; n++) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const p = post(n).then(() => void inFlight.delete(p));
    inFlight.add(p);
    due += interval;
  }
  await Promise.all(inFlight);
  const loadS = (Date.now() - started) / 1000;
  const atLoadEnd = await groupStats();
  phase = 'drain';

  // Drain: every acknowledged fix stored and every group caught up (or give up after a while, and say so).
  const countStored = async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const [row] = await sql`select count(*)::int as n from vehicle_positions`;
    await sql.end();
    return row!.n as number;
  };
  const drainDeadline = Date.now() + Math.max(120_000, DURATION_MS);
  let stored = 0;
  for (;;) {
    stored = await countStored();
    const groups = await groupStats();
    const backlog = Object.values(groups).reduce((n, g) => n + g.lag + g.pending, 0);
    if ((stored >= tally.acknowledged && backlog === 0) || Date.now() > drainDeadline) break;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const drainS = (Date.now() - started) / 1000 - loadS;
  clearInterval(sampler);
  await sample();
  reading = false;
  await reader;
  await bus.close();
  agent.destroy();
  await Promise.all(processes.map((p) => p.stop()));

  // RSS trend under load, past the first minute (JIT, pools and caches warming) when the run is long enough.
  const loadSamples = samples.filter((s) => s.phase === 'load');
  const warm = loadSamples.filter((s) => s.t >= (loadS >= 180 ? 60 : 0));
  const totalRss = (s: Sample) => Object.values(s.rssMb).reduce((a, b) => a + b, 0);
  const pendingOf = (g: Sample['groups']) => Object.values(g).reduce((n, x) => n + x.pending, 0);
  const allLags = lags.map((l) => l.ms);
  const figures = {
    rss_start_mb: Number(totalRss(loadSamples[0]!).toFixed(1)),
    rss_end_mb: Number(totalRss(loadSamples.at(-1)!).toFixed(1)),
    rss_slope_mb_per_min: Number(
      (
        slope(
          warm.map((s) => s.t / 60),
          warm.map(totalRss),
        ) || 0
      ).toFixed(2),
    ),
    lag_p99_ms: Math.round(percentile(allLags, 99)),
    pending_max: Math.max(...samples.map((s) => pendingOf(s.groups))),
    pending_end: pendingOf(atLoadEnd),
    sent: tally.sent,
    acknowledged: tally.acknowledged,
    stored,
    failed_requests: tally.failed,
    rejected_items: Object.fromEntries(rejectedBy),
    duration_s: Number(loadS.toFixed(1)),
    rate: Math.round(tally.acknowledged / loadS),
    lag_p50_ms: Math.round(percentile(allLags, 50)),
    lag_events: allLags.length,
    probes: tally.probes,
    drain_s: Number(drainS.toFixed(1)),
    target_rate: RATE,
    trucks: TRUCKS,
    geofences: GEOFENCES,
    batch: BATCH,
  };

  console.log('');
  const groupNames = watched.map((w) => w.group);
  console.log(
    [
      '    t s  phase ',
      ...processes.map((p) => `${`rss ${p.name}`.padStart(14)}`),
      ...groupNames.map((g) => `${g} lag/pending`.padStart(32)),
      '  acknowledged',
      '  lag p99 ms',
    ].join(''),
  );
  for (const s of samples) {
    console.log(
      [
        s.t.toFixed(0).padStart(7),
        `  ${s.phase.padEnd(6)}`,
        ...processes.map((p) => `${s.rssMb[p.name]!.toFixed(1)} MB`.padStart(14)),
        ...groupNames.map((g) => `${s.groups[g]!.lag}/${s.groups[g]!.pending}`.padStart(32)),
        String(s.acknowledged).padStart(14),
        String(s.lagP99 ?? '-').padStart(12),
      ].join(''),
    );
  }
  console.log(
    `sent ${figures.sent}, acknowledged ${figures.acknowledged}, stored ${figures.stored}, failed requests ${figures.failed_requests}; ` +
      `${figures.rate} positions/s over ${figures.duration_s} s (target ${RATE}); drained in ${figures.drain_s} s; ` +
      `webhook → event p50 ${figures.lag_p50_ms} ms, p99 ${figures.lag_p99_ms} ms over ${figures.lag_events} of ${figures.probes} probes`,
  );
  console.log(JSON.stringify(figures));
}

await main();
process.exit(0);
