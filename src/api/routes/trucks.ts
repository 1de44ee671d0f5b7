import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TruckNear } from '../../db/analytics.ts';
import type { Sql } from '../../db/client.ts';
import type { TruckLocation, TruckRow } from '../../db/trucks.ts';
import { type NearSource, trucksNear, trucksNearQuerySchema } from '../../fleet/analytics.ts';
import {
  createTruck,
  createTruckSchema,
  getTruck,
  getTruckLocation,
  listTrucks,
  listSchema as listTrucksSchema,
} from '../../fleet/trucks.ts';
import { parseOrThrow } from '../../fleet/validation.ts';
import { requestActor } from '../auth.ts';
import type { RouteDoc } from '../route-docs.ts';

// REST for trucks: parse, call the use case, render. `:id` is a uuid or a truck number (`KJA-123XY`).

interface Params {
  id: string;
}

export function renderTruck(t: TruckRow) {
  return {
    id: t.id,
    truck_number: t.truckNumber,
    imei: t.imei,
    loconav_vehicle_id: t.loconavVehicleId,
    company: t.company,
    fleet_manager: t.fleetManager,
    brand: t.brand,
    trailer_size: t.trailerSize,
    operating_location: t.operatingLocation,
    status: t.status,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

export function renderLocation(l: TruckLocation) {
  return {
    truck: { id: l.truckId, truck_number: l.truckNumber },
    location: l.lat === null || l.lng === null ? null : { lat: l.lat, lng: l.lng },
    last_fix_at: l.lastFixAt?.toISOString() ?? null,
    speed_kmh: l.speedKmh,
    heading_deg: l.headingDeg,
    ignition: l.ignition,
  };
}

// The fleet view hands out the same Date for a truck until it moves: its text is made once, not once per
// answer (a near answer formats up to fifty of them, thousands of times a second).
const isoTexts = new WeakMap<Date, string>();
const isoText = (d: Date) => {
  let text = isoTexts.get(d);
  if (text === undefined) {
    text = d.toISOString();
    isoTexts.set(d, text);
  }
  return text;
};

export function renderTruckNear(t: TruckNear) {
  return {
    id: t.truckId,
    truck_number: t.truckNumber,
    location: { lat: t.lat, lng: t.lng },
    // To the centimetre: a GPS fix is good to a few metres, and the rest of a double's digits is noise.
    distance_m: Math.round(t.distanceM * 100) / 100,
    last_fix_at: t.lastFixAt ? isoText(t.lastFixAt) : null,
    speed_kmh: t.speedKmh,
  };
}

const truckParams = z.strictObject({
  id: z
    .string()
    .meta({ description: 'The truck: its uuid, or its number in any spacing or case (KJA-123XY).' }),
});

export const TRUCK_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/trucks',
    summary: 'List trucks by number, optionally by status, paged',
    tag: 'trucks',
    role: 'viewer',
    query: listTrucksSchema,
    success: { status: 200, description: '{ trucks: [...] }' },
    errors: { 400: 'A filter is out of range.' },
  },
  {
    method: 'POST',
    path: '/api/v1/trucks',
    summary: 'Add a truck; records truck.created',
    tag: 'trucks',
    role: 'dispatcher',
    body: createTruckSchema,
    success: { status: 201, description: 'The truck; Location names it' },
    errors: { 400: 'A field is invalid.', 409: 'The number or IMEI is already on another truck.' },
  },
  {
    method: 'GET',
    path: '/api/v1/trucks/near',
    summary: 'Trucks whose last fix is within a radius of a point, nearest first, with distance_m',
    tag: 'trucks',
    role: 'viewer',
    query: trucksNearQuerySchema,
    success: { status: 200, description: '{ center, radius_m, trucks: [...] } nearest first' },
    errors: { 400: 'lat, lng, radius or limit is out of range.' },
  },
  {
    method: 'GET',
    path: '/api/v1/trucks/{id}',
    summary: 'One truck by uuid or number',
    tag: 'trucks',
    role: 'viewer',
    params: truckParams,
    success: { status: 200, description: 'The truck' },
    errors: { 404: 'No such truck; the message suggests close numbers.' },
  },
  {
    method: 'GET',
    path: '/api/v1/trucks/{id}/location',
    summary: "A truck's last known fix (nulls before its first)",
    tag: 'trucks',
    role: 'viewer',
    params: truckParams,
    success: { status: 200, description: 'Location, fix time, speed, heading, ignition' },
    errors: { 404: 'No such truck.' },
  },
];

export function truckRoutes(deps: { sql: Sql; near?: NearSource }) {
  const { sql } = deps;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/trucks', async (req) => {
      const query = req.query ?? {};
      const trucks = await listTrucks(sql, requestActor(req), query);
      return { trucks: trucks.map(renderTruck) };
    });

    app.post('/api/v1/trucks', async (req, reply) => {
      const row = await createTruck(sql, requestActor(req), req.body);
      reply.code(201).header('location', `/api/v1/trucks/${row.id}`);
      return renderTruck(row);
    });

    // A static segment outranks `:id` in fastify's router whatever the order, so no truck can be named `near`
    // by URL; a truck numbered NEAR is still reachable by its uuid.
    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/trucks/near', async (req) => {
      const q = parseOrThrow(trucksNearQuerySchema, req.query ?? {}, 'location query');
      const trucks = await trucksNear(
        sql,
        requestActor(req),
        { lat: q.lat, lng: q.lng, radiusM: q.radius, limit: q.limit },
        deps.near,
      );
      return { center: { lat: q.lat, lng: q.lng }, radius_m: q.radius, trucks: trucks.map(renderTruckNear) };
    });

    app.get<{ Params: Params }>('/api/v1/trucks/:id', async (req) =>
      renderTruck(await getTruck(sql, requestActor(req), req.params.id)),
    );

    app.get<{ Params: Params }>('/api/v1/trucks/:id/location', async (req) =>
      renderLocation(await getTruckLocation(sql, requestActor(req), req.params.id)),
    );
  };
}
