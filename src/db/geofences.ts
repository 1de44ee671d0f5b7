import type { GeofenceShape } from '../domain/geofence-shape.ts';
import type { Sql, TxSql } from './client.ts';

// Geofences as stored: a polygon as its Polygon, a circle as its centre Point + radius_m, a corridor as its
// route LineString + width_m (the full width, half on each side). Deleting one only deactivates it, because
// trips and presence history keep pointing at it.

type Q = Sql | TxSql;

export const GEOFENCE_TYPES = ['terminal', 'client', 'checkpoint', 'corridor', 'depot'] as const;
export type GeofenceType = (typeof GEOFENCE_TYPES)[number];

export interface GeofenceValues {
  name: string;
  type: GeofenceType;
  shape: GeofenceShape;
  /** null: the watcher's default. */
  minDwellS: number | null;
  exitMarginM: number | null;
}

export interface GeofenceRow extends GeofenceValues {
  id: string;
  active: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What the spatial index and the presence watcher need, nothing more. */
export interface ActiveGeofenceShape {
  id: string;
  name: string;
  type: GeofenceType;
  shape: GeofenceShape;
  minDwellS: number | null;
  exitMarginM: number | null;
}

export interface GeofenceFingerprint {
  count: number;
  /** Every write bumps a version, so this moves even when a slow transaction commits an older updated_at. */
  versionSum: number;
  lastUpdatedAt: Date | null;
  /** Compare this one string between polls. */
  fingerprint: string;
}

export interface TruckInGeofence {
  truckId: string;
  truckNumber: string;
  enteredAt: Date;
  lastFixAt: Date | null;
  lat: number | null;
  lng: number | null;
}

export interface NearestGeofence {
  id: string;
  name: string;
  type: GeofenceType;
  /** 0 when inside, else metres to the boundary (to the circle's rim, the corridor's edge). */
  distanceM: number;
}

/** The GeoJSON geometry a shape is stored as (a circle is stored as its centre). */
function shapeGeometry(shape: GeofenceShape): string {
  switch (shape.kind) {
    case 'polygon':
      return JSON.stringify({ type: 'Polygon', coordinates: shape.coordinates });
    case 'circle':
      return JSON.stringify({ type: 'Point', coordinates: [shape.center.lng, shape.center.lat] });
    case 'corridor':
      return JSON.stringify({ type: 'LineString', coordinates: shape.line });
  }
}

function shapeColumns(shape: GeofenceShape) {
  return {
    geometry: shapeGeometry(shape),
    radiusM: shape.kind === 'circle' ? shape.radiusM : null,
    widthM: shape.kind === 'corridor' ? shape.widthM : null,
  };
}

function rowShape(r: Record<string, unknown>): GeofenceShape {
  const geometry = r.geojson as { coordinates: unknown };
  switch (r.shape) {
    case 'polygon':
      return { kind: 'polygon', coordinates: geometry.coordinates as number[][][] };
    case 'circle': {
      const [lng, lat] = geometry.coordinates as [number, number];
      return { kind: 'circle', center: { lat, lng }, radiusM: Number(r.radius_m) };
    }
    case 'corridor':
      return { kind: 'corridor', line: geometry.coordinates as number[][], widthM: Number(r.width_m) };
    default:
      throw new Error(`geofence ${String(r.id)} has unknown shape ${String(r.shape)}`);
  }
}

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toGeofence(r: Record<string, unknown>): GeofenceRow {
  return {
    id: r.id as string,
    name: r.name as string,
    type: r.type as GeofenceType,
    shape: rowShape(r),
    minDwellS: nullableNumber(r.min_dwell_s),
    exitMarginM: nullableNumber(r.exit_margin_m),
    active: r.active as boolean,
    version: Number(r.version),
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** Why PostGIS finds a polygon invalid (edges crossing, say), or null when it is fine or not a polygon. */
export async function shapeProblem(sql: Q, shape: GeofenceShape): Promise<string | null> {
  if (shape.kind !== 'polygon') return null;
  const [row] = await sql`
    select case when st_isvalid(g) then null else st_isvalidreason(g) end as problem
    from st_geomfromgeojson(${shapeGeometry(shape)}::text) as g`;
  return (row?.problem as string | null) ?? null;
}

export async function insertGeofence(sql: Q, values: GeofenceValues): Promise<GeofenceRow> {
  const { geometry, radiusM, widthM } = shapeColumns(values.shape);
  const [row] = await sql`
    insert into geofences (name, type, shape, geom, radius_m, width_m, min_dwell_s, exit_margin_m)
    values (${values.name}, ${values.type}, ${values.shape.kind},
            st_setsrid(st_geomfromgeojson(${geometry}::text), 4326),
            ${radiusM}, ${widthM}, ${values.minDwellS}, ${values.exitMarginM})
    returning *, st_asgeojson(geom)::json as geojson`;
  return toGeofence(row!);
}

/** Replaces a live geofence's values and bumps its version; undefined when absent, inactive or stale. */
export async function updateGeofence(
  sql: Q,
  id: string,
  values: GeofenceValues,
  expectedVersion?: number,
): Promise<GeofenceRow | undefined> {
  const { geometry, radiusM, widthM } = shapeColumns(values.shape);
  const [row] = await sql`
    update geofences set
      name = ${values.name}, type = ${values.type}, shape = ${values.shape.kind},
      geom = st_setsrid(st_geomfromgeojson(${geometry}::text), 4326),
      radius_m = ${radiusM}, width_m = ${widthM},
      min_dwell_s = ${values.minDwellS}, exit_margin_m = ${values.exitMarginM},
      version = version + 1, updated_at = now()
    where id = ${id} and active and (${expectedVersion ?? null}::int is null or version = ${expectedVersion ?? null})
    returning *, st_asgeojson(geom)::json as geojson`;
  return row ? toGeofence(row) : undefined;
}

/** Soft delete; undefined when absent or already inactive. */
export async function deactivateGeofence(sql: Q, id: string): Promise<GeofenceRow | undefined> {
  const [row] = await sql`
    update geofences set active = false, version = version + 1, updated_at = now()
    where id = ${id} and active
    returning *, st_asgeojson(geom)::json as geojson`;
  return row ? toGeofence(row) : undefined;
}

/** Active or not; callers decide whether a deactivated one counts. `forUpdate` locks the row. */
export async function getGeofenceById(
  sql: Q,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<GeofenceRow | undefined> {
  const [row] = opts.forUpdate
    ? await sql`select *, st_asgeojson(geom)::json as geojson from geofences where id = ${id} for update`
    : await sql`select *, st_asgeojson(geom)::json as geojson from geofences where id = ${id}`;
  return row ? toGeofence(row) : undefined;
}

/** The live geofence with this name, ignoring case and surrounding spaces. */
export async function findGeofenceByName(sql: Q, name: string): Promise<GeofenceRow | undefined> {
  const [row] = await sql`
    select *, st_asgeojson(geom)::json as geojson from geofences
    where active and lower(name) = lower(${name.trim()})`;
  return row ? toGeofence(row) : undefined;
}

export async function listActiveGeofences(
  sql: Q,
  opts: { type?: GeofenceType } = {},
): Promise<GeofenceRow[]> {
  const rows = await sql`
    select *, st_asgeojson(geom)::json as geojson from geofences
    where active and (${opts.type ?? null}::text is null or type = ${opts.type ?? null})
    order by lower(name)`;
  return rows.map(toGeofence);
}

export async function listActiveShapes(sql: Q): Promise<ActiveGeofenceShape[]> {
  const rows = await sql`
    select id, name, type, shape, radius_m, width_m, min_dwell_s, exit_margin_m,
           st_asgeojson(geom)::json as geojson
    from geofences where active order by id`;
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    type: r.type as GeofenceType,
    shape: rowShape(r),
    minDwellS: nullableNumber(r.min_dwell_s),
    exitMarginM: nullableNumber(r.exit_margin_m),
  }));
}

/** A cheap fingerprint over all rows (live or not): it changes whenever any geofence is written. */
export async function geofenceVersion(sql: Q): Promise<GeofenceFingerprint> {
  const [row] = await sql`
    select count(*)::int as count, coalesce(sum(version), 0)::int as version_sum, max(updated_at) as last
    from geofences`;
  const count = Number(row!.count);
  const versionSum = Number(row!.version_sum);
  const lastUpdatedAt = (row!.last as Date | null) ?? null;
  return {
    count,
    versionSum,
    lastUpdatedAt,
    fingerprint: `${count}:${versionSum}:${lastUpdatedAt?.getTime() ?? 0}`,
  };
}

/** Trucks currently inside (an open presence row), earliest arrival first, with their last fix. */
export async function trucksInside(sql: Q, geofenceId: string): Promise<TruckInGeofence[]> {
  const rows = await sql`
    select t.id, t.truck_number, p.entered_at, t.last_fix_at,
           st_y(t.last_location::geometry) as lat, st_x(t.last_location::geometry) as lng
    from geofence_presence p join trucks t on t.id = p.truck_id
    where p.geofence_id = ${geofenceId} and p.exited_at is null
    order by p.entered_at, t.truck_number`;
  return rows.map((r) => ({
    truckId: r.id as string,
    truckNumber: r.truck_number as string,
    enteredAt: r.entered_at as Date,
    lastFixAt: (r.last_fix_at as Date | null) ?? null,
    lat: nullableNumber(r.lat),
    lng: nullableNumber(r.lng),
  }));
}

/**
 * The live geofence closest to a point, measured on the spheroid to its boundary (0 inside). Scans every
 * live geofence: fleets have hundreds, not millions.
 */
export async function nearestGeofence(
  sql: Q,
  lat: number,
  lng: number,
): Promise<NearestGeofence | undefined> {
  const [row] = await sql`
    with here as (select st_setsrid(st_makepoint(${lng}, ${lat}), 4326)::geography as pt)
    select g.id, g.name, g.type,
           greatest(0, st_distance(g.geom::geography, here.pt)
                       - case g.shape when 'circle' then g.radius_m
                                      when 'corridor' then g.width_m / 2
                                      else 0 end) as distance_m
    from geofences g, here
    where g.active
    order by distance_m, g.name
    limit 1`;
  if (!row) return undefined;
  return {
    id: row.id as string,
    name: row.name as string,
    type: row.type as GeofenceType,
    distanceM: Number(row.distance_m),
  };
}

/** Open trips that start or end at this geofence (a deactivated fence would strand them). */
export async function openTripsAt(sql: Q, geofenceId: string): Promise<string[]> {
  const rows = await sql`
    select trip_number from trips
    where status not in ('completed', 'cancelled')
      and (origin_geofence_id = ${geofenceId} or destination_geofence_id = ${geofenceId})
    order by trip_number`;
  return rows.map((r) => r.trip_number as string);
}

export interface GeofenceName {
  id: string;
  name: string;
  type: GeofenceType;
}

/** Every live geofence's id, name and type: what fuzzy place lookup ranks (no shapes). */
export async function liveGeofenceNames(sql: Q): Promise<GeofenceName[]> {
  const rows = await sql`select id, name, type from geofences where active order by lower(name)`;
  return rows.map((r) => ({ id: r.id as string, name: r.name as string, type: r.type as GeofenceType }));
}

/** The geofence's centre (a circle's centre, a polygon's or corridor's centroid), for "trucks near" it. */
export async function geofenceCentre(sql: Q, id: string): Promise<{ lat: number; lng: number } | undefined> {
  const [row] = await sql`
    select st_y(st_centroid(geom)) as lat, st_x(st_centroid(geom)) as lng from geofences where id = ${id}`;
  return row ? { lat: Number(row.lat), lng: Number(row.lng) } : undefined;
}
