import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, datesIn, intentTool, parseIntent } from '../../src/bot/router.ts';
import { AppError } from '../../src/errors.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { NOW, seedLagos, viewer } from '../tools/seed.ts';
import { seedTrips } from '../tools/trip-tools.ts';

describe('parseIntent', () => {
  it.each([
    ['<@U0WATCHBOT> where is KJA-123XY?', { kind: 'truck', truck: 'KJA-123XY' }],
    ["where's kja-123xy", { kind: 'truck', truck: 'kja-123xy' }],
    ['KJA123XY?', { kind: 'truck', truck: 'KJA123XY' }],
    ['where is truck BUS42', { kind: 'truck', truck: 'BUS42' }],
    ['trip TRP-000042', { kind: 'trip', trip: 'TRP-000042' }],
    ['how is trp-42 doing', { kind: 'trip', trip: 'TRP-000042' }],
    ['trip 42', { kind: 'trip', trip: 'TRP-000042' }],
    ['fleet', { kind: 'fleet' }],
    ['how is the fleet at 10am', { kind: 'fleet' }],
    ['<@U0WATCHBOT>', { kind: 'help', understood: true }],
    ['help', { kind: 'help', understood: true }],
    ['sing me a song', { kind: 'help', understood: false }],
  ])('reads %j', (text, intent) => {
    expect(parseIntent(text)).toEqual(intent);
  });

  it('prefers the trip over the truck when both are named', () => {
    expect(parseIntent('is KJA-123XY still on TRP-000042?')).toEqual({ kind: 'trip', trip: 'TRP-000042' });
  });

  // 09:00 Lagos on Monday 10 March 2025.
  it.each([
    ['abeg where KJA-123XY dey?', { kind: 'truck', truck: 'KJA-123XY' }],
    ['which moto don reach Apapa?', { kind: 'at', place: 'Apapa' }],
    ['how many trucks dey inside Apapa port right now', { kind: 'at', place: 'Apapa port' }],
    ['which trucks are near Tin Can?', { kind: 'near', place: 'Tin Can' }],
    ['trucks within 10 km of Ota', { kind: 'near', place: 'Ota', radiusKm: 10 }],
    ['show active trips', { kind: 'trips', active: true }],
    ['trips in transit for KJA-905BD', { kind: 'trips', status: ['in_transit'], truck: 'KJA-905BD' }],
    ["yesterday's trips", { kind: 'trips', date: '2025-03-09' }],
    ['daily report', { kind: 'report', report: 'daily' }],
    ['report for yesterday', { kind: 'report', report: 'daily', date: '2025-03-09' }],
    ['tat report last week', { kind: 'report', report: 'tat', from: '2025-03-03', to: '2025-03-09' }],
    ['turnaround time', { kind: 'report', report: 'tat', from: '2025-03-04', to: '2025-03-10' }],
    [
      'utilization 1 March to 7 March',
      { kind: 'report', report: 'utilization', from: '2025-03-01', to: '2025-03-07' },
    ],
    ['what depots do we have?', { kind: 'places', type: 'depot' }],
    ['list geofences', { kind: 'places' }],
    ['cancel TRP-000031, client postponed', { kind: 'change', trip: 'TRP-000031' }],
    ['create a trip from Apapa to Ikeja', { kind: 'change' }],
  ])('reads the fleet’s own words %j', (text, intent) => {
    expect(parseIntent(text, NOW)).toEqual(intent);
  });
});

describe('datesIn', () => {
  it('reads ISO dates, today and yesterday in Lagos, and day-month in either order', () => {
    const lateNightUtc = new Date('2025-03-09T23:30:00Z'); // 00:30 on 10 March in Lagos
    expect(datesIn('today and yesterday', lateNightUtc)).toEqual(['2025-03-10', '2025-03-09']);
    expect(datesIn('from 2025-02-01 to Feb 3rd, 2024', NOW)).toEqual(['2025-02-01', '2024-02-03']);
  });
});

describe('intentTool', () => {
  it('names the agent tool and arguments each intent stands for', () => {
    expect(intentTool({ kind: 'at', place: 'Apapa' })).toEqual({
      tool: 'trucks_in_geofence',
      args: { geofence: 'Apapa' },
    });
    expect(intentTool({ kind: 'near', place: 'Ota', radiusKm: 10 })).toEqual({
      tool: 'find_trucks_near',
      args: { place: 'Ota', radius_km: 10 },
    });
    expect(intentTool({ kind: 'report', report: 'tat', from: '2025-03-01', to: '2025-03-07' })).toEqual({
      tool: 'generate_report',
      args: { kind: 'tat', from: '2025-03-01', to: '2025-03-07' },
    });
    expect(intentTool({ kind: 'trips', active: true })).toEqual({
      tool: 'list_trips',
      args: { active: true },
    });
    expect(intentTool({ kind: 'change', trip: 'TRP-000001' })).toEqual({ tool: null, args: {} });
  });
});

describe('answer (limited mode, on a seeded Lagos fleet)', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    await seedLagos(db.sql);
    await seedTrips(db.sql);
  });
  afterAll(async () => {
    await db.drop();
  });

  const reply = (text: string) => answer(parseIntent(text, NOW), { sql: db.sql, actor: viewer, now: NOW });

  it('lists the trucks inside a place named loosely, with when they entered', async () => {
    const message = await reply('which moto don reach Tin Can?');
    expect(message.text).toBe('At Tin Can Island Port: 1 truck');
    expect(JSON.stringify(message.blocks)).toContain('*APP-771AA* · in since 08:20');
  });

  it('lists the trucks near a place, nearest first', async () => {
    const message = await reply('which trucks are near Apapa?');
    expect(message.text).toBe('Trucks within 5 km of Apapa Port: 3 trucks');
    const body = JSON.stringify(message.blocks);
    expect(body.indexOf('KJA-123XY')).toBeLessThan(body.indexOf('APP-771AA'));
  });

  it('lists open trips', async () => {
    const message = await reply('show active trips');
    expect(message.text).toBe('Open trips: 3 trips: TRP-000003, TRP-000002, TRP-000001');
  });

  it("gives a day's report", async () => {
    const message = await reply('daily report for 2025-03-09');
    expect(message.text).toContain('9 Mar');
  });

  it('lists the places of a type', async () => {
    expect((await reply('which terminals do we have?')).text).toBe(
      'Terminals: Apapa Port, Kirikiri Lighter Terminal, Tin Can Island Port',
    );
  });

  it('says where to make a change instead of making it', async () => {
    const message = await reply('cancel TRP-000002 abeg');
    expect(message.text).toContain("I can't change trips from a message");
    expect(message.text).toContain('`/trip TRP-000002`');
    const [row] = await db.sql`select status from trips where trip_number = 'TRP-000002'`;
    expect(row?.status).toBe('planned');
  });

  it('throws the use case’s error for a place nobody knows', async () => {
    const err = await reply('which trucks are at Onitsha?').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toBe('No geofence matches "Onitsha"; the fleet knows 10 places.');
  });
});
