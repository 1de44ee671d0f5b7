import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../src/fleet/actor.ts';
import { createGeofence } from '../src/fleet/geofences.ts';
import { createTruck } from '../src/fleet/trucks.ts';
import { WATCHER_GROUP, WRITER_GROUP } from '../src/ingest/index.ts';
import { EVENTS_STREAM, positionStream, shardOf, truckKeyOf } from '../src/ingest/streams.ts';
import { WEBHOOK_PATH } from '../src/ingest/webhook.ts';
import { blockText } from './bot/harness.ts';
import { createTestDb, holdTransaction, type TestDb } from './support/db.ts';
import { type FakeSlack, startFakeSlack } from './support/fake-slack.ts';
import { type LiveLocation, liveLocation, signedHeaders, WEBHOOK_SECRET } from './support/loconav.ts';
import { testRedisUrl, uniquePrefix } from './support/redis.ts';
import { until } from './support/wait.ts';
import { metricValue, startWatchTowerProcess, type WatchTowerProcess } from './support/watchtower-process.ts';

// Two real Watch Tower processes (src/main.ts, every role) on one PostgreSQL and one Redis, both connected to
// one fake Slack over Socket Mode: the position shards split between them, every fix posted to either
// webhook stored once, each alert posted once, each cron slot run once, and a replica SIGKILLed with
// positions in hand → the other takes over its shards and stores them. Counted throughout: sent,
// acknowledged (202'd) and stored.

const SHARDS = 4;
const ALERTS = 'C0ALERTS01';
const FLEET = 24;
const APAPA = { lat: 6.45, lng: 3.36 };
const seeder = systemActor('test-seed');

interface Truck {
  number: string;
  imei: string;
  shard: number;
}

const truck = (number: string, imei: string): Truck => ({
  number,
  imei,
  shard: shardOf(truckKeyOf({ vehicleNumber: number }), SHARDS),
});

/** Plates that fall on the shards given, one per shard, so every replica's watcher has a crossing to report. */
function platesOnEveryShard(prefix: string, perShard: number): Truck[] {
  const out: Truck[] = [];
  for (let i = 0; out.length < SHARDS * perShard; i++) {
    const t = truck(`${prefix}-${String(i).padStart(3, '0')}`, String(350000000000000 + i));
    if (out.filter((o) => o.shard === t.shard).length < perShard) out.push(t);
  }
  return out;
}

describe('two Watch Tower replicas on one PostgreSQL and one Redis', () => {
  let db: TestDb;
  let fake: FakeSlack;
  let redis: Redis;
  let a: WatchTowerProcess;
  let b: WatchTowerProcess;
  const prefix = uniquePrefix();
  const fleet = Array.from({ length: FLEET }, (_, i) =>
    truck(`RPL-${String(i).padStart(3, '0')}`, String(360000000000000 + i)),
  );
  const crossers = platesOnEveryShard('ALR', 2);
  // Fix times in the past, 10 s apart per truck, so none is "in the future" and each is new.
  const base = Math.floor(Date.now() / 1000) * 1000 - 20 * 60_000;
  const tally = { sent: 0, acknowledged: 0 };
  let next = 0;

  /** Posts to the replicas' webhooks in turn; every request must be answered 202. */
  async function post(items: LiveLocation[]) {
    const target = [a, b][next++ % 2]!;
    const body = JSON.stringify(items);
    const res = await fetch(`${await target.up}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: signedHeaders(WEBHOOK_SECRET, body),
      body,
    });
    tally.sent += items.length;
    const answer = (await res.json()) as { accepted: number; rejected: unknown[] };
    expect(res.status, JSON.stringify(answer)).toBe(202);
    expect(answer.rejected).toEqual([]);
    tally.acknowledged += answer.accepted;
  }

  /** Round `r` of the fleet: each truck about 60 m further east than the round before. */
  const round = (trucks: Truck[], r: number) =>
    trucks.map((t, i) =>
      liveLocation(
        { imei: t.imei, number: t.number },
        new Date(base + r * 10_000),
        6.6 + i * 0.002,
        3.3 + r * 0.0005,
      ),
    );

  const stored = async () => (await db.sql`select count(*)::int as n from vehicle_positions`)[0]!.n as number;
  const leaseOwners = async () =>
    Promise.all(Array.from({ length: SHARDS }, (_, s) => redis.get(`${prefix}lease:positions:${s}`)));
  const ownerOf = (value: string | null) =>
    value?.includes(`-${a.pid}-`) ? 'a' : value?.includes(`-${b.pid}-`) ? 'b' : undefined;
  /** Entries a consumer group has not yet acknowledged or not yet read, over the streams given. */
  const backlog = async (streams: string[], group: string) => {
    let total = 0;
    for (const stream of streams) {
      const groups = (await redis.xinfo('GROUPS', `${prefix}${stream}`).catch(() => [])) as unknown[][];
      for (const g of groups) {
        const info = Object.fromEntries(
          Array.from({ length: g.length / 2 }, (_, i) => [String(g[2 * i]), g[2 * i + 1]]),
        );
        if (info.name === group) total += Number(info.pending) + Number(info.lag ?? 0);
      }
    }
    return total;
  };
  /** Entries of `group` on `stream` delivered to consumer `pid`'s replica and not acknowledged. */
  const pendingFor = async (stream: string, group: string, pid: number) => {
    const [, , , consumers] = (await redis.xpending(`${prefix}${stream}`, group)) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ];
    return (consumers ?? [])
      .filter(([name]) => name.includes(`-${pid}-`))
      .reduce((n, [, count]) => n + Number(count), 0);
  };
  const allStreams = Array.from({ length: SHARDS }, (_, s) => positionStream(s));

  beforeAll(async () => {
    db = await createTestDb({ poolSize: 4 });
    redis = new Redis(testRedisUrl());
    fake = await startFakeSlack({ botToken: 'xoxb-test' });
    await createGeofence(db.sql, seeder, {
      name: 'Apapa Port',
      type: 'terminal',
      boundary: { center: APAPA, radius_m: 300 },
      min_dwell_s: 0,
    });
    for (const t of [...fleet, ...crossers]) {
      await createTruck(db.sql, seeder, { truck_number: t.number, imei: t.imei });
    }
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      PORT: '0',
      LOG_LEVEL: 'info',
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      INGEST_SHARDS: String(SHARDS),
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_APP_TOKEN: 'xapp-test-token',
      SLACK_API_URL: fake.apiUrl,
      SLACK_ALERTS_CHANNEL: ALERTS,
      WATCHTOWER_SIMULATOR: 'off',
    };
    a = startWatchTowerProcess('replica a', env);
    b = startWatchTowerProcess('replica b', env);
    await Promise.all([a.up, b.up]);
  }, 120_000);

  afterAll(async () => {
    for (const p of [a, b]) {
      if (!p) continue;
      const timer = setTimeout(() => void p.kill(), 15_000);
      await p.stop();
      clearTimeout(timer);
    }
    redis?.disconnect();
    await fake?.close();
    await db?.drop();
  });

  it('connects both to Slack over Socket Mode and splits the position shards between them', async () => {
    await fake.waitForConnections(2, 30_000);
    // Fails on timeout unless every shard has an owner and each replica holds its fair share.
    await until(
      'the replicas to own half the shards each',
      async () => {
        const o = (await leaseOwners()).map(ownerOf);
        const half = (r: string) => o.filter((x) => x === r).length === SHARDS / 2;
        return half('a') && half('b');
      },
      45_000,
    );
    // Every shard carries some of the fleet, so whichever shards the victim holds later, it has work in hand.
    expect(new Set(fleet.map((t) => t.shard)).size).toBe(SHARDS);
  }, 60_000);

  it('stores every fix posted to either webhook once, each replica storing its own shards', async () => {
    for (let r = 0; r < 10; r++) {
      const items = round(fleet, r);
      await post(items.slice(0, FLEET / 2));
      await post(items.slice(FLEET / 2));
    }

    await until('every acknowledged fix to be stored', async () => (await stored()) === tally.acknowledged);
    expect(tally.acknowledged).toBe(tally.sent);
    const [onA, onB] = await Promise.all(
      [a, b].map(async (p) =>
        metricValue(await p.metrics(), 'watchtower_positions_total', { outcome: 'stored' }),
      ),
    );
    expect(onA).toBeGreaterThan(0);
    expect(onB).toBeGreaterThan(0);
    expect(onA! + onB!).toBe(await stored());
  });

  it('posts each geofence alert to Slack once, whichever replica saw the crossing', async () => {
    const outside = crossers.map((t) =>
      liveLocation({ imei: t.imei, number: t.number }, new Date(base), APAPA.lat + 0.02, APAPA.lng),
    );
    const inside = crossers.map((t) =>
      liveLocation({ imei: t.imei, number: t.number }, new Date(base + 120_000), APAPA.lat, APAPA.lng),
    );
    await post(outside);
    await post(inside.slice(0, crossers.length / 2));
    await post(inside.slice(crossers.length / 2));

    const entered = await until('a geofence.entered event for every crossing truck', async () => {
      const rows = await db.sql`
        select payload->>'truckNumber' as truck from events where type = 'geofence.entered'`;
      return rows.length === crossers.length && rows.map((r) => r.truck as string);
    });
    expect(entered.sort()).toEqual(crossers.map((t) => t.number).sort());
    // Every event handled by the alerts group (acknowledged only after Slack said ok): no post can follow.
    await until(
      'the slack-alerts group to have handled every event',
      async () =>
        (await backlog([EVENTS_STREAM], 'slack-alerts')) === 0 && (await stored()) === tally.acknowledged,
    );
    const lines = fake
      .messages(ALERTS)
      .flatMap((m) => blockText(m.blocks).split('\n'))
      .filter((line) => line.includes('Apapa Port') && /ALR-\d{3}/.test(line));
    for (const t of crossers) {
      expect(
        lines.filter((line) => line.includes(t.number)),
        t.number,
      ).toHaveLength(1);
    }
    expect(lines).toHaveLength(crossers.length);
  });

  it('runs each cron slot on one replica only', async () => {
    for (const p of [a, b]) expect(p.logs.some((l) => l.msg === 'scheduler started')).toBe(true);
    const runs = () =>
      [a, b].flatMap((p) =>
        p.logs
          .filter((l) => l.msg === 'job run finished')
          .map((l) => ({ replica: p.name, key: `${String(l.job)} ${String(l.slot)}` })),
      );
    // offline-watch and delay-watch run every minute: wait for the next minute's slots.
    await until(
      'a minute slot of offline-watch and delay-watch',
      () =>
        runs().some((r) => r.key.startsWith('offline-watch ')) &&
        runs().some((r) => r.key.startsWith('delay-watch ')),
      85_000,
    );
    const keys = runs().map((r) => r.key);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(keys.length);
    const recorded = await db.sql`
      select payload->>'job' as job, count(*)::int as n from events where type = 'job.run' group by 1`;
    for (const { job, n } of recorded) {
      expect(n, String(job)).toBe(keys.filter((k) => k.startsWith(`${job} `)).length);
    }
  }, 100_000);

  it('after a replica is SIGKILLed with positions in hand, the other takes its shards and stores them', async () => {
    const victimShards = (await leaseOwners()).flatMap((o, s) => (ownerOf(o) === 'b' ? [s] : []));
    expect(victimShards.length).toBeGreaterThan(0);
    const victimTrucks = fleet.filter((t) => victimShards.includes(t.shard));
    const survivorTrucks = fleet.filter((t) => !victimShards.includes(t.shard));

    // Hold the victim's trucks' rows: its position writer reads its entries (now pending on it) and then
    // waits on the lock inside its transaction, so the kill lands with a batch in hand and nothing committed.
    const holding = await holdTransaction(
      db.sql,
      (tx) =>
        tx`select id from trucks where truck_number = any(${victimTrucks.map((t) => t.number)}) for update`,
    );

    const before = tally.acknowledged;
    for (let r = 10; r < 20; r++) {
      const items = round(fleet, r);
      await post(items.slice(0, FLEET / 2));
      await post(items.slice(FLEET / 2));
    }
    const victimStreams = victimShards.map(positionStream);
    const pendingAtKill = await until('the victim to hold entries of each of its shards', async () => {
      const each = await Promise.all(victimStreams.map((s) => pendingFor(s, WRITER_GROUP, b.pid)));
      return each.every((n) => n > 0) && each.reduce((x, y) => x + y, 0);
    });
    // The survivor goes on meanwhile: its trucks' new fixes are stored.
    await until('the survivor to store its own shards', async () => {
      const [row] = await db.sql`
        select count(*)::int as n from vehicle_positions p join trucks t on t.id = p.truck_id
        where t.truck_number = any(${survivorTrucks.map((t) => t.number)})`;
      return row!.n === survivorTrucks.length * 20;
    });
    expect(await stored()).toBeLessThan(tally.acknowledged);

    await b.kill();
    expect(await b.exit).toBeNull();
    await holding.release();

    const owners = await until(
      'the survivor to own every shard',
      async () => {
        const o = (await leaseOwners()).map(ownerOf);
        return o.every((x) => x === 'a') && o;
      },
      45_000,
    );
    expect(owners).toHaveLength(SHARDS);
    await until(
      'every acknowledged fix to be stored',
      async () => (await stored()) === tally.acknowledged,
      30_000,
    );
    await until(
      'the writer and watcher groups to be drained',
      async () =>
        (await backlog(allStreams, WRITER_GROUP)) + (await backlog(allStreams, WATCHER_GROUP)) === 0,
    );

    // The victim's batch was taken over by the survivor, not lost and not redone.
    const reclaimed = a.logs
      .filter(
        (l) =>
          l.msg === 'reclaimed stale entries' &&
          l.group === WRITER_GROUP &&
          victimStreams.includes(String(l.stream)),
      )
      .reduce((n, l) => n + Number(l.count), 0);
    expect(reclaimed).toBe(pendingAtKill);
    expect(tally.acknowledged - before).toBe(FLEET * 10);
    expect(tally.acknowledged).toBe(tally.sent);
    const [counts] = await db.sql`
      select count(*)::int as rows, count(distinct (truck_id, fix_time))::int as fixes from vehicle_positions`;
    expect(counts).toEqual({ rows: tally.acknowledged, fixes: tally.acknowledged });
  }, 120_000);
});
