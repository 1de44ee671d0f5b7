import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listPositionPartitions } from '../../src/db/partitions.ts';
import { ensurePositionPartitions, insertPositions } from '../../src/db/positions.ts';
import { insertTruck } from '../../src/db/trucks.ts';
import { runRetention } from '../../src/jobs/retention.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { jobDeps } from './deps.ts';

// 180 days before 2030-01-10 is 2029-07-14: that day's partition is the oldest kept.
const NOW = new Date('2030-01-10T02:30:00Z');

let testDb: TestDb;
let truckId: string;

// Each test gets its own database: partitions are schema, not rows, so truncating cannot reset them.
beforeEach(async () => {
  testDb = await createTestDb();
  truckId = (await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' })).id;
});
afterEach(async () => {
  await testDb.drop();
});

const fixAt = (iso: string) =>
  insertPositions(testDb.sql, [
    { truckId, fixTime: new Date(iso), lat: 6.45, lng: 3.39, speedKmh: 0, headingDeg: 0, ignition: true },
  ]);
const days = async () => (await listPositionPartitions(testDb.sql)).map((p) => p.day);
const run = (env: Record<string, string> = {}) =>
  runRetention(jobDeps(testDb.sql, { now: () => NOW, env }).deps);

describe('positions retention', () => {
  it('makes today and the next seven days, drops days past the window, keeps the rest', async () => {
    await ensurePositionPartitions(testDb.sql, '2029-07-12', 4);
    await fixAt('2029-07-12T10:00:00Z');
    await fixAt('2029-07-14T10:00:00Z');

    const result = await run();
    expect(result.summary).toMatch(
      /^created 8 partition\(s\) \(2030-01-10, .*, 2030-01-17\), dropped \d+ \(.*2029-07-12, 2029-07-13\) older than 180 days, deleted 0 expired fix\(es\) from the default partition$/,
    );
    const after = await days();
    expect(after[0]).toBe('2029-07-14');
    expect(after).toEqual(expect.arrayContaining(['2029-07-15', '2030-01-10', '2030-01-17']));
    const [{ n }] = (await testDb.sql`select count(*)::int as n from vehicle_positions`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(1);
  });

  it('does nothing more on a second run the same day', async () => {
    await run();
    const before = await days();
    const again = await run();
    expect(again.summary).toBe(
      'created 0 partition(s), dropped 0 older than 180 days, deleted 0 expired fix(es) from the default partition',
    );
    expect(await days()).toEqual(before);
  });

  it('deletes expired fixes that landed in the default partition', async () => {
    await fixAt('2029-01-01T00:00:00Z');
    const result = await run({ POSITIONS_RETENTION_DAYS: '30' });
    expect(result.summary).toMatch(/older than 30 days, deleted 1 expired fix\(es\)/);
    const [{ n }] =
      (await testDb.sql`select count(*)::int as n from vehicle_positions_default`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(0);
  });

  it('says which day could not get a partition and still makes the others', async () => {
    // A fix for a day with no partition yet sits in the default one, and PostgreSQL refuses that day's partition.
    await fixAt('2030-01-13T08:00:00Z');
    await expect(run()).rejects.toThrow(/could not create the partition for 2030-01-13: .*default partition/);
    const after = await days();
    expect(after).toContain('2030-01-12');
    expect(after).toContain('2030-01-14');
    expect(after).not.toContain('2030-01-13');
  });
});
