import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getTruck,
  insertTruck,
  normalizeTruckNumber,
  registerUnknownTrucks,
  resolveTrucks,
} from '../../src/db/trucks.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

describe('truck resolution for ingest', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await createTestDb({ poolSize: 6 });
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it('normalises truck numbers to upper case without spaces', () => {
    expect(normalizeTruckNumber(' kja 123\txy ')).toBe('KJA123XY');
  });

  it('resolves a batch by IMEI or number, aligned with the keys, preferring the IMEI', async () => {
    const a = await insertTruck(testDb.sql, { truckNumber: 'KJA-100AA', imei: '0356000000000001' });
    const b = await insertTruck(testDb.sql, { truckNumber: 'KJA-200BB' });
    const found = await resolveTrucks(testDb.sql, [
      { imei: '0356000000000001' },
      { vehicleNumber: 'kja-200bb' },
      { imei: '999', vehicleNumber: 'NOPE-1' },
      // The device says A while the number says B: the device is what is reporting.
      { imei: '0356000000000001', vehicleNumber: 'KJA-200BB' },
      {},
    ]);
    expect(found).toEqual([
      { id: a.id, truckNumber: 'KJA-100AA', imei: '0356000000000001' },
      { id: b.id, truckNumber: 'KJA-200BB', imei: null },
      undefined,
      { id: a.id, truckNumber: 'KJA-100AA', imei: '0356000000000001' },
      undefined,
    ]);
    expect(await resolveTrucks(testDb.sql, [])).toEqual([]);
  });

  it('registers each unknown vehicle once, as unassigned, even when two batches race', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => ({
      imei: `0861${String(i).padStart(11, '0')}`,
      vehicleNumber: `new ${i}`,
    }));
    // The same vehicles in another order and with a duplicate, as a second consumer would see them.
    const other = [...batch].reverse().concat(batch[0]!);
    const [first, second] = await Promise.all([
      registerUnknownTrucks(testDb.sql, batch, { actor: 'system:ingest', correlationId: 'c1' }),
      registerUnknownTrucks(testDb.sql, other, { actor: 'system:ingest', correlationId: 'c2' }),
    ]);
    const reported = [...first, ...second].map((t) => t.truckNumber).sort();
    expect(reported).toEqual(batch.map((v) => normalizeTruckNumber(v.vehicleNumber)).sort());

    const again = await registerUnknownTrucks(testDb.sql, batch, { actor: 'system:ingest' });
    expect(again).toEqual([]);

    const [stats] = await testDb.sql`
      select count(*)::int as n, count(*) filter (where status = 'unassigned')::int as unassigned
      from trucks where truck_number like 'NEW%'`;
    expect(stats).toEqual({ n: 40, unassigned: 40 });
    const [events] = await testDb.sql`
      select count(*)::int as n, count(distinct entity_id)::int as trucks from events
      where type = 'truck.registered' and actor = 'system:ingest'`;
    expect(events).toEqual({ n: 40, trucks: 40 });
    const resolved = await resolveTrucks(testDb.sql, batch);
    expect(resolved.every((t) => t !== undefined)).toBe(true);
  });

  it('registers a vehicle with no number under its IMEI and skips one with neither', async () => {
    const made = await registerUnknownTrucks(
      testDb.sql,
      [{ imei: '0777000000000001' }, { imei: ' ', vehicleNumber: '' }],
      {
        actor: 'system:ingest',
      },
    );
    expect(made.map((t) => [t.truckNumber, t.imei])).toEqual([['IMEI-0777000000000001', '0777000000000001']]);
    expect((await getTruck(testDb.sql, 'imei-0777000000000001'))?.status).toBe('unassigned');
  });

  it('skips a vehicle whose IMEI is already on a registered truck under another number', async () => {
    await insertTruck(testDb.sql, { truckNumber: 'OLD-1', imei: '0555000000000001' });
    const made = await registerUnknownTrucks(
      testDb.sql,
      [{ imei: '0555000000000001', vehicleNumber: 'RENAMED-1' }],
      { actor: 'system:ingest' },
    );
    expect(made).toEqual([]);
    expect(await getTruck(testDb.sql, 'RENAMED-1')).toBeUndefined();
  });
});

describe('registering vehicles that report without an IMEI', () => {
  it('stores a missing IMEI as NULL, so two such vehicles both register', async () => {
    const db = await createTestDb();
    try {
      const inserted = await registerUnknownTrucks(
        db.sql,
        [{ vehicleNumber: 'KJA-001AA' }, { vehicleNumber: 'KJA-002AA' }],
        {
          actor: 'system:test',
        },
      );
      expect(inserted.map((t) => t.truckNumber).sort()).toEqual(['KJA-001AA', 'KJA-002AA']);
      const rows = await db.sql`select imei from trucks order by truck_number`;
      expect(rows.map((r) => r.imei)).toEqual([null, null]);
      const resolved = await resolveTrucks(db.sql, [
        { vehicleNumber: 'KJA-002AA' },
        { imei: null, vehicleNumber: 'NOPE-1' },
      ]);
      expect(resolved.map((t) => t?.truckNumber)).toEqual(['KJA-002AA', undefined]);
    } finally {
      await db.drop();
    }
  });
});
