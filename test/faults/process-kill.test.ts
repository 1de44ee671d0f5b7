import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBus } from '../../src/bus/redis.ts';
import { WRITER_GROUP } from '../../src/ingest/index.ts';
import { positionStream } from '../../src/ingest/streams.ts';
import { createTestDb, type HeldTransaction, holdTransaction, type TestDb } from '../support/db.ts';
import { startSender, storedFixes } from '../support/intake.ts';
import { WEBHOOK_SECRET } from '../support/loconav.ts';
import { logged, type MainProcess, startMain } from '../support/main-process.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const STREAM = positionStream(0);

describe('fault: the process killed (SIGKILL) mid-batch', () => {
  let db: TestDb;
  let bus: RedisBus;
  const prefix = uniquePrefix();
  const runs: MainProcess[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    bus = await RedisBus.connect({ url: testRedisUrl(), prefix });
  });
  afterAll(async () => {
    for (const run of runs) run.child.kill('SIGKILL');
    await bus?.close();
    await db?.drop();
  });

  const start = () => {
    const run = startMain({
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      PORT: '0',
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WATCHTOWER_ROLES: 'webhook,consumers',
      INGEST_SHARDS: '1',
      WATCHTOWER_SIMULATOR: 'off',
      LOG_LEVEL: 'info',
    });
    runs.push(run);
    return run;
  };

  it('leaves the batch in hand pending, and the next process reclaims it: acknowledged = stored', async () => {
    const first = start();
    const url = await first.url;

    const locker = postgres(db.url, { max: 1, onnotice: () => {} });
    let lock: HeldTransaction | undefined;
    try {
      // Hold the position table so the writer's batch stops inside its transaction: delivered, not
      // acknowledged. Sent only once the lock is held: a batch committed before it would be stored already.
      lock = await holdTransaction(locker, (tx) => tx`lock table vehicle_positions in share mode`);
      const sender = startSender({ baseUrl: url, secret: WEBHOOK_SECRET, concurrency: 2 });
      await sender.answered(30);
      await sender.stop();
      expect(sender.ledger.refused).toEqual(new Map());
      await until('the writer blocked mid-batch', async () => {
        const [row] = await db.sql`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query ilike '%vehicle_positions%'`;
        return row!.n > 0;
      });
      const pendingBefore = (await bus.groupInfo(STREAM, WRITER_GROUP)).pending;
      expect(pendingBefore).toBeGreaterThan(0);

      first.child.kill('SIGKILL');
      await first.exit;
      await lock.release();

      // The killed process's transaction never committed: nothing of the batch in hand is stored.
      expect((await storedFixes(db.sql)).size).toBe(0);
      expect((await bus.groupInfo(STREAM, WRITER_GROUP)).pending).toBe(pendingBefore);

      const second = start();
      await second.url;
      const stored = await until(
        'every acknowledged fix stored by the next process',
        async () => {
          const s = await storedFixes(db.sql);
          return s.size >= sender.ledger.acknowledgedFixes.size ? s : undefined;
        },
        60_000,
      );
      expect(sender.ledger.acknowledged).toBe(sender.ledger.requests);
      expect(stored.size).toBe(sender.ledger.acknowledgedFixes.size);
      expect([...sender.ledger.acknowledgedFixes].filter((k) => !stored.has(k))).toEqual([]);
      await until(
        'no entry left pending',
        async () => (await bus.groupInfo(STREAM, WRITER_GROUP)).pending === 0,
      );
      expect(await bus.length(`${STREAM}:dead`)).toBe(0);
      const reclaimed = logged(second, 'reclaimed stale entries').filter((e) => e.group === WRITER_GROUP);
      expect(reclaimed.reduce((n, e) => n + Number(e.count), 0)).toBeGreaterThanOrEqual(pendingBefore);

      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
    } finally {
      await lock?.release().catch(() => undefined);
      await locker.end({ timeout: 1 });
    }
  }, 120_000);
});
