import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, previewTool } from '../../src/tools/result.ts';
import { updateTripStatusTool } from '../../src/tools/update-trip-status.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, dispatcher, seedLagos, viewer } from './seed.ts';
import { seedTrips } from './trip-tools.ts';

describe('update_trip_status', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('is a write whose preview says which trip moves from what to what', async () => {
    expect(updateTripStatusTool.writes).toBe(true);
    expect(
      await previewTool(
        updateTripStatusTool,
        { trip: 'TRP-000001', status: 'at_pickup' },
        ctxFor(db.sql, viewer),
      ),
    ).toEqual({
      ok: true,
      preview: 'Move TRP-000001 (KJA-123XY, Apapa Port → Ikeja depot) from dispatched to at pickup.',
    });
  });

  it('refuses a viewer and leaves the trip as it was', async () => {
    const result = await callTool(
      updateTripStatusTool,
      { trip: '1', status: 'at_pickup' },
      ctxFor(db.sql, viewer),
    );
    expect(result).toMatchObject({
      ok: false,
      error: 'Only a dispatcher or admin can change trip statuses; you are a viewer.',
    });
    const [row] = await db.sql`select status from trips where trip_number = 'TRP-000001'`;
    expect(row?.status).toBe('dispatched');
  });

  it('moves the trip one step for a dispatcher', async () => {
    const result = await callTool(
      updateTripStatusTool,
      { trip: 'TRP-000001', status: 'at_pickup', note: 'at the gate' },
      ctxFor(db.sql, dispatcher),
    );
    expect(result).toMatchObject({
      ok: true,
      data: { no: 'TRP-000001', status: 'at_pickup', next: ['in_transit', 'cancelled'] },
    });
  });

  it('explains a skipped step so the model can tell the user what is allowed', async () => {
    const result = await callTool(
      updateTripStatusTool,
      { trip: 'TRP-000002', status: 'delivered' },
      ctxFor(db.sql),
    );
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringContaining("TRP-000002 can't move to delivered."),
      hint: 'Tell the user which statuses are allowed next; do not skip steps.',
    });
  });

  it('sends cancellations to cancel_trip', async () => {
    expect(
      await callTool(updateTripStatusTool, { trip: 'TRP-000002', status: 'cancelled' }, ctxFor(db.sql)),
    ).toMatchObject({
      ok: false,
      error: expect.stringContaining('(to cancel, use cancel_trip)'),
    });
  });
});
