import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTripsTool } from '../../src/tools/list-trips.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, seedLagos, viewer } from './seed.ts';
import { seedTrips } from './trip-tools.ts';

describe('list_trips', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  const list = (args: unknown) => callTool(listTripsTool, args, ctxFor(db.sql, viewer));

  it('lists trips newest first as short lines, capped with a count of the rest', async () => {
    expect(await list({ limit: 2 })).toEqual({
      ok: true,
      data: {
        n: 3,
        trips: [
          {
            no: 'TRP-000003',
            status: 'planned',
            truck: null,
            from: 'Apapa Port',
            to: 'Dangote Ibese cement plant',
          },
          {
            no: 'TRP-000002',
            status: 'planned',
            truck: 'APP-771AA',
            from: 'Tin Can Island Port',
            to: 'Dangote Ibese cement plant',
          },
        ],
        more: 1,
      },
    });
  });

  it("filters by status and by a truck's number", async () => {
    const dispatched = await list({ status: ['dispatched'] });
    expect(dispatched).toMatchObject({
      ok: true,
      data: { n: 1, trips: [{ no: 'TRP-000001', eta: '14:30' }] },
    });
    const forTruck = await list({ truck: 'app-771aa' });
    expect(forTruck).toMatchObject({ ok: true, data: { n: 1, trips: [{ no: 'TRP-000002' }] } });
  });

  it('answers an unknown truck with its close matches', async () => {
    const result = await list({ truck: 'APP-771AB' });
    expect(result).toMatchObject({ ok: false, hint: expect.stringContaining('APP-771AA') });
  });

  it('refuses a status the trip lifecycle does not have', async () => {
    expect(await list({ status: ['lost'] })).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^Invalid arguments for list_trips: status\[0\]: expected a list of planned, /,
      ),
    });
  });
});
