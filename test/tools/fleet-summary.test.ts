import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSummaryTool } from '../../src/tools/fleet-summary.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';
import { seedTrips } from './trip-tools.ts';

describe('fleet_summary', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('counts trucks, moving and offline ones, open trips by status, and trucks at terminals and depots', async () => {
    expect(await callTool(fleetSummaryTool, {}, ctxFor(db.sql, viewer))).toEqual({
      ok: true,
      data: {
        trucks: 5,
        moving: 1,
        offline: 2,
        open_trips: { dispatched: 1, planned: 2 },
        at: [
          { name: 'Apapa Port', count: 1 },
          { name: 'Tin Can Island Port', count: 1 },
          { name: 'Ikeja depot', count: 1 },
        ],
      },
    });
  });

  it('refuses arguments it does not take', async () => {
    expect(await callTool(fleetSummaryTool, { date: 'today' }, ctxFor(db.sql))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Invalid arguments for fleet_summary'),
    });
  });
});
