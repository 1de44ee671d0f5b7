import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.ts';
import { startMain } from './support/main-process.ts';
import { testRedisUrl } from './support/redis.ts';

describe('the process (src/main.ts)', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('refuses to start with ONE message naming every bad setting', async () => {
    const run = startMain({ PORT: 'x', REDIS_URL: 'http://nope' });
    expect(await run.exit).toBe(1);
    const text = run.lines.join('');
    expect(text).toContain('PORT: expected a whole number');
    expect(text).toContain('REDIS_URL: expected a redis:// or rediss:// URL, got http://');
    expect(text.trim().split('\n')).toHaveLength(1);
  });

  it('starts on real PostgreSQL and Redis, then exits 0 on SIGTERM within 10 s', async () => {
    const run = startMain({ DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), PORT: '0', LOG_LEVEL: 'info' });
    const url = await run.url;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const started = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.lines.join('\n')).toContain('stopped cleanly');
  });

  it('starts with no environment on the embedded database and bus, ready within 30 s', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'wt-embedded-'));
    const started = Date.now();
    const run = startMain({ WATCHTOWER_DATA_DIR: dataDir, PORT: '0' });
    try {
      const url = await run.url;
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ database: { embedded: true }, bus: { kind: 'memory' } });
      expect(Date.now() - started).toBeLessThan(30_000);
      const log = run.lines.join('\n');
      expect(log).toContain('database: embedded PGlite + PostGIS');
      expect(log).toContain('set SLACK_BOT_TOKEN and SLACK_APP_TOKEN');
      expect(log).toContain('set OPENAI_API_KEY');
      // The Lagos demo fleet is loaded and driven through the real webhook into the embedded database.
      expect(log).toContain('demo: loaded the Lagos demo fleet');
      let stored = 0;
      const deadline = Date.now() + 30_000;
      while (stored === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        const metrics = await (await fetch(`${url}/metrics`)).text();
        stored = Number(/watchtower_positions_total\{outcome="stored"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      }
      expect(stored).toBeGreaterThan(0);
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
