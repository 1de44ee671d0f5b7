import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTripTool } from '../../src/tools/create-trip.ts';
import { callTool, previewTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, dispatcher, seedLagos, viewer } from './seed.ts';

describe('create_trip', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  const args = {
    truck: 'kja-905bd',
    origin: 'Tin Can',
    destination: 'Agbara',
    cargo: 'flour',
    client: 'Honeywell',
    planned_start_at: '2025-03-10T14:00:00+01:00',
  };

  it('is a write whose preview names the resolved places, truck, cargo and start in Lagos time', async () => {
    expect(createTripTool.writes).toBe(true);
    expect(await previewTool(createTripTool, args, ctxFor(db.sql))).toEqual({
      ok: true,
      preview:
        'Plan a trip from Tin Can Island Port to Agbara industrial estate, with KJA-905BD, carrying flour, for Honeywell, starting 14:00.',
    });
  });

  it('plans the trip for a dispatcher, recording them as its creator', async () => {
    const result = await callTool(createTripTool, args, ctxFor(db.sql, dispatcher));
    expect(result).toMatchObject({
      ok: true,
      data: {
        no: 'TRP-000001',
        status: 'planned',
        truck: 'KJA-905BD',
        from: 'Tin Can Island Port',
        to: 'Agbara industrial estate',
        start: '14:00',
        next: ['dispatched', 'cancelled'],
      },
    });
    const [row] = await db.sql`select created_by from trips where trip_number = 'TRP-000001'`;
    expect(row?.created_by).toBe(dispatcher.principal);
  });

  it('refuses a viewer and plans nothing', async () => {
    const result = await callTool(
      createTripTool,
      { origin: 'Apapa', destination: 'Ikeja' },
      ctxFor(db.sql, viewer),
    );
    expect(result).toEqual({
      ok: false,
      error: 'Only a dispatcher or admin can plan trips; you are a viewer.',
      hint: 'Tell the user they lack the role for this; do not retry.',
    });
    const [count] = await db.sql`select count(*)::int as n from trips`;
    expect(count?.n).toBe(1);
  });

  it('previews an unknown truck as an error with its close matches', async () => {
    const result = await previewTool(createTripTool, { ...args, truck: 'KJA-905BO' }, ctxFor(db.sql));
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining('No truck KJA-905BO') });
    expect((result as { hint: string }).hint).toContain('KJA-905BD');
  });

  it('passes on the use case’s sentence for a start time without a zone', async () => {
    const result = await callTool(
      createTripTool,
      { origin: 'Apapa', destination: 'Ikeja', planned_start_at: '2025-03-10 14:00' },
      ctxFor(db.sql),
    );
    expect(result).toMatchObject({
      ok: false,
      error:
        'Invalid trip: planned_start_at: expected an ISO 8601 time with a zone, e.g. 2025-03-01T06:30:00+01:00',
    });
  });

  it('refuses a trip with no destination before anything runs', async () => {
    expect(await callTool(createTripTool, { origin: 'Apapa' }, ctxFor(db.sql))).toMatchObject({
      ok: false,
      error:
        'Invalid arguments for create_trip: destination: expected the drop-off place, e.g. Dangote Ibese',
    });
  });
});
