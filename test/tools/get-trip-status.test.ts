import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTripStatusTool } from '../../src/tools/get-trip-status.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';
import { seedTrips } from './trip-tools.ts';

describe('get_trip_status', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('gives a viewer the trip, its route, ETA in Lagos time, stages reached and the allowed next steps', async () => {
    const result = await callTool(getTripStatusTool, { trip: 'trp-1' }, ctxFor(db.sql, viewer));
    expect(result).toMatchObject({
      ok: true,
      data: {
        no: 'TRP-000001',
        status: 'dispatched',
        truck: 'KJA-123XY',
        from: 'Apapa Port',
        to: 'Ikeja depot',
        client: 'Flour Mills',
        cargo: '2 x 40ft containers',
        eta: '14:30',
        start: null,
        next: ['at_pickup', 'cancelled'],
        version: 2,
      },
    });
    const stages = (result as { data: { stages: Record<string, string> } }).data.stages;
    expect(Object.keys(stages)).toEqual(['created', 'dispatched']);
  });

  it('answers a trip that does not exist with what trip numbers look like', async () => {
    expect(await callTool(getTripStatusTool, { trip: 'TRP-000999' }, ctxFor(db.sql))).toMatchObject({
      ok: false,
      error: 'No trip TRP-000999: check the number (they look like TRP-000042).',
      hint: expect.stringContaining('list_trips'),
    });
  });

  it('refuses a trip number sent as a number with a readable message', async () => {
    expect(await callTool(getTripStatusTool, { trip: 42 }, ctxFor(db.sql))).toMatchObject({
      ok: false,
      error: 'Invalid arguments for get_trip_status: trip: expected the trip number, e.g. TRP-000042',
    });
  });
});
