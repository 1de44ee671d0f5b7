import type { Sql } from '../../src/db/client.ts';
import { EARTH_RADIUS_M } from '../../src/domain/geo.ts';

// One Lagos day to report on, Monday 10 March 2025 (2025-03-09T23:00Z to 2025-03-10T23:00Z), and the week
// before it, written straight into the tables the report reads. The numbers each test expects are worked out
// in the comments here.

export const DAY = '2025-03-10';
/** 06:00 in Lagos the morning after: when the job runs. */
export const REPORT_AT = new Date('2025-03-11T05:00:00Z');
/** Metres in 0.009° along a meridian on the sphere PostGIS uses (use_spheroid = false). */
export const STEP_M = ((0.009 * Math.PI) / 180) * EARTH_RADIUS_M;

export interface SeededDay {
  trucks: Record<'k101' | 'k102' | 'k103' | 'l104', string>;
}

/** Geofences already there by name (the bot harness's Apapa Port) are reused. */
export async function seedDay(sql: Sql): Promise<SeededDay> {
  const geofence = async (name: string, lng: number, lat: number) => {
    const [existing] = await sql`select id from geofences where name = ${name}`;
    if (existing) return existing.id as string;
    const [row] = await sql`
      insert into geofences (name, type, shape, geom, radius_m)
      values (${name}, 'terminal', 'circle', st_setsrid(st_makepoint(${lng}, ${lat}), 4326), 300)
      returning id`;
    return row!.id as string;
  };
  const apapa = await geofence('Apapa Port', 3.36, 6.45);
  const ikeja = await geofence('Ikeja Depot', 3.35, 6.6);
  const tinCan = await geofence('Tin Can Island Port', 3.34, 6.44);
  const agbara = await geofence('Agbara', 3.1, 6.5);

  const truck = async (number: string, status: string, lastFixAt: Date | null) => {
    const [row] = await sql`
      insert into trucks (truck_number, status, last_fix_at, last_location)
      values (${number}, ${status}, ${lastFixAt},
              ${lastFixAt ? sql`st_setsrid(st_makepoint(3.35, 6.5), 4326)::geography` : null})
      returning id`;
    return row!.id as string;
  };
  // Offline at REPORT_AT: k102 (silent since 18:05 Lagos the evening before) and k103 (never reported); k101
  // was heard 10 minutes ago; l104 is in maintenance, so not chased however silent.
  const k101 = await truck('KJA-101AA', 'active', new Date(REPORT_AT.getTime() - 10 * 60_000));
  const k102 = await truck('KJA-102BB', 'active', new Date('2025-03-10T17:05:00Z'));
  const k103 = await truck('KJA-103CC', 'active', null);
  const l104 = await truck('LND-104DD', 'maintenance', null);

  const trip = async (t: {
    number: string;
    origin: string;
    destination: string;
    truckId: string | null;
    status: string;
    dispatched: string;
    completed?: string;
    cancelled?: string;
  }) => {
    const [row] = await sql`
      insert into trips (trip_number, truck_id, origin_geofence_id, destination_geofence_id, status,
                         dispatched_at, completed_at, cancelled_at, created_by, updated_by)
      values (${t.number}, ${t.truckId}, ${t.origin}, ${t.destination}, ${t.status}, ${new Date(t.dispatched)},
              ${t.completed ? new Date(t.completed) : null}, ${t.cancelled ? new Date(t.cancelled) : null},
              'test', 'test')
      returning id`;
    return row!.id as string;
  };
  const apapaIkeja = { origin: apapa, destination: ikeja };
  // The day. Apapa → Ikeja: 5 h and 6 h (median 5 h 30 min, p90 5 h 54 min). Tin Can → Agbara: 2 h.
  await trip({
    ...apapaIkeja,
    number: 'TRP-900001',
    truckId: k101,
    status: 'completed',
    dispatched: '2025-03-10T06:00:00Z',
    completed: '2025-03-10T11:00:00Z',
  });
  await trip({
    ...apapaIkeja,
    number: 'TRP-900002',
    truckId: k102,
    status: 'completed',
    dispatched: '2025-03-10T07:00:00Z',
    completed: '2025-03-10T13:00:00Z',
  });
  await trip({
    origin: tinCan,
    destination: agbara,
    number: 'TRP-900003',
    truckId: k101,
    status: 'completed',
    dispatched: '2025-03-10T12:00:00Z',
    completed: '2025-03-10T14:00:00Z',
  });
  // Still on the road at the day's end (from 21:00 Lagos: 3 h on a trip that day).
  const late = await trip({
    ...apapaIkeja,
    number: 'TRP-900004',
    truckId: k103,
    status: 'in_transit',
    dispatched: '2025-03-10T20:00:00Z',
  });
  await trip({
    ...apapaIkeja,
    number: 'TRP-900005',
    truckId: null,
    status: 'cancelled',
    dispatched: '2025-03-10T09:00:00Z',
    cancelled: '2025-03-10T10:00:00Z',
  });
  // The 7 days before (3rd to 9th). Apapa → Ikeja: 4 h and 5 h (median 4 h 30 min, p90 4 h 54 min).
  await trip({
    ...apapaIkeja,
    number: 'TRP-800001',
    truckId: k101,
    status: 'completed',
    dispatched: '2025-03-05T08:00:00Z',
    completed: '2025-03-05T12:00:00Z',
  });
  await trip({
    ...apapaIkeja,
    number: 'TRP-800002',
    truckId: k102,
    status: 'completed',
    dispatched: '2025-03-09T08:00:00Z',
    completed: '2025-03-09T13:00:00Z',
  });
  // Outside both: completed on the 2nd (8 days before), and after the day (00:30 Lagos on the 11th).
  await trip({
    ...apapaIkeja,
    number: 'TRP-700001',
    truckId: k101,
    status: 'completed',
    dispatched: '2025-03-02T00:00:00Z',
    completed: '2025-03-02T10:00:00Z',
  });
  await trip({
    ...apapaIkeja,
    number: 'TRP-700002',
    truckId: k101,
    status: 'completed',
    dispatched: '2025-03-10T21:00:00Z',
    completed: '2025-03-10T23:30:00Z',
  });

  const event = (type: string, entityType: string, entityId: string, iso: string) =>
    sql`insert into events (type, entity_type, entity_id, occurred_at)
        values (${type}, ${entityType}, ${entityId}, ${new Date(iso)})`;
  // Alerts on the day: k102 three (2 overspeed, 1 offline), k101 one (idling), k103 one (its trip running late).
  await event('loconav.overspeed', 'truck', k102, '2025-03-10T08:00:00Z');
  await event('loconav.overspeed', 'truck', k102, '2025-03-10T09:00:00Z');
  await event('truck.offline', 'truck', k102, '2025-03-10T17:40:00Z');
  await event('loconav.idling', 'truck', k101, '2025-03-10T10:00:00Z');
  await event('trip.delayed', 'trip', late, '2025-03-10T22:00:00Z');
  // Not counted: routine, and the evening before (23:30 Lagos on the 9th).
  await event('geofence.entered', 'truck', k101, '2025-03-10T06:30:00Z');
  await event('loconav.overspeed', 'truck', k101, '2025-03-09T22:30:00Z');

  // k101 drives two 0.009° steps north at 60 km/h: 2 × STEP_M and 2 minutes moving.
  const t0 = new Date('2025-03-10T08:00:00Z').getTime();
  for (const [k, lat] of [6.5, 6.509, 6.518].entries()) {
    await sql`
      insert into vehicle_positions (truck_id, fix_time, location, speed_kmh)
      values (${k101}, ${new Date(t0 + k * 60_000)}, st_setsrid(st_makepoint(3.35, ${lat}), 4326)::geography, 60)`;
  }
  return { trucks: { k101, k102, k103, l104 } };
}

/**
 * Trips on the day: started 6 (900001-900005 and 700002, dispatched 22:00 Lagos), completed 3, in progress at
 * the day's end 2 (900004, 700002), cancelled 1.
 */
export const TRIP_COUNTS = { started: 6, completed: 3, inProgress: 2, cancelled: 1 };
/**
 * On-trip hours on the day: k101 5 + 2 + 2 (700002 until midnight), k102 6, k103 3 (900004 from 21:00 Lagos),
 * over the 3 active trucks' 24 h (l104, in maintenance and idle, is not counted).
 */
export const ON_TRIP_SHARE = (9 + 6 + 3) / (3 * 24);
/** k101's 2 minutes moving, over the 3 trucks' days. */
export const MOVING_SHARE = 2 / 60 / (3 * 24);
