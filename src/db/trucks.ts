import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';
import { insertEvents } from './events.ts';

// Trucks: the registry (numbers, devices, owners) and the current location the position writer keeps on
// each row. Truck numbers are stored normalised (upper case, no spaces) so `kja 123xy` finds `KJA123XY`.

type Q = Sql | TxSql;

export const TRUCK_STATUSES = ['active', 'inactive', 'maintenance', 'unassigned'] as const;
export type TruckStatus = (typeof TRUCK_STATUSES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

export function normalizeTruckNumber(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

export interface TruckValues {
  truckNumber: string;
  imei?: string | null;
  loconavVehicleId?: string | null;
  company?: string | null;
  fleetManager?: string | null;
  brand?: string | null;
  trailerSize?: string | null;
  operatingLocation?: string | null;
  status?: TruckStatus;
}

export interface TruckRow {
  id: string;
  truckNumber: string;
  imei: string | null;
  loconavVehicleId: string | null;
  company: string | null;
  fleetManager: string | null;
  brand: string | null;
  trailerSize: string | null;
  operatingLocation: string | null;
  status: TruckStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface TruckLocation {
  truckId: string;
  truckNumber: string;
  /** null until the first fix arrives. */
  lat: number | null;
  lng: number | null;
  lastFixAt: Date | null;
  speedKmh: number | null;
  headingDeg: number | null;
  ignition: boolean | null;
}

export interface VehicleKey {
  imei?: string | null;
  vehicleNumber?: string | null;
}

export interface ResolvedTruck {
  id: string;
  truckNumber: string;
  imei: string | null;
}

const TRUCK_COLUMNS = [
  'id',
  'truck_number',
  'imei',
  'loconav_vehicle_id',
  'company',
  'fleet_manager',
  'brand',
  'trailer_size',
  'operating_location',
  'status',
  'created_at',
  'updated_at',
];

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined || v === null ? null : v);
const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toTruck(r: Record<string, unknown>): TruckRow {
  return {
    id: r.id as string,
    truckNumber: r.truck_number as string,
    imei: orNull(r.imei as string | null),
    loconavVehicleId: orNull(r.loconav_vehicle_id as string | null),
    company: orNull(r.company as string | null),
    fleetManager: orNull(r.fleet_manager as string | null),
    brand: orNull(r.brand as string | null),
    trailerSize: orNull(r.trailer_size as string | null),
    operatingLocation: orNull(r.operating_location as string | null),
    status: r.status as TruckStatus,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

export async function listTrucks(
  sql: Q,
  opts: { status?: TruckStatus; limit: number; offset: number },
): Promise<TruckRow[]> {
  const rows = await sql`
    select ${sql(TRUCK_COLUMNS)} from trucks
    where (${opts.status ?? null}::text is null or status = ${opts.status ?? null})
    order by truck_number
    limit ${opts.limit} offset ${opts.offset}`;
  return rows.map(toTruck);
}

export async function insertTruck(sql: Q, values: TruckValues): Promise<TruckRow> {
  const [row] = await sql`
    insert into trucks (truck_number, imei, loconav_vehicle_id, company, fleet_manager, brand, trailer_size,
                        operating_location, status)
    values (${normalizeTruckNumber(values.truckNumber)}, ${orNull(values.imei)}, ${orNull(values.loconavVehicleId)},
            ${orNull(values.company)}, ${orNull(values.fleetManager)}, ${orNull(values.brand)},
            ${orNull(values.trailerSize)}, ${orNull(values.operatingLocation)}, ${values.status ?? 'active'})
    returning ${sql(TRUCK_COLUMNS)}`;
  return toTruck(row!);
}

/** By uuid, or by truck number in any spacing or case. */
export async function getTruck(sql: Q, key: string): Promise<TruckRow | undefined> {
  const trimmed = key.trim();
  const [row] = isUuid(trimmed)
    ? await sql`select ${sql(TRUCK_COLUMNS)} from trucks where id = ${trimmed}`
    : await sql`select ${sql(TRUCK_COLUMNS)} from trucks
                where truck_number = ${normalizeTruckNumber(trimmed)}`;
  return row ? toTruck(row) : undefined;
}

/**
 * Truck numbers that might be the one meant: the same digits, or a length within 2 (the caller ranks those
 * by edit distance). Prunes in SQL so a miss does not read the whole fleet.
 */
export async function truckNumberCandidates(sql: Q, wanted: string, limit = 200): Promise<string[]> {
  const number = normalizeTruckNumber(wanted);
  const digits = number.replace(/\D/g, '');
  const rows = await sql`
    select truck_number from trucks
    where (${digits} <> '' and regexp_replace(truck_number, '[^0-9]', '', 'g') = ${digits})
       or abs(length(truck_number) - ${number.length}) <= 2
    order by truck_number
    limit ${limit}`;
  return rows.map((r) => r.truck_number as string);
}

/** Every truck's last fix time and speed in one query (fleet summaries). */
export async function listLastFixes(
  sql: Q,
): Promise<{ truckId: string; lastFixAt: Date | null; speedKmh: number | null }[]> {
  const rows = await sql`select id, last_fix_at, last_speed_kmh from trucks where status <> 'inactive'`;
  return rows.map((r) => ({
    truckId: r.id as string,
    lastFixAt: (r.last_fix_at as Date | null) ?? null,
    speedKmh: nullableNumber(r.last_speed_kmh),
  }));
}

/** A truck's current location, by uuid or truck number, in one query (the API's hottest read). */
export async function getTruckLocation(sql: Q, key: string): Promise<TruckLocation | undefined> {
  const trimmed = key.trim();
  const match = isUuid(trimmed) ? sql`id = ${trimmed}` : sql`truck_number = ${normalizeTruckNumber(trimmed)}`;
  const [row] = await sql`
    select id, truck_number, last_fix_at, last_speed_kmh, last_heading_deg, last_ignition,
           st_y(last_location::geometry) as lat, st_x(last_location::geometry) as lng
    from trucks where ${match}`;
  if (!row) return undefined;
  return {
    truckId: row.id as string,
    truckNumber: row.truck_number as string,
    lat: nullableNumber(row.lat),
    lng: nullableNumber(row.lng),
    lastFixAt: (row.last_fix_at as Date | null) ?? null,
    speedKmh: nullableNumber(row.last_speed_kmh),
    headingDeg: nullableNumber(row.last_heading_deg),
    ignition: (row.last_ignition as boolean | null) ?? null,
  };
}

const keyImei = (k: VehicleKey) => (k.imei?.trim() ? k.imei.trim() : null);
const keyNumber = (k: VehicleKey) => {
  const n = k.vehicleNumber ? normalizeTruckNumber(k.vehicleNumber) : '';
  return n === '' ? null : n;
};

/**
 * Looks many vehicles up in one round trip; the answer is aligned with `keys` (undefined: unknown). The
 * IMEI wins over the number when they point at different trucks: it names the device actually reporting.
 */
export async function resolveTrucks(
  sql: Q,
  keys: readonly VehicleKey[],
): Promise<(ResolvedTruck | undefined)[]> {
  if (keys.length === 0) return [];
  const rows = await sql`
    select k.ord, t.id, t.truck_number, t.imei
    from unnest(${pgArray(keys.map(keyImei))}::text[], ${pgArray(keys.map(keyNumber))}::text[]) with ordinality as k(imei, num, ord)
    cross join lateral (
      select id, truck_number, imei from trucks
      where imei = k.imei or truck_number = k.num
      order by (imei = k.imei) is true desc
      limit 1
    ) t`;
  const out: (ResolvedTruck | undefined)[] = new Array(keys.length).fill(undefined);
  for (const r of rows) {
    out[Number(r.ord) - 1] = {
      id: r.id as string,
      truckNumber: r.truck_number as string,
      imei: (r.imei as string | null) ?? null,
    };
  }
  return out;
}

export interface RegisterOptions {
  /** Recorded on each `truck.registered` event, e.g. `system:ingest`. */
  actor: string;
  correlationId?: string | null;
}

/**
 * Inserts vehicles seen on the wire but not in the registry, as status 'unassigned', and writes a
 * `truck.registered` event for each in the same transaction. Returns only the trucks this call inserted,
 * so when two consumers race over the same new vehicle exactly one of them reports it. A vehicle without a
 * number is registered as `IMEI-<imei>`; one with neither is skipped.
 */
export async function registerUnknownTrucks(
  sql: Sql,
  vehicles: readonly VehicleKey[],
  opts: RegisterOptions,
): Promise<ResolvedTruck[]> {
  const byNumber = new Map<string, string | null>();
  for (const v of vehicles) {
    const imei = keyImei(v);
    const number = keyNumber(v) ?? (imei ? `IMEI-${imei}` : null);
    if (number && !byNumber.has(number)) byNumber.set(number, imei);
  }
  if (byNumber.size === 0) return [];
  return sql.begin(async (tx) => {
    // Sorted so concurrent batches take the unique-index locks in the same order and cannot deadlock.
    const numbers = [...byNumber.keys()].sort();
    const rows = await tx`
      insert into trucks (truck_number, imei, status)
      select v.num, v.imei, 'unassigned'
      from unnest(${pgArray(numbers)}::text[], ${pgArray(numbers.map((n) => byNumber.get(n) ?? null))}::text[]) as v(num, imei)
      on conflict do nothing
      returning id, truck_number, imei`;
    const inserted = rows.map((r) => ({
      id: r.id as string,
      truckNumber: r.truck_number as string,
      imei: (r.imei as string | null) ?? null,
    }));
    await insertEvents(
      tx,
      inserted.map((t) => ({
        type: 'truck.registered',
        entityType: 'truck',
        entityId: t.id,
        payload: { truck_number: t.truckNumber, imei: t.imei, status: 'unassigned' },
        actor: opts.actor,
        correlationId: opts.correlationId ?? null,
      })),
    );
    return inserted;
  });
}

export interface CurrentLocation {
  truckId: string;
  truckNumber: string;
  lat: number;
  lng: number;
  lastFixAt: Date | null;
  speedKmh: number | null;
}

/** Every truck's current location (trucks that never reported are left out): the API's in-memory fleet view. */
export async function listCurrentLocations(sql: Q): Promise<CurrentLocation[]> {
  const rows = await sql`
    select id, truck_number, last_fix_at, last_speed_kmh,
           st_y(last_location::geometry) as lat, st_x(last_location::geometry) as lng
    from trucks where last_location is not null`;
  return rows.map((r) => ({
    truckId: r.id as string,
    truckNumber: r.truck_number as string,
    lat: Number(r.lat),
    lng: Number(r.lng),
    lastFixAt: (r.last_fix_at as Date | null) ?? null,
    speedKmh: nullableNumber(r.last_speed_kmh),
  }));
}
