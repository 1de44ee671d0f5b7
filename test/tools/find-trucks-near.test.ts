import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTrucksNearTool } from '../../src/tools/find-trucks-near.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';

describe('find_trucks_near', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  const near = (args: unknown) => callTool(findTrucksNearTool, args, ctxFor(db.sql, viewer));

  it('finds the trucks near a place named loosely, nearest first, with km and Lagos times', async () => {
    const result = await near({ place: 'apapa', radius_km: 2 });
    expect(result).toMatchObject({ ok: true, data: { near: 'Apapa Port', radius_km: 2, n: 2, more: 0 } });
    const trucks = (result as { data: { trucks: { truck: string; km: number; at: string }[] } }).data.trucks;
    expect(trucks.map((t) => t.truck)).toEqual(['KJA-123XY', 'LSD-482KJ']);
    expect(trucks[0]).toMatchObject({ at: '08:48', kmh: 0 });
    expect(trucks[0]!.km).toBeLessThan(trucks[1]!.km);
  });

  it('searches around coordinates, and caps the list saying how many more there are', async () => {
    const result = await near({ lat: 6.446, lng: 3.36, radius_km: 5, limit: 2 });
    expect(result).toMatchObject({ ok: true, data: { near: { lat: 6.446, lng: 3.36 }, n: 3, more: 1 } });
    expect((result as { data: { trucks: unknown[] } }).data.trucks).toHaveLength(2);
  });

  it('asks which place when a name fits several equally', async () => {
    const result = await near({ place: 'depot' });
    expect(result).toEqual({
      ok: false,
      error: '"depot" could be Ikeja depot or Amuwo-Odofin depot.',
      hint: 'Ask the user which place they meant.',
    });
  });

  it('says when no geofence matches the place and how to find one', async () => {
    const result = await near({ place: 'Ota' });
    expect(result).toMatchObject({
      ok: false,
      error: 'No geofence matches "Ota"; the fleet knows 10 places.',
    });
    expect((result as { hint: string }).hint).toContain('list_geofences');
  });

  it('refuses a place and coordinates together, half a coordinate, or a radius out of range', async () => {
    expect(await near({ place: 'Apapa', lat: 6.4, lng: 3.3 })).toMatchObject({
      ok: false,
      error: 'Invalid arguments for find_trucks_near: send either place, or lat and lng (not both)',
    });
    expect(await near({ lat: 6.4 })).toMatchObject({
      ok: false,
      error: 'Invalid arguments for find_trucks_near: lat and lng go together: send both',
    });
    expect(await near({ place: 'Apapa', radius_km: 500 })).toMatchObject({
      ok: false,
      error: 'Invalid arguments for find_trucks_near: radius_km: expected kilometres from 0.1 to 50',
    });
  });
});
