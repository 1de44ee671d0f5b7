import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/client.ts';
import type { GeofenceRow, TruckInGeofence } from '../../db/geofences.ts';
import type { GeofenceShape } from '../../domain/geofence-shape.ts';
import {
  createGeofence,
  createGeofenceSchema,
  deleteGeofence,
  getGeofence,
  listGeofences,
  listSchema as listGeofencesSchema,
  trucksInGeofence,
  updateGeofence,
  updateGeofenceSchema,
} from '../../fleet/geofences.ts';
import { requestActor } from '../auth.ts';
import type { RouteDoc } from '../route-docs.ts';

// REST for geofences: parse, call the use case, render. A boundary goes out in the form it came in (GeoJSON
// Polygon, GeoJSON LineString + width_m, or {center, radius_m}), so a client can PUT back what it GETs.

interface Params {
  id: string;
}

/** The REST boundary form of a shape: the inverse of boundarySchema. */
export function renderBoundary(shape: GeofenceShape): Record<string, unknown> {
  switch (shape.kind) {
    case 'polygon':
      return { type: 'Polygon', coordinates: shape.coordinates };
    case 'circle':
      return { center: { lat: shape.center.lat, lng: shape.center.lng }, radius_m: shape.radiusM };
    case 'corridor':
      return { type: 'LineString', coordinates: shape.line, width_m: shape.widthM };
  }
}

export function renderGeofence(g: GeofenceRow) {
  return {
    id: g.id,
    name: g.name,
    type: g.type,
    boundary: renderBoundary(g.shape),
    min_dwell_s: g.minDwellS,
    exit_margin_m: g.exitMarginM,
    version: g.version,
    created_at: g.createdAt.toISOString(),
    updated_at: g.updatedAt.toISOString(),
  };
}

const renderTruckInside = (t: TruckInGeofence) => ({
  id: t.truckId,
  truck_number: t.truckNumber,
  entered_at: t.enteredAt.toISOString(),
  last_fix_at: t.lastFixAt?.toISOString() ?? null,
  location: t.lat === null || t.lng === null ? null : { lat: t.lat, lng: t.lng },
});

const geofenceParams = z.strictObject({
  id: z.string().meta({ description: 'The geofence: its uuid, or its name in any case.' }),
});

const BOUNDARY =
  'boundary: a GeoJSON Polygon, a GeoJSON LineString with width_m (a corridor), or {center: {lat, lng}, radius_m}.';

export const GEOFENCE_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/geofences',
    summary: 'List live geofences, optionally by type',
    tag: 'geofences',
    role: 'viewer',
    query: listGeofencesSchema,
    success: { status: 200, description: '{ geofences: [...] }' },
    errors: { 400: 'Unknown type.' },
  },
  {
    method: 'POST',
    path: '/api/v1/geofences',
    summary: `Draw a geofence; ${BOUNDARY}`,
    tag: 'geofences',
    role: 'dispatcher',
    body: createGeofenceSchema,
    success: { status: 201, description: 'The geofence; Location names it' },
    errors: { 400: 'A field or the boundary is invalid.', 409: 'A live geofence already has that name.' },
  },
  {
    method: 'GET',
    path: '/api/v1/geofences/{id}',
    summary: 'One live geofence by uuid or name',
    tag: 'geofences',
    role: 'viewer',
    params: geofenceParams,
    success: { status: 200, description: 'The geofence, boundary in the form it was drawn' },
    errors: { 404: 'No such live geofence.' },
  },
  {
    method: 'PUT',
    path: '/api/v1/geofences/{id}',
    summary: 'Change a geofence; send version to refuse a stale edit',
    tag: 'geofences',
    role: 'dispatcher',
    params: geofenceParams,
    body: updateGeofenceSchema,
    success: { status: 200, description: 'The geofence as changed' },
    errors: {
      400: 'A field is invalid or nothing would change.',
      404: 'No such live geofence.',
      409: 'The version is stale or the name is taken.',
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/geofences/{id}',
    summary: 'Remove a geofence (deactivated; history keeps pointing at it)',
    tag: 'geofences',
    role: 'dispatcher',
    params: geofenceParams,
    success: { status: 204, description: 'Removed' },
    errors: { 404: 'No such live geofence.' },
  },
  {
    method: 'GET',
    path: '/api/v1/geofences/{id}/trucks',
    summary: 'Trucks inside a geofence now, with when they entered',
    tag: 'geofences',
    role: 'viewer',
    params: geofenceParams,
    success: { status: 200, description: '{ geofence, trucks: [...] }' },
    errors: { 404: 'No such live geofence.' },
  },
];

export function geofenceRoutes(deps: { sql: Sql }) {
  const { sql } = deps;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/geofences', async (req) => {
      const geofences = await listGeofences(sql, requestActor(req), req.query ?? {});
      return { geofences: geofences.map(renderGeofence) };
    });

    app.post('/api/v1/geofences', async (req, reply) => {
      const row = await createGeofence(sql, requestActor(req), req.body);
      reply.code(201).header('location', `/api/v1/geofences/${row.id}`);
      return renderGeofence(row);
    });

    app.get<{ Params: Params }>('/api/v1/geofences/:id', async (req) =>
      renderGeofence(await getGeofence(sql, requestActor(req), req.params.id)),
    );

    app.put<{ Params: Params }>('/api/v1/geofences/:id', async (req) =>
      renderGeofence(await updateGeofence(sql, requestActor(req), req.params.id, req.body)),
    );

    app.delete<{ Params: Params }>('/api/v1/geofences/:id', async (req, reply) => {
      await deleteGeofence(sql, requestActor(req), req.params.id);
      reply.code(204);
    });

    app.get<{ Params: Params }>('/api/v1/geofences/:id/trucks', async (req) => {
      const { geofence, trucks } = await trucksInGeofence(sql, requestActor(req), req.params.id);
      return { geofence: { id: geofence.id, name: geofence.name }, trucks: trucks.map(renderTruckInside) };
    });
  };
}
