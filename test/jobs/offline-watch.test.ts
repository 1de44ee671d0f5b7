import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertPositions, updateCurrentLocations } from '../../src/db/positions.ts';
import { insertTruck } from '../../src/db/trucks.ts';
import { runOfflineWatch } from '../../src/jobs/offline-watch.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { jobDeps } from './deps.ts';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb({ poolSize: 6 });
});
afterAll(async () => {
  await testDb.drop();
});
beforeEach(async () => {
  await testDb.sql`truncate trucks, events cascade`;
});

const at = (iso: string) => new Date(iso);
const NOW = at('2025-03-10T09:00:00Z');

async function fix(truckId: string, fixTime: Date, lat = 6.45, lng = 3.39) {
  const row = { truckId, fixTime, lat, lng, speedKmh: 0, headingDeg: 0, ignition: false };
  await insertPositions(testDb.sql, [row]);
  await updateCurrentLocations(testDb.sql, [row]);
}

const run = (now: Date, env: Record<string, string> = {}) =>
  runOfflineWatch(jobDeps(testDb.sql, { now: () => now, env }).deps);

const events = () =>
  testDb.sql`select event_id, type, entity_id, payload from events where type like 'truck.o%line' order by id`;

describe('offline watch', () => {
  it('reports a truck silent for OFFLINE_AFTER once, however often it runs', async () => {
    const quiet = await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    const chatty = await insertTruck(testDb.sql, { truckNumber: 'KJA-2BB' });
    await fix(quiet.id, at('2025-03-10T08:20:00Z'), 6.4501, 3.3902);
    await fix(chatty.id, at('2025-03-10T08:55:00Z'));

    const first = await run(NOW);
    expect(first.summary).toBe('1 went offline (KJA-1AA), 0 back online; offline after 30 min without a fix');
    await run(new Date(NOW.getTime() + 60_000));
    await run(new Date(NOW.getTime() + 120_000));

    const rows = await events();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      type: 'truck.offline',
      entity_id: quiet.id,
      payload: {
        truckId: quiet.id,
        truckNumber: 'KJA-1AA',
        lastFixAt: '2025-03-10T08:20:00.000Z',
        lat: expect.closeTo(6.4501, 6),
        lon: expect.closeTo(3.3902, 6),
      },
    });
  });

  it('writes one alert when two replicas run the same minute', async () => {
    const trucks = await Promise.all(
      Array.from({ length: 10 }, (_, i) => insertTruck(testDb.sql, { truckNumber: `T-${i}` })),
    );
    for (const t of trucks) await fix(t.id, at('2025-03-10T07:00:00Z'));
    await Promise.all([run(NOW), run(NOW), run(NOW)]);
    expect((await events()).map((e) => e.entity_id).sort()).toEqual(trucks.map((t) => t.id).sort());
  });

  it('says "back online" once when a fresh fix arrives, then can report a new episode', async () => {
    const t = await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    await fix(t.id, at('2025-03-10T08:00:00Z'));
    await run(NOW);

    await fix(t.id, at('2025-03-10T09:04:00Z'));
    const back = await run(at('2025-03-10T09:05:00Z'));
    expect(back.summary).toContain('1 back online (KJA-1AA)');
    await run(at('2025-03-10T09:06:00Z'));

    // Quiet again: a second episode, a second alert.
    await run(at('2025-03-10T09:40:00Z'));
    const rows = await events();
    expect(rows.map((e) => e.type)).toEqual(['truck.offline', 'truck.online', 'truck.offline']);
    expect(rows[1]!.payload).toEqual({
      truckId: t.id,
      truckNumber: 'KJA-1AA',
      offlineSince: '2025-03-10T08:00:00.000Z',
      at: '2025-03-10T09:04:00.000Z',
    });
    expect(rows[2]!.payload.lastFixAt).toBe('2025-03-10T09:04:00.000Z');
  });

  it('does not call a truck back online for an old fix uploaded late', async () => {
    const t = await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    await fix(t.id, at('2025-03-10T08:00:00Z'));
    await run(NOW);
    // A buffered fix from 08:10 arrives at 09:01: newer than the last one, but still stale.
    await fix(t.id, at('2025-03-10T08:10:00Z'));
    await run(at('2025-03-10T09:01:00Z'));
    expect((await events()).map((e) => e.type)).toEqual(['truck.offline']);
  });

  it('leaves out inactive and maintenance trucks and trucks that never reported', async () => {
    const parked = await insertTruck(testDb.sql, { truckNumber: 'OLD-1', status: 'inactive' });
    const workshop = await insertTruck(testDb.sql, { truckNumber: 'FIX-1', status: 'maintenance' });
    await insertTruck(testDb.sql, { truckNumber: 'NEW-1' });
    await fix(parked.id, at('2025-03-01T08:00:00Z'));
    await fix(workshop.id, at('2025-03-01T08:00:00Z'));
    await run(NOW);
    expect(await events()).toEqual([]);
  });

  it('reads OFFLINE_AFTER from the config', async () => {
    const t = await insertTruck(testDb.sql, { truckNumber: 'KJA-1AA' });
    await fix(t.id, at('2025-03-10T08:20:00Z'));
    const summary = await run(NOW, { OFFLINE_AFTER: '1h' });
    expect(summary.summary).toBe('0 went offline, 0 back online; offline after 60 min without a fix');
    expect(await events()).toEqual([]);
  });
});
