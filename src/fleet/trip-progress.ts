import type { Sql } from '../db/client.ts';
import type { StoredEvent } from '../db/events.ts';
import type { TripRow } from '../db/trips.ts';
import * as db from '../db/trips.ts';
import { uuidFromText } from '../domain/ids.ts';
import { autoAdvance, type TripStatus } from '../domain/trip-state.ts';
import { versionConflict, writeStatusChange } from './trips.ts';

// Trip progress: a consumer of the events stream that moves a truck's active trip when the geofence watcher
// sees the truck enter or leave the trip's origin or destination. The state machine decides (autoAdvance);
// this file only reads, writes and stays idempotent under redelivery:
//
// - the trip.status_changed event id is derived from the geofence event's id, so the same geofence event
//   can only ever write one change to a trip (a second attempt finds the event and rolls back);
// - autoAdvance is asked again against the trip as it is now, so a replay after the trip moved on is a no-op;
// - an event older than the trip's latest stage is stale (delivered late, or from before dispatch) and is
//   ignored, so stage timestamps never run backwards.

export const TRIP_PROGRESS_ACTOR = 'system:trip-progress';

const GEOFENCE_EVENTS = new Set(['geofence.entered', 'geofence.exited']);

export interface TripAdvance {
  tripId: string;
  tripNumber: string;
  from: TripStatus;
  to: TripStatus;
  at: Date;
  /** The geofence event that caused it. */
  sourceEventId: string;
}

interface GeofencePayload {
  truckId: string;
  geofenceId: string;
  geofenceName: string | null;
  at: Date;
}

function readPayload(event: StoredEvent): GeofencePayload | undefined {
  // Tolerates a payload that reached us as JSON text (a relay that did not parse it).
  const raw = event.payload as unknown;
  const p = (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as Record<string, unknown>;
  if (typeof p.truckId !== 'string' || typeof p.geofenceId !== 'string') return undefined;
  const at = typeof p.at === 'string' ? new Date(p.at) : new Date(event.occurredAt);
  if (Number.isNaN(at.getTime())) return undefined;
  const geofenceName = typeof p.geofenceName === 'string' ? p.geofenceName : null;
  return { truckId: p.truckId, geofenceId: p.geofenceId, geofenceName, at };
}

/** The latest stage the trip has been stamped with (dispatch onwards). */
function latestStage(trip: TripRow): Date | null {
  const stamps = [
    trip.dispatchedAt,
    trip.arrivedPickupAt,
    trip.departedPickupAt,
    trip.arrivedDropoffAt,
    trip.deliveredAt,
  ].filter((d): d is Date => d !== null);
  return stamps.length ? new Date(Math.max(...stamps.map((d) => d.getTime()))) : null;
}

type Attempt = { done: TripAdvance | null } | { conflict: TripRow };

class AlreadyApplied extends Error {}

async function attempt(sql: Sql, event: StoredEvent, g: GeofencePayload): Promise<Attempt> {
  const trip = await db.getActiveTripForTruck(sql, g.truckId);
  if (!trip) return { done: null };
  const to = autoAdvance(
    {
      status: trip.status,
      originGeofenceId: trip.originGeofenceId,
      destinationGeofenceId: trip.destinationGeofenceId,
    },
    { type: event.type as 'geofence.entered' | 'geofence.exited', geofenceId: g.geofenceId },
  );
  if (!to) return { done: null };
  const latest = latestStage(trip);
  if (latest && g.at.getTime() < latest.getTime()) return { done: null };
  try {
    return await sql.begin(async (tx): Promise<Attempt> => {
      const result = await writeStatusChange(tx, trip, {
        to,
        at: g.at,
        actor: TRIP_PROGRESS_ACTOR,
        correlationId: event.correlationId,
        eventId: uuidFromText(`trip-progress:${trip.id}:${event.eventId}`),
        extra: {
          auto: true,
          geofenceEventId: event.eventId,
          geofenceId: g.geofenceId,
          geofenceName: g.geofenceName,
        },
      });
      if (result.outcome === 'stale') return { conflict: trip };
      if (result.outcome === 'duplicate') throw new AlreadyApplied();
      return {
        done: {
          tripId: trip.id,
          tripNumber: trip.tripNumber,
          from: trip.status,
          to,
          at: g.at,
          sourceEventId: event.eventId,
        },
      };
    });
  } catch (err) {
    if (err instanceof AlreadyApplied) return { done: null };
    throw err;
  }
}

/**
 * Applies one `geofence.entered` / `geofence.exited` event to its truck's active trip. Returns the change
 * made, or null when the event means nothing for any trip (or was applied before). A concurrent manual
 * change is retried once against the re-read trip; a second conflict throws, and the stream redelivers.
 */
export async function advanceTripsFromGeofenceEvent(
  sql: Sql,
  event: StoredEvent,
): Promise<TripAdvance | null> {
  if (!GEOFENCE_EVENTS.has(event.type)) return null;
  const g = readPayload(event);
  if (!g) return null;
  const first = await attempt(sql, event, g);
  if ('done' in first) return first.done;
  const second = await attempt(sql, event, g);
  if ('done' in second) return second.done;
  throw versionConflict(await db.getTrip(sql, second.conflict.id), second.conflict.tripNumber);
}

/** A batch from the events stream, in order (a truck's enter and exit must apply in the order they happened). */
export async function handleEventsForTrips(sql: Sql, events: StoredEvent[]): Promise<TripAdvance[]> {
  const advanced: TripAdvance[] = [];
  // Most geofence events are of trucks with no open trip: one query for the batch rules those out, instead
  // of one per event. A trip opened meanwhile cannot have been waiting for an event older than itself.
  const trucks = events.map((e) => (GEOFENCE_EVENTS.has(e.type) ? readPayload(e)?.truckId : undefined));
  const onTrips = await db.trucksOnOpenTrips(sql, [
    ...new Set(trucks.filter((t): t is string => t !== undefined)),
  ]);
  for (const [i, event] of events.entries()) {
    const truckId = trucks[i];
    if (!truckId || !onTrips.has(truckId)) continue;
    const change = await advanceTripsFromGeofenceEvent(sql, event);
    if (change) advanced.push(change);
  }
  return advanced;
}
