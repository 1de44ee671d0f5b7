import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertGeofence } from '../../src/db/geofences.ts';
import { GeofenceCatalog } from '../../src/ingest/geofence-catalog.ts';
import { createTestDb, holdTransaction, type TestDb } from '../support/db.ts';
import { until } from '../support/wait.ts';

const circle = (lat: number) => ({ kind: 'circle' as const, center: { lat, lng: 3.4 }, radiusM: 100 });
const add = (db: TestDb, name: string, lat: number) =>
  insertGeofence(db.sql, {
    name,
    type: 'checkpoint',
    shape: circle(lat),
    minDwellS: null,
    exitMarginM: null,
  });

/** Settles within `ms`, or reports that it had not. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p.then(() => 'settled' as const),
    new Promise<'waiting'>((r) => setTimeout(r, ms, 'waiting')),
  ]);

describe('the geofence catalog the watchers place fixes with', () => {
  let db: TestDb;
  let locker: postgres.Sql;
  beforeAll(async () => {
    db = await createTestDb();
    locker = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await locker?.end({ timeout: 1 });
    await db?.drop();
  });

  /** Holds the geofences table so that no check can read it until released. */
  const holdGeofences = () =>
    holdTransaction(locker, (tx) => tx`lock table geofences in access exclusive mode`);

  it('answers with the catalog in hand while a due check runs, and picks up a change once it has', async () => {
    await add(db, 'Apapa gate', 6.44);
    const catalog = new GeofenceCatalog(db.sql, 0); // every call is due for a check
    const first = await catalog.current();
    expect([...first.byId.values()].map((g) => g.name)).toEqual(['Apapa gate']);

    const lock = await holdGeofences();
    try {
      // The check is stuck behind the lock; the watcher is not.
      const during = catalog.current();
      expect(await within(during, 2_000)).toBe('settled');
      expect(await during).toBe(first);
    } finally {
      await lock.release();
    }
    await add(db, 'Tin Can gate', 6.43);
    const names = await until('the new geofence in the catalog', async () => {
      const n = [...(await catalog.current()).byId.values()].map((g) => g.name).sort();
      return n.length === 2 ? n : undefined;
    });
    expect(names).toEqual(['Apapa gate', 'Tin Can gate']);
  });

  it('waits for a fresh check after invalidate()', async () => {
    const catalog = new GeofenceCatalog(db.sql, 60_000);
    await catalog.current();
    await add(db, 'Client site', 6.5);
    catalog.invalidate();
    const lock = await holdGeofences();
    let after: ReturnType<GeofenceCatalog['current']>;
    try {
      after = catalog.current();
      expect(await within(after, 300)).toBe('waiting');
    } finally {
      await lock.release();
    }
    expect([...(await after).byId.values()].map((g) => g.name)).toContain('Client site');
  });
});
