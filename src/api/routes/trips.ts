import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/client.ts';
import {
  cancelTrip,
  createTrip,
  createTripSchema,
  getTrip,
  getTripTracking,
  listTrips,
  listTripsSchema,
  type TripTracking,
  type TripView,
  updateStatusSchema,
  updateTripStatus,
} from '../../fleet/trips.ts';
import { parseOrThrow } from '../../fleet/validation.ts';
import { requestActor, requireApiRole } from '../auth.ts';
import type { RouteDoc } from '../route-docs.ts';

// REST for trips: parse, call the use case, render. `:id` is a uuid or a trip number (`TRP-000042`, `42`).
// Every trip carries its `version`; send it back on a status change so a stale screen gets 409, not a
// silent overwrite.

interface Params {
  id: string;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function renderTrip(t: TripView) {
  return {
    id: t.id,
    trip_number: t.tripNumber,
    status: t.status,
    status_label: t.statusLabel,
    next_statuses: t.nextStatuses,
    truck: t.truckId ? { id: t.truckId, truck_number: t.truckNumber } : null,
    origin: { id: t.originGeofenceId, name: t.originName },
    destination: { id: t.destinationGeofenceId, name: t.destinationName },
    client: t.client,
    cargo: t.cargo,
    planned_start_at: iso(t.plannedStartAt),
    eta: iso(t.eta),
    dispatched_at: iso(t.dispatchedAt),
    arrived_pickup_at: iso(t.arrivedPickupAt),
    departed_pickup_at: iso(t.departedPickupAt),
    arrived_dropoff_at: iso(t.arrivedDropoffAt),
    delivered_at: iso(t.deliveredAt),
    completed_at: iso(t.completedAt),
    cancelled_at: iso(t.cancelledAt),
    cancel_reason: t.cancelReason,
    version: t.version,
    created_by: t.createdBy,
    updated_by: t.updatedBy,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

export function renderTracking(k: TripTracking) {
  return {
    trip: {
      id: k.trip.id,
      trip_number: k.trip.tripNumber,
      status: k.trip.status,
      truck: k.trip.truckId ? { id: k.trip.truckId, truck_number: k.trip.truckNumber } : null,
    },
    from: k.from.toISOString(),
    to: k.to.toISOString(),
    total_points: k.totalPoints,
    path: k.path,
    fix_times: k.fixTimes.map((d) => d.toISOString()),
    stages: Object.fromEntries(Object.entries(k.stages).map(([status, at]) => [status, iso(at)])),
  };
}

const tripParams = z.strictObject({
  id: z.string().meta({ description: 'The trip: its uuid, or its number (TRP-000042, trp-42 or 42).' }),
});

export const TRIP_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'POST',
    path: '/api/v1/trips',
    summary: 'Plan a trip (status planned); the truck is optional until dispatch; records trip.created',
    tag: 'trips',
    role: 'dispatcher',
    body: createTripSchema,
    success: { status: 201, description: 'The trip with its number (TRP-000042); Location names it' },
    errors: {
      400: 'A field is invalid; the message names it.',
      404: 'The origin, destination or truck does not exist.',
      409: 'The truck is already on another open trip (WT_TRUCK_BUSY, naming it).',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/trips',
    summary:
      'List trips newest first: by status (comma-separated), active, a Lagos day (created or planned), truck; paged',
    tag: 'trips',
    role: 'viewer',
    query: listTripsSchema,
    success: { status: 200, description: '{ trips: [...] }' },
    errors: { 400: 'A filter is invalid.', 404: 'The truck filter names no truck.' },
  },
  {
    method: 'GET',
    path: '/api/v1/trips/{id}',
    summary: 'One trip by uuid or number, with its allowed next statuses',
    tag: 'trips',
    role: 'viewer',
    params: tripParams,
    success: { status: 200, description: 'The trip' },
    errors: { 404: 'No such trip.' },
  },
  {
    method: 'PUT',
    path: '/api/v1/trips/{id}/status',
    summary:
      'Move a trip one step forward, or cancel it before delivery (note is the reason); records trip.status_changed or trip.cancelled',
    tag: 'trips',
    role: 'dispatcher',
    params: tripParams,
    body: updateStatusSchema,
    success: { status: 200, description: 'The trip as changed, with its new version' },
    errors: {
      400: 'A field is invalid.',
      404: 'No such trip.',
      409: 'Not allowed from its status (the message names what is), or someone else changed it first.',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/trips/{id}/tracking',
    summary:
      "The truck's path over the trip as a GeoJSON LineString (dispatch to completion, cancellation or now; at most 5,000 points, thinned evenly) and each stage's time",
    tag: 'trips',
    role: 'viewer',
    params: tripParams,
    success: { status: 200, description: '{ trip, from, to, total_points, path, fix_times, stages }' },
    errors: { 404: 'No such trip.' },
  },
];

export function tripRoutes(deps: { sql: Sql }) {
  const { sql } = deps;
  return async (app: FastifyInstance) => {
    app.post('/api/v1/trips', async (req, reply) => {
      const trip = await createTrip(sql, requestActor(req), req.body);
      reply.code(201).header('location', `/api/v1/trips/${trip.tripNumber}`);
      return renderTrip(trip);
    });

    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/trips', async (req) => {
      const trips = await listTrips(sql, requestActor(req), req.query ?? {});
      return { trips: trips.map(renderTrip) };
    });

    app.get<{ Params: Params }>('/api/v1/trips/:id', async (req) =>
      renderTrip(await getTrip(sql, requestActor(req), req.params.id)),
    );

    // The role is checked before the body, so a viewer hears "not allowed" rather than about a field.
    const canChange = { preHandler: requireApiRole('dispatcher', 'change trip statuses') };
    app.put<{ Params: Params }>('/api/v1/trips/:id/status', canChange, async (req) => {
      const actor = requestActor(req);
      const change = parseOrThrow(updateStatusSchema, req.body, 'trip status change');
      const trip =
        change.status === 'cancelled'
          ? await cancelTrip(sql, actor, req.params.id, {
              reason: change.note,
              expectedVersion: change.expectedVersion,
            })
          : await updateTripStatus(sql, actor, req.params.id, change);
      return renderTrip(trip);
    });

    app.get<{ Params: Params }>('/api/v1/trips/:id/tracking', async (req) =>
      renderTracking(await getTripTracking(sql, requestActor(req), req.params.id)),
    );
  };
}
