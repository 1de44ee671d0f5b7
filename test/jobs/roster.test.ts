import { describe, expect, it } from 'vitest';
import { type ExistingTruck, mapHeaders, parseRoster, planRosterSync } from '../../src/jobs/roster.ts';

const HEAD = ['Truck No', 'Device IMEI', 'Company', 'Manager', 'Status', 'Notes'];

const existing = (o: Partial<ExistingTruck> & { truckNumber: string }): ExistingTruck => ({
  id: `id-${o.truckNumber}`,
  imei: null,
  loconavVehicleId: null,
  company: null,
  fleetManager: null,
  status: 'active',
  brand: null,
  trailerSize: null,
  operatingLocation: null,
  rosterSeenAt: new Date('2025-03-01T00:00:00Z'),
  ...o,
});

describe('roster rows', () => {
  it('maps headers in any case or spacing, and common aliases', () => {
    const columns = mapHeaders(['  TRUCK NUMBER ', 'LocoNav ID', 'imei', 'Fleet-Manager', 'Location']);
    expect(Object.fromEntries(columns)).toEqual({
      truck_number: 0,
      loconav_vehicle_id: 1,
      imei: 2,
      fleet_manager: 3,
      operating_location: 4,
    });
  });

  it('skips blank rows, keeps IMEIs as text with their leading zero, and reads a blank status as active', () => {
    const { rows, invalid } = parseRoster(
      [
        HEAD,
        ['KJA-1AA', '0356000000000001', 'Dangote', 'Ada', '', 'x'],
        ['', '', '', '', '', ''],
        ['KJA-2BB'],
      ],
      1,
    );
    expect(invalid).toEqual([]);
    expect(rows.map((r) => [r.row, r.truckNumber, r.imei, r.status])).toEqual([
      [2, 'KJA-1AA', '0356000000000001', 'active'],
      [4, 'KJA-2BB', null, 'active'],
    ]);
  });

  it('reports a duplicated IMEI on the second row that has it', () => {
    const { invalid } = parseRoster(
      [HEAD, ['KJA-1AA', '0356000000000001'], ['KJA-2BB', '0356000000000001']],
      1,
    );
    expect(invalid).toEqual([
      { row: 3, truckNumber: 'KJA-2BB', reason: 'imei 0356000000000001 is already on row 2 (KJA-1AA)' },
    ]);
  });

  it('gives every reason a row is wrong at once', () => {
    const { invalid } = parseRoster([HEAD, ['KJA 1', '12ab', 'x'.repeat(201), '', 'parked']], 1);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.reason).toBe(
      'imei expected the device IMEI, 10 to 17 digits; company longer than 200 characters; status expected active, inactive, maintenance or blank (active)',
    );
  });
});

describe('roster plan', () => {
  it('does not retire a truck whose row is invalid this time', () => {
    const parsed = parseRoster([HEAD, ['KJA-1AA', '', '', '', 'sold']], 1);
    const plan = planRosterSync([existing({ truckNumber: 'KJA-1AA' })], parsed);
    expect(plan.deactivations).toEqual([]);
    expect(plan.updates).toEqual([]);
  });

  it('keeps the device a truck has when the sheet leaves the IMEI blank', () => {
    const parsed = parseRoster([HEAD, ['KJA-1AA', '', 'Dangote']], 1);
    const plan = planRosterSync([existing({ truckNumber: 'KJA-1AA', imei: '0356000000000001' })], parsed);
    expect(plan.updates).toEqual([
      expect.objectContaining({
        changes: { company: { from: null, to: 'Dangote' } },
        values: expect.objectContaining({ imei: '0356000000000001' }),
      }),
    ]);
  });

  it('refuses an IMEI another listed truck holds, and activates an unassigned truck the sheet lists', () => {
    const parsed = parseRoster([HEAD, ['KJA-1AA', '0356000000000002'], ['KJA-2BB', '0356000000000009']], 1);
    const plan = planRosterSync(
      [
        existing({ truckNumber: 'KJA-1AA' }),
        existing({
          truckNumber: 'KJA-2BB',
          imei: '0356000000000009',
          status: 'unassigned',
          rosterSeenAt: null,
        }),
        existing({ truckNumber: 'LND-3CC', imei: '0356000000000002' }),
      ],
      parsed,
    );
    expect(plan.invalid).toEqual([
      {
        row: 2,
        truckNumber: 'KJA-1AA',
        reason: 'imei 0356000000000002 belongs to truck LND-3CC; fix the sheet or that truck',
      },
    ]);
    expect(plan.updates.map((u) => [u.values.truckNumber, u.changes])).toEqual([
      ['KJA-2BB', { status: { from: 'unassigned', to: 'active' } }],
    ]);
    // LND-3CC was on the sheet before and is not now.
    expect(plan.deactivations.map((t) => t.truckNumber)).toEqual(['LND-3CC']);
  });

  it('brings an inactive truck back when it returns to the sheet', () => {
    const parsed = parseRoster([HEAD, ['KJA-1AA']], 1);
    const plan = planRosterSync([existing({ truckNumber: 'KJA-1AA', status: 'inactive' })], parsed);
    expect(plan.updates[0]!.changes).toEqual({ status: { from: 'inactive', to: 'active' } });
  });
});
