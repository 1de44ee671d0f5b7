import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deactivateGeofence,
  findGeofenceByName,
  geofenceVersion,
  insertGeofence,
  listActiveShapes,
  nearestGeofence,
  updateGeofence,
} from '../../src/db/geofences.ts';
import { containsPoint, type GeofenceShape } from '../../src/domain/geofence-shape.ts';
import { createTestDb, holdTransaction, type TestDb } from '../support/db.ts';

const yard: GeofenceShape = {
  kind: 'polygon',
  coordinates: [
    [
      [3.36, 6.44],
      [3.38, 6.44],
      [3.38, 6.46],
      [3.36, 6.46],
      [3.36, 6.44],
    ],
  ],
};
const gate: GeofenceShape = { kind: 'circle', center: { lat: 6.6, lng: 3.3 }, radiusM: 500 };
const road: GeofenceShape = {
  kind: 'corridor',
  line: [
    [3.5, 6.5],
    [3.5, 6.6],
  ],
  widthM: 200,
};

describe('geofence queries for the watcher, the agent and /truck', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await createTestDb();
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it('gives the watcher every live shape as stored, agreeing with containsPoint', async () => {
    const base = { type: 'terminal' as const, minDwellS: null, exitMarginM: null };
    const a = await insertGeofence(testDb.sql, { ...base, name: 'Yard', shape: yard, minDwellS: 60 });
    const b = await insertGeofence(testDb.sql, { ...base, name: 'Gate', shape: gate, exitMarginM: 25 });
    const c = await insertGeofence(testDb.sql, { ...base, name: 'Road', shape: road });
    const gone = await insertGeofence(testDb.sql, { ...base, name: 'Gone', shape: gate });
    await deactivateGeofence(testDb.sql, gone.id);

    const shapes = await listActiveShapes(testDb.sql);
    const byName = Object.fromEntries(shapes.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['Gate', 'Road', 'Yard']);
    expect(byName.Yard).toEqual({
      id: a.id,
      name: 'Yard',
      type: 'terminal',
      shape: yard,
      minDwellS: 60,
      exitMarginM: null,
    });
    expect(byName.Gate).toEqual({
      id: b.id,
      name: 'Gate',
      type: 'terminal',
      shape: gate,
      minDwellS: null,
      exitMarginM: 25,
    });
    expect(byName.Road!.id).toBe(c.id);
    expect(containsPoint(byName.Road!.shape, 6.55, 3.5005)).toBe(true);
    expect(containsPoint(byName.Gate!.shape, 6.6, 3.3)).toBe(true);
  });

  it('changes the fingerprint on every insert, update and deactivation', async () => {
    const seen = new Set([(await geofenceVersion(testDb.sql)).fingerprint]);
    const base = { type: 'client' as const, minDwellS: null, exitMarginM: null };
    const g = await insertGeofence(testDb.sql, { ...base, name: 'Fingerprinted', shape: gate });
    seen.add((await geofenceVersion(testDb.sql)).fingerprint);
    await updateGeofence(testDb.sql, g.id, { ...base, name: 'Fingerprinted', shape: yard });
    seen.add((await geofenceVersion(testDb.sql)).fingerprint);
    await deactivateGeofence(testDb.sql, g.id);
    const last = await geofenceVersion(testDb.sql);
    seen.add(last.fingerprint);
    expect(seen.size).toBe(4);
    expect((await geofenceVersion(testDb.sql)).fingerprint).toBe(last.fingerprint);
  });

  it('notices an update whose transaction started before the latest change', async () => {
    const base = { type: 'client' as const, minDwellS: null, exitMarginM: null };
    // Far from the others, so the nearest-geofence test below never meets them.
    const ibadan: GeofenceShape = { kind: 'circle', center: { lat: 7.4, lng: 3.9 }, radiusM: 100 };
    const moved: GeofenceShape = { ...ibadan, radiusM: 200 };
    const slow = await insertGeofence(testDb.sql, { ...base, name: 'Slow', shape: ibadan });
    const fast = await insertGeofence(testDb.sql, { ...base, name: 'Fast', shape: ibadan });
    // now() is the transaction's start, so this update commits an updated_at older than the one after it.
    const slowWrite = await holdTransaction(
      testDb.sql,
      (tx) => tx`select now()`,
      (tx) => updateGeofence(tx, slow.id, { ...base, name: 'Slow', shape: moved }),
    );
    await new Promise((r) => setTimeout(r, 20));
    await updateGeofence(testDb.sql, fast.id, { ...base, name: 'Fast', shape: moved });
    const before = await geofenceVersion(testDb.sql);
    await slowWrite.release();
    const after = await geofenceVersion(testDb.sql);
    expect(after.lastUpdatedAt).toEqual(before.lastUpdatedAt);
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('finds a live geofence by name in any case and ignores deactivated ones', async () => {
    expect((await findGeofenceByName(testDb.sql, '  yard '))?.name).toBe('Yard');
    expect(await findGeofenceByName(testDb.sql, 'gone')).toBeUndefined();
  });

  it('measures the nearest live geofence to its boundary: 0 inside, to the rim of a circle, the edge of a corridor', async () => {
    expect(await nearestGeofence(testDb.sql, 6.45, 3.37)).toMatchObject({ name: 'Yard', distanceM: 0 });
    // ~1 km north of the gate's centre, 500 m beyond its rim.
    const nearGate = await nearestGeofence(testDb.sql, 6.609, 3.3);
    expect(nearGate?.name).toBe('Gate');
    expect(nearGate!.distanceM).toBeGreaterThan(480);
    expect(nearGate!.distanceM).toBeLessThan(520);
    // ~1.1 km east of the road's centre line, 100 m of it within the corridor.
    const nearRoad = await nearestGeofence(testDb.sql, 6.55, 3.51);
    expect(nearRoad?.name).toBe('Road');
    expect(nearRoad!.distanceM).toBeGreaterThan(950);
    expect(nearRoad!.distanceM).toBeLessThan(1_050);
  });
});
