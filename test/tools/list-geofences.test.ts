import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGeofencesTool } from '../../src/tools/list-geofences.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';

describe('list_geofences', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('lists the places by name and type, filtered by type', async () => {
    expect(await callTool(listGeofencesTool, { type: 'terminal' }, ctxFor(db.sql, viewer))).toEqual({
      ok: true,
      data: {
        n: 3,
        geofences: [
          { name: 'Apapa Port', type: 'terminal' },
          { name: 'Kirikiri Lighter Terminal', type: 'terminal' },
          { name: 'Tin Can Island Port', type: 'terminal' },
        ],
        more: 0,
      },
    });
    expect(await callTool(listGeofencesTool, {}, ctxFor(db.sql, viewer))).toMatchObject({
      ok: true,
      data: { n: 10 },
    });
  });

  it('refuses a type the fleet does not use', async () => {
    expect(await callTool(listGeofencesTool, { type: 'port' }, ctxFor(db.sql))).toMatchObject({
      ok: false,
      error:
        'Invalid arguments for list_geofences: type: expected one of terminal, client, checkpoint, corridor, depot',
    });
  });
});
