import { z } from 'zod';
import { isStorableText, MAX_PAGE, objectErrors, pageFields, parseOrThrow } from './validation.ts';

export { MAX_PAGE };

import type { Sql, TxSql } from '../db/client.ts';
import { insertEvents } from '../db/events.ts';
import { findGeofenceByName, type GeofenceRow, getGeofenceById } from '../db/geofences.ts';
import type { TripRow } from '../db/trips.ts';
import * as db from '../db/trips.ts';
import { isUuid, type TruckRow } from '../db/trucks.ts';
import { LAGOS, localDayBounds, parseDate } from '../domain/time.ts';
import {
  ACTIVE_STATUSES,
  checkTransition,
  nextStatuses,
  statusLabel,
  TERMINAL_STATUSES,
  TRIP_STATUSES,
  type TripStatus,
} from '../domain/trip-state.ts';
import { AppError } from '../errors.ts';
import { type Actor, requireRole } from './actor.ts';
import { getTruck } from './trucks.ts';

// Trip use cases, the same for REST, Slack, the agent and jobs. Viewers read; dispatchers and admins plan,
// assign, dispatch, move and cancel. A trip is named by its uuid or its number (`TRP-000042`, `trp-42`, `42`).
//
// Every write is optimistic: it reads the trip, decides with the pure state machine, and writes only if the
// trip's version is still the one it read. Two dispatchers pressing the same button: one wins, the other is
// told who moved first (WT_VERSION_CONFLICT) instead of silently writing over them.

/** Fixes drawn on a trip's track at most; longer tracks are thinned evenly. */
export const TRACK_MAX_POINTS = 5_000;
const ONE_ACTIVE_PER_TRUCK = 'trips_one_active_per_truck_idx';

export interface TripView extends TripRow {
  /** `in transit` */
  statusLabel: string;
  /** What a person may move it to now (a Slack card's buttons); `dispatched` only once it has a truck. */
  nextStatuses: TripStatus[];
}

export type StageTimestamps = Record<TripStatus, Date | null>;

export interface TripTracking {
  trip: TripView;
  /** The window drawn: dispatch (or creation) until completion, cancellation, or now. */
  from: Date;
  to: Date;
  /** null when fewer than two fixes fall in the window (a LineString needs two). */
  path: { type: 'LineString'; coordinates: [number, number][] } | null;
  /** Aligned with path.coordinates. */
  fixTimes: Date[];
  /** Fixes in the window before thinning. */
  totalPoints: number;
  stages: StageTimestamps;
}

// ---------------------------------------------------------------------------------------------------------
// Input

const optionalText = (field: string, max: number) =>
  z
    .string({ error: `${field}: expected text` })
    .trim()
    .max(max, { error: `${field}: at most ${max} characters` })
    .transform((s) => (s === '' ? null : s))
    .nullish();

const requiredText = (field: string, what: string, max = 200) =>
  z
    .string({ error: `${field}: expected ${what}` })
    .trim()
    .min(1, { error: `${field}: expected ${what}` })
    .max(max, { error: `${field}: at most ${max} characters` });

// A time without a zone would be read in whatever zone the server runs in: ask for one.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const instant = (field: string) => {
  const error = `${field}: expected an ISO 8601 time with a zone, e.g. 2025-03-01T06:30:00+01:00`;
  return (
    z
      .string({ error })
      .regex(ISO_WITH_ZONE, { error })
      // Date() rolls 30 February over into March; the day must exist.
      .refine((s) => parseDate(s.slice(0, 10)) !== null, { error })
      .transform((s) => new Date(s))
      .pipe(z.date({ error }))
      .nullish()
  );
};

const version = (field: string) =>
  z
    .number({ error: `${field}: expected the version you last read` })
    .int({ error: `${field}: expected the version you last read` })
    .positive({ error: `${field}: expected the version you last read` })
    .optional();

export const createTripSchema = z
  .strictObject(
    {
      truck: optionalText('truck', 40),
      origin: requiredText('origin', "the origin geofence's name or id"),
      destination: requiredText('destination', "the destination geofence's name or id"),
      client: optionalText('client', 200),
      cargo: optionalText('cargo', 200),
      planned_start_at: instant('planned_start_at'),
      eta: instant('eta'),
    },
    { error: objectErrors('truck, origin, destination, client, cargo, planned_start_at, eta') },
  )
  .refine((t) => !t.eta || !t.planned_start_at || t.eta >= t.planned_start_at, {
    path: ['eta'],
    error: 'eta: must not be before planned_start_at',
  });

export type CreateTripInput = z.input<typeof createTripSchema>;

const statusSchema = z.enum(TRIP_STATUSES, {
  error: `status: expected one of ${TRIP_STATUSES.join(', ')}`,
});

// A change names the version it was read at: `version` is what REST clients send back from a GET,
// `expectedVersion` what code passes; either becomes `expectedVersion`.
const changeRequest = <Shape extends z.core.$ZodLooseShape>(shape: Shape, fields: string) =>
  z.strictObject(
    { ...shape, version: version('version'), expectedVersion: version('expectedVersion') },
    { error: objectErrors(`${fields}, version`) },
  );

function toExpectedVersion<T extends { version?: number; expectedVersion?: number }>(input: T) {
  const { version: sent, expectedVersion, ...rest } = input;
  return { ...rest, expectedVersion: expectedVersion ?? sent };
}

export const updateStatusSchema = changeRequest(
  { status: statusSchema, note: optionalText('note', 500) },
  'status, note',
)
  .refine((u) => u.status !== 'cancelled' || !!u.note, {
    path: ['note'],
    error: 'note: say why the trip is cancelled',
  })
  .transform(toExpectedVersion);

export type UpdateTripStatusInput = z.input<typeof updateStatusSchema>;

const cancelSchema = changeRequest(
  { reason: requiredText('reason', 'why the trip is cancelled', 500) },
  'reason',
).transform(toExpectedVersion);

export type CancelTripInput = z.input<typeof cancelSchema>;

const dispatchSchema = changeRequest({ note: optionalText('note', 500) }, 'note').transform(
  toExpectedVersion,
);

export type DispatchTripInput = z.input<typeof dispatchSchema>;

const assignSchema = changeRequest(
  { truck: requiredText('truck', 'the truck number or id, e.g. KJA-123XY', 40) },
  'truck',
).transform(toExpectedVersion);

export type AssignTruckInput = z.input<typeof assignSchema>;

const statusListError = `status: expected one or more of ${TRIP_STATUSES.join(', ')}, comma-separated`;

// Coerced and comma-split: REST query strings and agent tools both land here.
export const listTripsSchema = z.strictObject(
  {
    status: z
      .union([z.string(), z.array(z.string())], { error: statusListError })
      .transform((v) =>
        (Array.isArray(v) ? v : [v])
          .flatMap((s) => s.split(','))
          .map((s) => s.trim().toLowerCase())
          .filter((s) => s !== ''),
      )
      .pipe(z.array(z.enum(TRIP_STATUSES, { error: statusListError })))
      .optional(),
    active: z
      .union([z.boolean(), z.enum(['true', 'false'])], { error: 'active: expected true or false' })
      .transform((v) => v === true || v === 'true')
      .optional(),
    date: z
      .string({ error: 'date: expected a Lagos day as YYYY-MM-DD' })
      .refine((d) => parseDate(d) !== null, { error: 'date: expected a Lagos day as YYYY-MM-DD' })
      .optional(),
    truck: requiredText('truck', 'the truck number or id, e.g. KJA-123XY', 40).optional(),
    ...pageFields,
  },
  { error: objectErrors('status, active, date, truck, limit, offset') },
);

export type ListTripsInput = z.input<typeof listTripsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Views and errors

export function toTripView(trip: TripRow): TripView {
  return {
    ...trip,
    statusLabel: statusLabel(trip.status),
    nextStatuses: nextStatuses(trip.status).filter((s) => s !== 'dispatched' || trip.truckId !== null),
  };
}

export function stageTimestamps(trip: TripRow): StageTimestamps {
  return {
    planned: trip.createdAt,
    dispatched: trip.dispatchedAt,
    at_pickup: trip.arrivedPickupAt,
    in_transit: trip.departedPickupAt,
    at_dropoff: trip.arrivedDropoffAt,
    delivered: trip.deliveredAt,
    completed: trip.completedAt,
    cancelled: trip.cancelledAt,
  };
}

function tripNotFound(key: string): AppError {
  const shown = db.parseTripNumber(key) ?? JSON.stringify(key);
  return new AppError('WT_TRIP_NOT_FOUND', `No trip ${shown}: check the number (they look like TRP-000042).`);
}

export function versionConflict(current: TripRow | undefined, tripNumber: string): AppError {
  const now = current ? ` (now ${statusLabel(current.status)})` : '';
  return new AppError(
    'WT_VERSION_CONFLICT',
    `Someone else just changed ${tripNumber}${now}; reload and try again.`,
    { version: current?.version, status: current?.status },
  );
}

function truckBusy(truck: Pick<TruckRow, 'truckNumber'>, other: TripRow | undefined): AppError {
  const on = other ? `${other.tripNumber} (${statusLabel(other.status)})` : 'another open trip';
  return new AppError(
    'WT_TRUCK_BUSY',
    `${truck.truckNumber} is already on ${on}: complete or cancel that trip first, or pick another truck.`,
    { tripNumber: other?.tripNumber },
  );
}

const isActiveTruckConflict = (err: unknown) => {
  const e = err as { code?: string; constraint_name?: string };
  return e.code === '23505' && e.constraint_name === ONE_ACTIVE_PER_TRUCK;
};

/**
 * Runs a write that may put `truck` on a trip; the one-active-trip index settles a race the pre-check lost,
 * and becomes the same sentence naming the other trip.
 */
async function mapTruckBusy<T>(
  sql: Sql,
  truck: TruckRow | undefined,
  tripId: string | undefined,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!truck || !isActiveTruckConflict(err)) throw err;
    throw truckBusy(truck, await db.getActiveTripForTruck(sql, truck.id, { exceptTripId: tripId }));
  }
}

async function findTrip(sql: Sql | TxSql, key: string): Promise<TripRow> {
  const trip = isStorableText(key) ? await db.getTrip(sql, key) : undefined;
  if (!trip) throw tripNotFound(key);
  return trip;
}

function assertVersion(trip: TripRow, expected: number | undefined): void {
  if (expected !== undefined && expected !== trip.version) throw versionConflict(trip, trip.tripNumber);
}

async function findGeofence(sql: Sql, field: string, key: string): Promise<GeofenceRow> {
  const trimmed = key.trim();
  const row = !isStorableText(trimmed)
    ? undefined
    : isUuid(trimmed)
      ? await getGeofenceById(sql, trimmed)
      : await findGeofenceByName(sql, trimmed);
  if (!row?.active) {
    throw new AppError(
      'WT_GEOFENCE_NOT_FOUND',
      `${field}: no geofence ${JSON.stringify(key)}; check the name or id (deleted geofences are gone).`,
      { field },
    );
  }
  return row;
}

// ---------------------------------------------------------------------------------------------------------
// The one place a trip's status is written, by people and by geofence events alike

export interface StatusChange {
  to: TripStatus;
  /** Stamped on the stage's column and carried as the event's `at`. */
  at: Date;
  actor: string;
  correlationId?: string | null;
  note?: string | null;
  /** For `cancelled`: kept on the trip. */
  reason?: string | null;
  /** Merged into the event payload (`auto`, the geofence event that caused it…). */
  extra?: Record<string, unknown>;
  /** A deterministic event id makes a redelivered cause write its effect once. */
  eventId?: string;
}

export type StatusWrite =
  | { outcome: 'written'; trip: TripRow }
  | { outcome: 'stale' }
  /** An event with this eventId exists: the change was made before (the caller rolls back). */
  | { outcome: 'duplicate' };

/**
 * Moves `trip` (as read, at its version) to `change.to` and writes its event, in the caller's transaction.
 * Does not judge the transition: callers ask the state machine first.
 */
export async function writeStatusChange(
  tx: TxSql,
  trip: TripRow,
  change: StatusChange,
): Promise<StatusWrite> {
  const updated = await db.updateTripStatus(tx, {
    id: trip.id,
    expectedVersion: trip.version,
    status: change.to,
    at: change.at,
    updatedBy: change.actor,
    cancelReason: change.to === 'cancelled' ? (change.reason ?? null) : null,
  });
  if (!updated) return { outcome: 'stale' };
  const inserted = await insertEvents(tx, [
    {
      type: change.to === 'cancelled' ? 'trip.cancelled' : 'trip.status_changed',
      entityType: 'trip',
      entityId: trip.id,
      actor: change.actor,
      correlationId: change.correlationId ?? null,
      occurredAt: change.at,
      eventId: change.eventId,
      payload: {
        tripId: trip.id,
        tripNumber: trip.tripNumber,
        truckId: trip.truckId,
        truckNumber: trip.truckNumber,
        from: trip.status,
        to: change.to,
        note: change.note ?? null,
        ...(change.to === 'cancelled' ? { reason: change.reason ?? null } : {}),
        version: updated.version,
        at: change.at.toISOString(),
        ...change.extra,
      },
    },
  ]);
  if (inserted.length === 0) return { outcome: 'duplicate' };
  return { outcome: 'written', trip: updated };
}

interface MoveOptions {
  note?: string | null;
  reason?: string | null;
  expectedVersion?: number;
}

async function move(
  sql: Sql,
  actor: Actor,
  key: string,
  to: TripStatus,
  opts: MoveOptions,
): Promise<TripView> {
  const trip = await findTrip(sql, key);
  assertVersion(trip, opts.expectedVersion);
  const check = checkTransition(trip.status, to);
  if (!check.ok) {
    throw new AppError(
      'WT_TRIP_TRANSITION',
      `${trip.tripNumber} can't move to ${statusLabel(to)}. ${check.message}`,
      { from: trip.status, to, allowed: nextStatuses(trip.status) },
    );
  }
  if (to === 'dispatched' && !trip.truckId) {
    throw new AppError(
      'WT_TRIP_TRANSITION',
      `${trip.tripNumber} has no truck yet: assign one before dispatching it.`,
      { from: trip.status, to, allowed: [] },
    );
  }
  return sql.begin(async (tx) => {
    const result = await writeStatusChange(tx, trip, {
      to,
      at: new Date(),
      actor: actor.principal,
      correlationId: actor.correlationId,
      note: opts.note,
      reason: opts.reason,
    });
    if (result.outcome !== 'written') throw versionConflict(await db.getTrip(tx, trip.id), trip.tripNumber);
    return toTripView(result.trip);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Use cases

/** Plans a trip (status planned); a truck may be named now or assigned later. */
export async function createTrip(sql: Sql, actor: Actor, input: unknown): Promise<TripView> {
  requireRole(actor, 'dispatcher', 'plan trips');
  const t = parseOrThrow(createTripSchema, input, 'trip');
  const origin = await findGeofence(sql, 'origin', t.origin);
  const destination = await findGeofence(sql, 'destination', t.destination);
  const truck = t.truck ? await getTruck(sql, actor, t.truck) : undefined;
  return mapTruckBusy(sql, truck, undefined, () =>
    sql.begin(async (tx) => {
      if (truck) {
        const other = await db.getActiveTripForTruck(tx, truck.id);
        if (other) throw truckBusy(truck, other);
      }
      const trip = await db.insertTrip(tx, {
        truckId: truck?.id ?? null,
        originGeofenceId: origin.id,
        destinationGeofenceId: destination.id,
        client: t.client ?? null,
        cargo: t.cargo ?? null,
        plannedStartAt: t.planned_start_at ?? null,
        eta: t.eta ?? null,
        createdBy: actor.principal,
      });
      await insertEvents(tx, [
        {
          type: 'trip.created',
          entityType: 'trip',
          entityId: trip.id,
          actor: actor.principal,
          correlationId: actor.correlationId ?? null,
          payload: {
            tripId: trip.id,
            tripNumber: trip.tripNumber,
            truckId: trip.truckId,
            truckNumber: trip.truckNumber,
            origin: { id: origin.id, name: origin.name },
            destination: { id: destination.id, name: destination.name },
            client: trip.client,
            cargo: trip.cargo,
            plannedStartAt: trip.plannedStartAt?.toISOString() ?? null,
            eta: trip.eta?.toISOString() ?? null,
            status: trip.status,
            version: trip.version,
          },
        },
      ]);
      return toTripView(trip);
    }),
  );
}

/** Puts a truck on a planned trip (or swaps it); once dispatched, a wrong truck means cancel and re-plan. */
export async function assignTruck(sql: Sql, actor: Actor, key: string, input: unknown): Promise<TripView> {
  requireRole(actor, 'dispatcher', 'assign trucks to trips');
  const a = parseOrThrow(assignSchema, input, 'truck assignment');
  const trip = await findTrip(sql, key);
  assertVersion(trip, a.expectedVersion);
  if (trip.status !== 'planned') {
    throw new AppError(
      'WT_TRIP_TRANSITION',
      `${trip.tripNumber} is ${statusLabel(trip.status)}: its truck can only change while it is planned; cancel it and plan a new trip instead.`,
      { from: trip.status, allowed: nextStatuses(trip.status) },
    );
  }
  const truck = await getTruck(sql, actor, a.truck);
  if (trip.truckId === truck.id) return toTripView(trip);
  return mapTruckBusy(sql, truck, trip.id, () =>
    sql.begin(async (tx) => {
      const other = await db.getActiveTripForTruck(tx, truck.id, { exceptTripId: trip.id });
      if (other) throw truckBusy(truck, other);
      const updated = await db.setTripTruck(tx, {
        id: trip.id,
        expectedVersion: trip.version,
        truckId: truck.id,
        updatedBy: actor.principal,
      });
      if (!updated) throw versionConflict(await db.getTrip(tx, trip.id), trip.tripNumber);
      await insertEvents(tx, [
        {
          type: 'trip.truck_assigned',
          entityType: 'trip',
          entityId: trip.id,
          actor: actor.principal,
          correlationId: actor.correlationId ?? null,
          payload: {
            tripId: trip.id,
            tripNumber: trip.tripNumber,
            truckId: truck.id,
            truckNumber: truck.truckNumber,
            previousTruckId: trip.truckId,
            previousTruckNumber: trip.truckNumber,
            version: updated.version,
          },
        },
      ]);
      return toTripView(updated);
    }),
  );
}

/** planned → dispatched; the trip needs a truck. */
export async function dispatchTrip(
  sql: Sql,
  actor: Actor,
  key: string,
  input: unknown = {},
): Promise<TripView> {
  requireRole(actor, 'dispatcher', 'dispatch trips');
  const d = parseOrThrow(dispatchSchema, input, 'dispatch');
  return move(sql, actor, key, 'dispatched', d);
}

/**
 * A person moves a trip one step forward (the state machine refuses skips and going back, naming what is
 * allowed). `cancelled` is a cancellation with `note` as its reason.
 */
export async function updateTripStatus(
  sql: Sql,
  actor: Actor,
  key: string,
  input: unknown,
): Promise<TripView> {
  requireRole(actor, 'dispatcher', 'change trip statuses');
  const u = parseOrThrow(updateStatusSchema, input, 'trip status change');
  if (u.status === 'cancelled') {
    return cancelTrip(sql, actor, key, { reason: u.note ?? '', expectedVersion: u.expectedVersion });
  }
  return move(sql, actor, key, u.status, u);
}

/** Cancels a trip that is not yet delivered, keeping the reason; frees its truck. */
export async function cancelTrip(sql: Sql, actor: Actor, key: string, input: unknown): Promise<TripView> {
  requireRole(actor, 'dispatcher', 'cancel trips');
  const c = parseOrThrow(cancelSchema, input, 'trip cancellation');
  return move(sql, actor, key, 'cancelled', { ...c, note: c.reason });
}

export async function getTrip(sql: Sql, actor: Actor, key: string): Promise<TripView> {
  requireRole(actor, 'viewer', 'look trips up');
  return toTripView(await findTrip(sql, key));
}

/** Newest first; `active` is anything not completed or cancelled; `date` a Lagos day (created or planned). */
export async function listTrips(sql: Sql, actor: Actor, input: unknown = {}): Promise<TripView[]> {
  requireRole(actor, 'viewer', 'list trips');
  const f = parseOrThrow(listTripsSchema, input, 'trip filter');
  let statuses: readonly TripStatus[] | undefined = f.status?.length ? f.status : undefined;
  if (f.active !== undefined) {
    const side = f.active ? ACTIVE_STATUSES : TERMINAL_STATUSES;
    statuses = (statuses ?? TRIP_STATUSES).filter((s) => side.includes(s));
  }
  const day = f.date ? localDayBounds(f.date, LAGOS) : undefined;
  const truck = f.truck ? await getTruck(sql, actor, f.truck) : undefined;
  const rows = await db.listTrips(sql, {
    statuses,
    from: day?.start,
    to: day?.end,
    truckId: truck?.id,
    limit: f.limit,
    offset: f.offset,
  });
  return rows.map(toTripView);
}

/** The truck's path over the trip (thinned to TRACK_MAX_POINTS) and when each stage was reached. */
export async function getTripTracking(
  sql: Sql,
  actor: Actor,
  key: string,
  now: Date = new Date(),
): Promise<TripTracking> {
  requireRole(actor, 'viewer', 'track trips');
  const trip = await findTrip(sql, key);
  const from = trip.dispatchedAt ?? trip.createdAt;
  const to = trip.completedAt ?? trip.cancelledAt ?? now;
  const found = trip.truckId
    ? await db.tripPath(sql, trip.truckId, from, to, TRACK_MAX_POINTS)
    : { total: 0, points: [] };
  return {
    trip: toTripView(trip),
    from,
    to,
    path:
      found.points.length >= 2
        ? { type: 'LineString', coordinates: found.points.map((p) => [p.lng, p.lat]) }
        : null,
    fixTimes: found.points.map((p) => p.fixTime),
    totalPoints: found.total,
    stages: stageTimestamps(trip),
  };
}
