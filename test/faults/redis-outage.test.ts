import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { spoolDepth } from '../../src/db/spool.ts';
import { WEBHOOK_PATH } from '../../src/ingest/webhook.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startSender, storedFixes } from '../support/intake.ts';
import { liveLocation, signedHeaders, WEBHOOK_SECRET } from '../support/loconav.ts';
import { type OwnRedis, startOwnRedis, uniquePrefix } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const metricValue = async (wt: WatchTower, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await wt.metrics.registry.metrics())?.[1] ?? Number.NaN);

const probe = { imei: '0868999000000001', number: 'PRB-001' };

describe('fault: Redis stopped mid-ingest', () => {
  let redis: OwnRedis;
  let db: TestDb;
  let wt: WatchTower;

  beforeAll(async () => {
    // Persistent like production: what Redis acknowledged before it died is there when it comes back.
    redis = await startOwnRedis({ persistent: true });
    db = await createTestDb();
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      PORT: '0',
      LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WATCHTOWER_ROLES: 'webhook,consumers',
      INGEST_SHARDS: '4',
      WATCHTOWER_SIMULATOR: 'off',
    });
    wt = await startWatchTower(config, {
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      busPrefix: uniquePrefix(),
      tuning: { consumer: { blockMs: 50 }, relayIdleMs: 20, leaseTtlMs: 3_000 },
    });
  }, 60_000);

  afterAll(async () => {
    await redis?.start(); // a failed run may have left it down, and stopping needs it
    await wt?.stop();
    await db?.drop();
    await redis?.dispose();
  });

  it('keeps taking requests through the spool, acknowledges only what it kept, and stores it all once Redis is back', async () => {
    const sender = startSender({ baseUrl: wt.url!, secret: WEBHOOK_SECRET, concurrency: 4 });
    try {
      await sender.answered(40);
      await redis.stop();
      // Requests in flight when it died, and those after, while it stays down.
      await sender.answered(150);
      await until('requests kept in the spool', async () => (await spoolDepth(db.sql)) > 0);
      await redis.start();
      await sender.answered(60);
    } finally {
      await sender.stop();
    }
    const { ledger } = sender;

    // PostgreSQL was up throughout: every request was taken, by the stream or by the spool.
    expect(ledger.refused).toEqual(new Map());
    expect(ledger.acknowledged).toBe(ledger.requests);
    expect(await metricValue(wt, 'watchtower_webhook_spooled_total')).toBeGreaterThan(0);

    // Acknowledged = stored, fix for fix.
    const stored = await until(
      'every acknowledged fix stored',
      async () => {
        const s = await storedFixes(db.sql);
        return s.size >= ledger.acknowledgedFixes.size ? s : undefined;
      },
      60_000,
    );
    expect(stored.size).toBe(ledger.acknowledgedFixes.size);
    expect([...ledger.acknowledgedFixes].filter((k) => !stored.has(k))).toEqual([]);
    expect(ledger.acknowledgedFixes.size).toBe(ledger.fixesSent);

    expect(await spoolDepth(db.sql)).toBe(0);
    for (let shard = 0; shard < 4; shard++) expect(await wt.bus.length(`positions.${shard}:dead`)).toBe(0);
    // Back on the fast path once the spool drained: a request goes straight to the stream again.
    let n = 0;
    await until('a request that skips the spool', async () => {
      const spooled = await metricValue(wt, 'watchtower_webhook_spooled_total');
      const body = JSON.stringify(
        liveLocation(probe, new Date(Date.now() - 60_000 + ++n * 1000), 6.5, 3.4, 0),
      );
      const res = await fetch(`${wt.url}${WEBHOOK_PATH}`, {
        method: 'POST',
        body,
        headers: signedHeaders(WEBHOOK_SECRET, body),
      });
      expect(res.status).toBe(202);
      return (await metricValue(wt, 'watchtower_webhook_spooled_total')) === spooled;
    });
  }, 120_000);
});
