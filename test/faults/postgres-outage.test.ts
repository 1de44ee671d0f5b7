import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connect, type Sql } from '../../src/db/client.ts';
import { WRITER_GROUP } from '../../src/ingest/index.ts';
import { positionStream } from '../../src/ingest/streams.ts';
import { createLogger } from '../../src/log.ts';
import { startSender, storedFixes } from '../support/intake.ts';
import { WEBHOOK_SECRET } from '../support/loconav.ts';
import { type OwnPostgres, startOwnPostgres } from '../support/postgres.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const SHARDS = 4;

// This test fails on postgres@3.4.9, and rightly: when the server dies and restarts under load the driver
// (1) throws an uncaught TypeError from nextWrite on a closed socket, which kills the process
// (porsager/postgres#1154, #1208), and (2) leaves queries queued on a connection that met the restarting
// server hanging forever, so the writers never resume (porsager/postgres#1193, PR #1214).

describe('fault: PostgreSQL stopped mid-stream', () => {
  let pg: OwnPostgres;
  let sql: Sql;
  let wt: WatchTower;

  beforeAll(async () => {
    pg = await startOwnPostgres();
    const config = loadConfig({
      DATABASE_URL: pg.url,
      REDIS_URL: testRedisUrl(),
      PORT: '0',
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WATCHTOWER_ROLES: 'webhook,consumers',
      INGEST_SHARDS: String(SHARDS),
      WATCHTOWER_SIMULATOR: 'off',
      // Nothing of ours runs this long: a transaction in flight for 10 s is a stuck pool, replaced.
      DATABASE_STUCK_AFTER_MS: '10000',
    });
    wt = await startWatchTower(config, {
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      busPrefix: uniquePrefix(),
      tuning: { consumer: { blockMs: 50 }, relayIdleMs: 20 },
    });
    sql = connect(pg.url, 2);
  }, 120_000);

  afterAll(async () => {
    await pg?.start().catch(() => undefined); // a failed run may have left it down, and stopping needs it
    await wt?.stop();
    await sql?.end({ timeout: 1 });
    await pg?.dispose();
  });

  const backlog = async () => {
    let n = 0;
    for (let s = 0; s < SHARDS; s++) {
      const info = await wt.bus.groupInfo(positionStream(s), WRITER_GROUP);
      n += info.pending + (info.lag ?? 0);
    }
    return n;
  };

  it('lets the consumers back off and resume: every acknowledged fix stored once, no effect twice', async () => {
    const sender = startSender({ baseUrl: wt.url!, secret: WEBHOOK_SECRET, concurrency: 4 });
    try {
      await sender.answered(40);
      await until('fixes flowing into the database', async () => (await storedFixes(sql)).size > 0);
      await pg.stop('immediate');
      // The webhook needs only Redis: intake goes on while the writers cannot write.
      await sender.answered(100);
      await until('a backlog in the stream while the database is down', async () => (await backlog()) > 0);
      await pg.start();
      await sender.answered(40);
    } finally {
      await sender.stop();
    }
    const { ledger } = sender;
    expect(ledger.refused).toEqual(new Map());
    expect(ledger.acknowledged).toBe(ledger.requests);
    expect(ledger.acknowledgedFixes.size).toBe(ledger.fixesSent);

    const stored = await until(
      'every acknowledged fix stored',
      async () => {
        const s = await storedFixes(sql);
        return s.size >= ledger.acknowledgedFixes.size ? s : undefined;
      },
      60_000,
    );
    expect(stored.size).toBe(ledger.acknowledgedFixes.size);
    expect([...ledger.acknowledgedFixes].filter((k) => !stored.has(k))).toEqual([]);
    await until('the stream backlog cleared', async () => (await backlog()) === 0);

    // Nothing given up on, and no effect written twice: each new truck registered once, and each truck's
    // current location is its newest fix (a retried batch never moved it back).
    for (let s = 0; s < SHARDS; s++) expect(await wt.bus.length(`${positionStream(s)}:dead`)).toBe(0);
    const registered = await sql`
      select entity_id, count(*)::int as n from events where type = 'truck.registered' group by entity_id`;
    expect(registered).toHaveLength(20);
    expect(registered.every((r) => r.n === 1)).toBe(true);
    const rewound = await sql`
      select t.truck_number from trucks t
      where t.last_fix_at is distinct from (select max(fix_time) from vehicle_positions p where p.truck_id = t.id)`;
    expect(rewound).toEqual([]);
  }, 180_000);
});
