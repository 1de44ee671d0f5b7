import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool } from '../../src/tools/result.ts';
import { trucksInGeofenceTool } from '../../src/tools/trucks-in-geofence.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';

describe('trucks_in_geofence', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  const inside = (args: unknown) => callTool(trucksInGeofenceTool, args, ctxFor(db.sql, viewer));

  it('lists the trucks inside the place the user names, with when each entered in Lagos time', async () => {
    expect(await inside({ geofence: 'tin can' })).toEqual({
      ok: true,
      data: {
        geofence: 'Tin Can Island Port',
        type: 'terminal',
        n: 1,
        trucks: [{ truck: 'APP-771AA', since: '08:20', fix: '08:30' }],
        more: 0,
      },
    });
  });

  it('matches a misspelt place and says when nobody is inside', async () => {
    expect(await inside({ geofence: 'Kirikri' })).toMatchObject({
      ok: true,
      data: { geofence: 'Kirikiri Lighter Terminal', n: 0, trucks: [], more: 0 },
    });
  });

  it('answers an unknown place with a hint to list the geofences', async () => {
    const result = await inside({ geofence: 'Onitsha' });
    expect(result).toMatchObject({
      ok: false,
      error: 'No geofence matches "Onitsha"; the fleet knows 10 places.',
    });
  });

  it('refuses a missing geofence argument with a readable message', async () => {
    expect(await inside({})).toMatchObject({
      ok: false,
      error:
        'Invalid arguments for trucks_in_geofence: geofence: expected a geofence name, e.g. Apapa Port or Tin Can',
    });
  });
});
