import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelTripTool } from '../../src/tools/cancel-trip.ts';
import { callTool, previewTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, dispatcher, seedLagos, viewer } from './seed.ts';
import { seedTrips } from './trip-tools.ts';

describe('cancel_trip', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  const args = { trip: 'TRP-000002', reason: 'client postponed' };

  it('is a write whose preview names the trip and the reason', async () => {
    expect(cancelTripTool.writes).toBe(true);
    expect(await previewTool(cancelTripTool, args, ctxFor(db.sql))).toEqual({
      ok: true,
      preview:
        'Cancel TRP-000002 (APP-771AA, Tin Can Island Port → Dangote Ibese cement plant). Reason: client postponed',
    });
  });

  it('refuses a viewer', async () => {
    expect(await callTool(cancelTripTool, args, ctxFor(db.sql, viewer))).toMatchObject({
      ok: false,
      error: 'Only a dispatcher or admin can cancel trips; you are a viewer.',
    });
  });

  it('cancels the trip for a dispatcher, keeping the reason', async () => {
    expect(await callTool(cancelTripTool, args, ctxFor(db.sql, dispatcher))).toMatchObject({
      ok: true,
      data: { no: 'TRP-000002', status: 'cancelled', cancel_reason: 'client postponed', next: [] },
    });
  });

  it('asks for a reason before anything runs', async () => {
    expect(
      await callTool(cancelTripTool, { trip: 'TRP-000003', reason: '  ' }, ctxFor(db.sql)),
    ).toMatchObject({
      ok: false,
      error: 'Invalid arguments for cancel_trip: reason: say why the trip is cancelled',
    });
  });
});
