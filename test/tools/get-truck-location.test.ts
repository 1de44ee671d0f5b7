import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrip } from '../../src/fleet/trips.ts';
import { getTruckLocationTool } from '../../src/tools/get-truck-location.ts';
import { callTool } from '../../src/tools/result.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, dispatcher, seedLagos, viewer } from './seed.ts';

describe('get_truck_location', () => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await createTrip(db.sql, dispatcher, {
      truck: 'KJA-123XY',
      origin: 'Apapa Port',
      destination: 'Ikeja depot',
      cargo: 'containers',
    });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('tells a viewer where the truck is, the geofence it is in, and its open trip, in Lagos time', async () => {
    const result = await callTool(getTruckLocationTool, { truck: 'kja-123xy' }, ctxFor(db.sql, viewer));
    expect(result).toEqual({
      ok: true,
      data: {
        truck: 'KJA-123XY',
        lat: 6.446,
        lng: 3.365,
        at: '08:48',
        age_min: 12,
        kmh: 0,
        ign: false,
        place: { in: 'Apapa Port' },
        trip: { no: 'TRP-000001', status: 'planned', from: 'Apapa Port', to: 'Ikeja depot' },
      },
    });
  });

  it('names the nearest geofence and its distance when the truck is outside every fence', async () => {
    const result = await callTool(getTruckLocationTool, { truck: 'LSD-482KJ' }, ctxFor(db.sql));
    expect(result.ok).toBe(true);
    const data = (result as { data: { place: { near: string; km: number }; trip: unknown } }).data;
    expect(data.place.near).toBe('Apapa Port');
    expect(data.place.km).toBeGreaterThan(0);
    expect(data.place.km).toBeLessThan(1);
    expect(data.trip).toBeNull();
  });

  it('says when a truck has never sent a fix instead of inventing a place', async () => {
    const result = await callTool(getTruckLocationTool, { truck: 'EKY-230XA' }, ctxFor(db.sql));
    expect(result).toEqual({
      ok: true,
      data: { truck: 'EKY-230XA', fix: null, note: 'No GPS fix received yet.', trip: null },
    });
  });

  it('answers an unknown truck with the close matches for the model to ask about', async () => {
    const result = await callTool(getTruckLocationTool, { truck: 'KJA-123XZ' }, ctxFor(db.sql));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('No truck KJA-123XZ');
    expect(result.hint).toContain('Close matches: KJA-123XY');
  });

  it('refuses arguments zod rejects with a sentence naming the field', async () => {
    const result = await callTool(getTruckLocationTool, { truck: 42 }, ctxFor(db.sql));
    expect(result).toMatchObject({
      ok: false,
      error:
        'Invalid arguments for get_truck_location: truck: expected the truck number as text, e.g. KJA-123XY',
    });
    const extra = await callTool(getTruckLocationTool, { truck: 'KJA-123XY', plate: 'x' }, ctxFor(db.sql));
    expect(extra.ok).toBe(false);
    if (!extra.ok) expect(extra.error).toContain('plate');
  });
});
