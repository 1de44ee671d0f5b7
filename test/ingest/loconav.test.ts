import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/spatial-index.ts';
import { isValidLocalDateTime, localToUtc, toLocal } from '../../src/domain/time.ts';
import {
  type LocoNavParse,
  liveLocationSchema,
  loconavItems,
  type NormalizedAlert,
  type NormalizedFix,
  normalizeVehicleNumber,
  parseLiveLocationFast,
  parseLocoNavItem,
} from '../../src/ingest/loconav.ts';
import { loadBusTrace } from '../support/trace.ts';

const LAGOS = 'Africa/Lagos';

// The shape of LocoNav's published live-location sample, moved to Lagos.
const live = (over: Record<string, unknown> = {}) => ({
  imei: '0210716299',
  speed: 0.0,
  gpstime: '18-02-2019 07:45:50',
  ignition: '1',
  latitude: 6.4474,
  longitude: 3.3671,
  sharpTurn: '0',
  orientation: 201.0,
  harshBraking: '0',
  vehiclenumber: 'KJA-123XY',
  rockBreakerPedal: '0',
  harshAcceleration: '0',
  ...over,
});

function fixOf(r: LocoNavParse): NormalizedFix {
  if (!r.ok) throw new Error(`expected a fix, got rejection: ${r.reason}`);
  if (r.value.kind !== 'position') throw new Error('expected a position');
  return r.value.fix;
}

function alertOf(r: LocoNavParse): NormalizedAlert {
  if (!r.ok) throw new Error(`expected an alert, got rejection: ${r.reason}`);
  if (r.value.kind !== 'alert') throw new Error('expected an alert');
  return r.value.alert;
}

function reasonOf(r: LocoNavParse): string {
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
}

describe('parseLocoNavItem: live location', () => {
  it('normalizes the published sample', () => {
    expect(fixOf(parseLocoNavItem(live(), LAGOS))).toEqual({
      imei: '0210716299',
      vehicleNumber: 'KJA-123XY',
      lat: 6.4474,
      lng: 3.3671,
      speedKmh: 0,
      headingDeg: 201,
      ignition: true,
      fixTime: new Date('2019-02-18T06:45:50Z'),
      harshBraking: false,
      harshAcceleration: false,
      sharpTurn: false,
    });
  });

  it('reads the zone-less gpstime as Lagos time, an hour ahead of UTC', () => {
    const fix = fixOf(parseLocoNavItem(live({ gpstime: '18-02-2019 07:45:50' }), LAGOS));
    expect(fix.fixTime.toISOString()).toBe('2019-02-18T06:45:50.000Z');
  });

  it('reads gpstime in whatever zone is configured', () => {
    const fix = fixOf(parseLocoNavItem(live({ gpstime: '17-12-2021 09:57:07' }), 'Asia/Kolkata'));
    expect(fix.fixTime.toISOString()).toBe('2021-12-17T04:27:07.000Z');
  });

  it('accepts epoch seconds as a number or a digit string, and 13-digit values as milliseconds', () => {
    const expected = new Date('2019-02-18T06:45:50Z');
    for (const gpstime of [1550472350, '1550472350', 1550472350000, '1550472350000']) {
      expect(fixOf(parseLocoNavItem(live({ gpstime }), LAGOS)).fixTime).toEqual(expected);
    }
  });

  it('rejects an impossible date, quoting what it got and what it expected', () => {
    expect(reasonOf(parseLocoNavItem(live({ gpstime: '31-02-2026 10:00:00' }), LAGOS))).toBe(
      'gpstime: expected "DD-MM-YYYY HH:MM:SS" or epoch seconds, got "31-02-2026 10:00:00"',
    );
  });

  it.each([
    ['25:00:00', '18-02-2019 25:00:00'],
    ['an ISO string (not what live location sends)', '2019-02-18T07:45:50Z'],
    ['month 13', '18-13-2019 07:45:50'],
    ['an 11-digit epoch', 15504723500],
    ['a negative epoch', -5],
  ])('rejects gpstime given as %s', (_label, gpstime) => {
    expect(reasonOf(parseLocoNavItem(live({ gpstime }), LAGOS))).toMatch(/^gpstime: expected/);
  });

  it('rejects a fix with no gpstime at all', () => {
    const { gpstime: _, ...rest } = live();
    expect(reasonOf(parseLocoNavItem(rest, LAGOS))).toBe(
      'gpstime: expected "DD-MM-YYYY HH:MM:SS" or epoch seconds, got nothing',
    );
  });

  it('keeps the leading zero of a string IMEI', () => {
    expect(fixOf(parseLocoNavItem(live({ imei: '0210716299' }), LAGOS)).imei).toBe('0210716299');
  });

  it('accepts a numeric IMEI as its digits, though its leading zero is already gone', () => {
    expect(fixOf(parseLocoNavItem(live({ imei: 210716299 }), LAGOS)).imei).toBe('210716299');
  });

  it('accepts numeric strings for coordinates, speed and orientation', () => {
    const fix = fixOf(
      parseLocoNavItem(
        live({ latitude: '6.4474', longitude: ' 3.3671', speed: '42.5', orientation: '90' }),
        LAGOS,
      ),
    );
    expect([fix.lat, fix.lng, fix.speedKmh, fix.headingDeg]).toEqual([6.4474, 3.3671, 42.5, 90]);
  });

  it('reads every boolean form of ignition and the harsh-driving flags', () => {
    for (const [raw, want] of [
      ['1', true],
      ['0', false],
      [1, true],
      [0, false],
      [true, true],
      [false, false],
      ['true', true],
      ['FALSE', false],
    ] as const) {
      const fix = fixOf(parseLocoNavItem(live({ ignition: raw, harshBraking: raw, sharpTurn: raw }), LAGOS));
      expect([fix.ignition, fix.harshBraking, fix.sharpTurn]).toEqual([want, want, want]);
    }
  });

  it('leaves unknown ignition, speed and heading as null and missing flags as false', () => {
    const { ignition: _i, speed: _s, orientation: _o, harshBraking: _h, ...rest } = live();
    const fix = fixOf(parseLocoNavItem(rest, LAGOS));
    expect([fix.ignition, fix.speedKmh, fix.headingDeg, fix.harshBraking]).toEqual([null, null, null, false]);
  });

  it('writes vehicle numbers as the fleet does: upper case, no spaces', () => {
    expect(fixOf(parseLocoNavItem(live({ vehiclenumber: ' kja-123 xy ' }), LAGOS)).vehicleNumber).toBe(
      'KJA-123XY',
    );
    expect(normalizeVehicleNumber('lnd 442 aa')).toBe('LND442AA');
  });

  it('accepts a fix identified only by vehicle number, or only by IMEI', () => {
    const byPlate = fixOf(parseLocoNavItem(live({ imei: undefined }), LAGOS));
    expect(byPlate.imei).toBeUndefined();
    expect(byPlate.vehicleNumber).toBe('KJA-123XY');
    const byImei = fixOf(parseLocoNavItem(live({ vehiclenumber: '' }), LAGOS));
    expect(byImei.vehicleNumber).toBeUndefined();
  });

  it('rejects a fix with neither imei nor vehiclenumber', () => {
    expect(reasonOf(parseLocoNavItem(live({ imei: null, vehiclenumber: '  ' }), LAGOS))).toBe(
      'imei: expected imei or vehiclenumber, got neither',
    );
  });

  it('names each bad field in the reason', () => {
    const reason = reasonOf(
      parseLocoNavItem(live({ latitude: '6,45', longitude: 181, ignition: 'yes' }), LAGOS),
    );
    expect(reason).toContain('latitude: expected a latitude from -90 to 90, got "6,45"');
    expect(reason).toContain('longitude: expected a longitude from -180 to 180, got 181');
    expect(reason).toContain('ignition: expected "1"/"0", 1/0 or true/false, got "yes"');
  });

  it('rejects an item that is not an object', () => {
    expect(reasonOf(parseLocoNavItem([live()], LAGOS))).toBe('item: expected a JSON object, got an array');
    expect(reasonOf(parseLocoNavItem('hello', LAGOS))).toBe('item: expected a JSON object, got "hello"');
  });

  it('throws on an unknown time zone, a configuration error rather than a bad item', () => {
    expect(() => parseLocoNavItem(live(), 'Africa/Atlantis')).toThrow(/unknown IANA time zone/);
  });

  it('round-trips every fix of the real bus trace rendered as LocoNav would send it', () => {
    // The trace is in Irish time (UTC+0 in February); render it as Lagos wall-clock readings.
    const trace = loadBusTrace();
    const pad = (n: number) => String(n).padStart(2, '0');
    for (const p of trace) {
      const l = toLocal(p.time, LAGOS);
      const gpstime = `${pad(l.day)}-${pad(l.month)}-${l.year} ${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}`;
      const fix = fixOf(
        parseLocoNavItem(live({ gpstime, latitude: p.lat, longitude: String(p.lng) }), LAGOS),
      );
      expect(fix.fixTime).toEqual(p.time);
      expect([fix.lat, fix.lng]).toEqual([p.lat, p.lng]);
    }
  });

  it.each([
    ['Europe/London', '2026-03-29'],
    ['Europe/London', '2026-10-25'],
    // Newfoundland changed clocks at 00:01 until 2011: a DST change in the middle of a clock hour.
    ['America/St_Johns', '2010-03-14'],
    ['America/St_Johns', '2010-11-07'],
  ])('reads zone-less times in %s exactly as localToUtc does across the DST change of %s', (zone, day) => {
    const pad = (n: number) => String(n).padStart(2, '0');
    for (let minutes = -120; minutes < 6 * 60; minutes += 1) {
      const naive = new Date(Date.parse(`${day}T00:00:00Z`) + minutes * 60_000);
      const local = {
        year: naive.getUTCFullYear(),
        month: naive.getUTCMonth() + 1,
        day: naive.getUTCDate(),
        hour: naive.getUTCHours(),
        minute: naive.getUTCMinutes(),
        second: 0,
      };
      const gpstime = `${pad(local.day)}-${pad(local.month)}-${local.year} ${pad(local.hour)}:${pad(local.minute)}:00`;
      const fix = fixOf(parseLocoNavItem(live({ gpstime }), zone));
      expect(fix.fixTime, gpstime).toEqual(localToUtc(local, zone));
    }
  });
});

describe('parseLocoNavItem: the live-location fast path', () => {
  // Forms each field arrives in: the usual ones, the odd ones LocoNav's docs allow, and outright junk.
  const forms: Record<string, readonly unknown[]> = {
    imei: [
      '0868373050001234',
      868373050001234,
      ' 0868373050001234 ',
      '',
      null,
      undefined,
      '   ',
      -1,
      1.5,
      {},
    ],
    vehiclenumber: ['KJA-123XY', ' kja 123 xy ', 'lnd442aa', '', null, undefined, '  ', 42, 1.5, [], 'ÄBC-1'],
    latitude: [6.5, -90, 90, '6.4474', ' 6.5 ', '.5', '1e1', '6,45', 91, -90.0001, '', null, undefined, true],
    longitude: [
      3.3671,
      180,
      '-180',
      ' 3.3671',
      '3.',
      181,
      'east',
      null,
      undefined,
      [3.3],
      Number.POSITIVE_INFINITY,
    ],
    speed: [0, 42.5, '42.5', 1000, null, '', undefined, -1, 1000.5, 'fast', false],
    orientation: [201, 0, 360, '90', null, '', undefined, 361, -0.5, '9O'],
    ignition: ['1', '0', 1, 0, true, false, 'true', 'FALSE', ' 1 ', '', null, undefined, 'yes', 2, '01'],
    gpstime: [
      '18-02-2019 07:45:50',
      '29-02-2024 23:59:59',
      '18-02-2019T07:45:50',
      ' 18-02-2019 07:45:50',
      '18-02-2019 07:45:50 ',
      1550472350,
      '1550472350',
      1550472350000,
      '31-02-2026 10:00:00',
      '29-02-2023 10:00:00',
      '18-02-2019 24:00:00',
      '18-02-0019 07:45:50',
      '18-02-2019 07:45:5x',
      '18/02/2019 07:45:50',
      '2019-02-18T07:45:50Z',
      '1+-02-2019 07:45:50',
      15504723500,
      -5,
      '',
      null,
      undefined,
    ],
    harshBraking: [false, true, '0', '1', 0, 1, 'true', '', null, undefined, 'no', 2],
    harshAcceleration: [false, true, '0', '1', 'FALSE', null, undefined, 'maybe'],
    sharpTurn: [false, true, '0', '1', null, undefined, {}],
  };
  const rand = seededRandom(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  // Mostly the first (usual) form so that plenty of items are good; otherwise any form at all.
  const generated = Array.from({ length: 600 }, () => {
    const item: Record<string, unknown> = {};
    for (const [key, values] of Object.entries(forms)) {
      const v = rand() < 0.8 ? values[0] : pick(values);
      if (v !== undefined || rand() < 0.5) item[key] = v;
    }
    return item;
  });
  // And deterministically: every form of each field among usual ones, and every pairing of the two ids.
  const usual = () => Object.fromEntries(Object.entries(forms).map(([key, values]) => [key, values[0]]));
  for (const [key, values] of Object.entries(forms)) {
    for (const v of values) generated.push({ ...usual(), [key]: v });
  }
  for (const imei of forms.imei!) {
    for (const vehiclenumber of forms.vehiclenumber!) generated.push({ ...usual(), imei, vehiclenumber });
  }

  it('accepts exactly what the schema accepts, with the same fix, and rejects with the same reason', () => {
    const schema = liveLocationSchema(LAGOS);
    let good = 0;
    for (const item of generated) {
      const r = schema.safeParse(item);
      const viaSchema: LocoNavParse = r.success
        ? { ok: true, value: { kind: 'position', fix: r.data } }
        : {
            ok: false,
            reason: r.error.issues
              .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
              .join('; '),
          };
      const label = JSON.stringify(item);
      expect(parseLiveLocationFast(item, LAGOS), label).toStrictEqual(r.success ? r.data : undefined);
      expect(parseLocoNavItem(item, LAGOS), label).toStrictEqual(viaSchema);
      if (r.success) good++;
    }
    expect(good).toBeGreaterThan(100);
    expect(generated.length - good).toBeGreaterThan(100);
  });

  it('reads DD-MM-YYYY HH:MM:SS exactly as the documented pattern and localToUtc do', () => {
    const pattern = /^\s*(\d{2})-(\d{2})-(\d{4})[ T](\d{2}):(\d{2}):(\d{2})\s*$/;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const years = [0, 19, 99, 100, 1900, 1970, 2000, 2019, 2023, 2024, 2100, 2400, 9999];
    const rand = seededRandom(11);
    const int = (n: number) => Math.floor(rand() * n);
    for (let i = 0; i < 3000; i++) {
      const sep = rand() < 0.9 ? ' ' : 'T';
      const gpstime = `${pad(int(33))}-${pad(int(14))}-${pad(years[int(years.length)]!, 4)}${sep}${pad(int(26))}:${pad(int(62))}:${pad(int(62))}`;
      const m = pattern.exec(gpstime)!;
      const local = {
        day: Number(m[1]),
        month: Number(m[2]),
        year: Number(m[3]),
        hour: Number(m[4]),
        minute: Number(m[5]),
        second: Number(m[6]),
      };
      const r = parseLocoNavItem(live({ gpstime }), LAGOS);
      if (isValidLocalDateTime(local)) expect(fixOf(r).fixTime, gpstime).toEqual(localToUtc(local, LAGOS));
      else
        expect(reasonOf(r), gpstime).toBe(
          `gpstime: expected "DD-MM-YYYY HH:MM:SS" or epoch seconds, got "${gpstime}"`,
        );
    }
  });
});

describe('parseLocoNavItem: alerts', () => {
  const geofenceAlert = {
    id: 123,
    vehicle_number: 'kja 123xy',
    polygon_id: 456,
    event_key: 'geofence_enter',
    active_event_time: '2024-02-05T10:30:45Z',
    active_event_latitude: 6.4474,
    active_event_longitude: 3.3671,
    inactive_event_time: '2024-02-05T10:45:00Z',
    inactive_event_latitude: 6.4475,
    inactive_event_longitude: 3.3672,
    created_at: '2024-02-05T10:35:12Z',
    kind: 'GeofenceAlert',
  };

  it('normalizes a GeofenceAlert, keeping LocoNav ids as strings', () => {
    expect(alertOf(parseLocoNavItem(geofenceAlert, LAGOS))).toEqual({
      kind: 'GeofenceAlert',
      vehicleNumber: 'KJA123XY',
      sourceId: '123',
      eventKey: 'geofence_enter',
      polygonId: '456',
      eventTime: new Date('2024-02-05T10:30:45Z'),
      lat: 6.4474,
      lng: 3.3671,
      endTime: new Date('2024-02-05T10:45:00Z'),
    });
  });

  it('accepts a DeviceOfflineAlert, which has no event_key', () => {
    const alert = alertOf(
      parseLocoNavItem(
        {
          id: 9,
          kind: 'DeviceOfflineAlert',
          vehicle_number: 'KJA-123XY',
          active_event_time: '2024-02-10T10:00:00',
        },
        LAGOS,
      ),
    );
    expect(alert.eventKey).toBeNull();
    expect(alert.polygonId).toBeNull();
    // No zone in the string: read in the configured zone.
    expect(alert.eventTime).toEqual(new Date('2024-02-10T09:00:00Z'));
  });

  it('reads active_event_time with Z, with an offset, with no zone, as DD-MM-YYYY, and as epoch', () => {
    const expected = new Date('2022-08-09T09:17:44Z');
    for (const active_event_time of [
      '2022-08-09T09:17:44Z',
      '2022-08-09T14:47:44.000+05:30',
      '2022-08-09T14:47:44+0530',
      '2022-08-09T10:17:44',
      '2022-08-09 10:17:44',
      '09-08-2022 10:17:44',
      1660036664,
      '1660036664000',
    ]) {
      const alert = alertOf(parseLocoNavItem({ ...geofenceAlert, active_event_time }, LAGOS));
      expect(alert.eventTime, String(active_event_time)).toEqual(expected);
    }
  });

  it('keeps milliseconds of an ISO time', () => {
    const alert = alertOf(
      parseLocoNavItem({ ...geofenceAlert, active_event_time: '2024-02-05T10:30:45.250Z' }, LAGOS),
    );
    expect(alert.eventTime.getTime() % 1000).toBe(250);
  });

  it('rejects an impossible active_event_time', () => {
    expect(
      reasonOf(parseLocoNavItem({ ...geofenceAlert, active_event_time: '2024-02-30T10:30:45Z' }, LAGOS)),
    ).toBe(
      'active_event_time: expected an ISO 8601 time, "DD-MM-YYYY HH:MM:SS" or epoch seconds, ' +
        'got "2024-02-30T10:30:45Z"',
    );
  });

  it('rejects a kind we do not handle, listing the ones we do', () => {
    const reason = reasonOf(parseLocoNavItem({ ...geofenceAlert, kind: 'FatigueAlert' }, LAGOS));
    expect(reason).toBe(
      'kind: expected one of GeofenceAlert, OverspeedAlert, IgnitionAlert, IdlingAlert, DeviceOfflineAlert, ' +
        'got "FatigueAlert"',
    );
  });

  it('requires vehicle_number on an alert', () => {
    const { vehicle_number: _, ...rest } = geofenceAlert;
    expect(reasonOf(parseLocoNavItem(rest, LAGOS))).toBe(
      'vehicle_number: expected a vehicle number, got nothing',
    );
  });

  it('treats any item with kind as an alert, even a malformed one', () => {
    expect(reasonOf(parseLocoNavItem({ ...live(), kind: 42 }, LAGOS))).toMatch(/^kind: expected one of/);
  });
});

describe('loconavItems', () => {
  it('takes a body of one object or an array of them', () => {
    expect(loconavItems({ a: 1 })).toEqual([{ a: 1 }]);
    expect(loconavItems([{ a: 1 }, { b: 2 }])).toHaveLength(2);
  });
});
