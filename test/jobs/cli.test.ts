import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTruck } from '../../src/db/trucks.ts';
import { EXIT, runJobCli } from '../../src/jobs/cli.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(async () => {
  await testDb.drop();
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

const env = () => ({
  DATABASE_URL: testDb.url,
  REDIS_URL: testRedisUrl(),
  REDIS_PREFIX: uniquePrefix(),
  LOG_LEVEL: 'silent',
  WATCHTOWER_SIMULATOR: 'off',
});

describe('npm run job', () => {
  it('runs one job now and records the run', async () => {
    const t = await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    await testDb.sql`update trucks set last_fix_at = now() - interval '2 hours' where id = ${t.id}`;
    const { out, err, io: cli } = io();
    const code = await runJobCli(['offline-watch'], env(), cli);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(out[0]).toMatch(/^offline-watch ok in \d+ ms: 1 went offline \(KJA-1AA\), 0 back online/);
    const [run] = await testDb.sql`select payload from events where type = 'job.run'`;
    expect(run!.payload).toMatchObject({ job: 'offline-watch', outcome: 'ok', trigger: 'manual' });
    expect(await testDb.sql`select 1 from events where type = 'truck.offline'`).toHaveLength(1);
  });

  it('lists the job names when given one it does not know', async () => {
    const { err, io: cli } = io();
    expect(await runJobCli(['sheet-sync'], env(), cli)).toBe(EXIT.usage);
    expect(err).toEqual([
      'unknown job "sheet-sync": expected one of sheets-sync, daily-report, offline-watch, delay-watch, retention',
    ]);
  });

  it('says what a job needs when its config turns it off', async () => {
    const { err, io: cli } = io();
    expect(await runJobCli(['sheets-sync'], env(), cli)).toBe(EXIT.usage);
    expect(err).toEqual([
      'sheets-sync cannot run: roster sync is off: set GOOGLE_SHEETS_ID and GOOGLE_APPLICATION_CREDENTIALS',
    ]);
  });

  it('exits 2 with the usage line from the command line', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const run = promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['src/jobs/cli.ts'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr:
        'usage: npm run job -- <name>, where <name> is one of sheets-sync, daily-report, offline-watch, delay-watch, retention\n',
    });
  });
});
