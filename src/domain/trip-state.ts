// The trip lifecycle. Pure: the use-case layer (src/fleet) asks `checkTransition` before it writes, and the
// trip-progress consumer asks `autoAdvance` what a geofence event means for a trip.
//
// Rules:
// - People move a trip forward exactly one step at a time, or cancel it before delivery. No manual skips:
//   a skipped step leaves a timestamp empty, and an empty stage is a hole in the TAT report that nobody
//   chose to make. Going back is never allowed; a wrong trip is cancelled and planned again.
// - Geofence events may skip forward (a missed or duplicate-suppressed event must not strand a trip), but
//   never move a trip backwards and never touch a planned trip: a planned trip has not been sent, so its
//   truck passing the origin gate means nothing yet.

export const TRIP_STATUSES = [
  'planned',
  'dispatched',
  'at_pickup',
  'in_transit',
  'at_dropoff',
  'delivered',
  'completed',
  'cancelled',
] as const;

export type TripStatus = (typeof TRIP_STATUSES)[number];

/** The forward path; `cancelled` sits outside it. */
const PATH: readonly TripStatus[] = TRIP_STATUSES.filter((s) => s !== 'cancelled');

const CANCELLABLE: ReadonlySet<TripStatus> = new Set([
  'planned',
  'dispatched',
  'at_pickup',
  'in_transit',
  'at_dropoff',
]);

export const TERMINAL_STATUSES: readonly TripStatus[] = ['completed', 'cancelled'];

/** Trips that still occupy a truck (or are about to): everything but completed and cancelled. */
export const ACTIVE_STATUSES: readonly TripStatus[] = TRIP_STATUSES.filter(
  (s) => !TERMINAL_STATUSES.includes(s),
);

export type TripTimestampColumn =
  | 'dispatched_at'
  | 'arrived_pickup_at'
  | 'departed_pickup_at'
  | 'arrived_dropoff_at'
  | 'delivered_at'
  | 'completed_at'
  | 'cancelled_at';

/** The column a trip's row stamps when it enters each status; `planned` is the row's creation. */
export const STATUS_TIMESTAMP: Readonly<Record<TripStatus, TripTimestampColumn | null>> = {
  planned: null,
  dispatched: 'dispatched_at',
  at_pickup: 'arrived_pickup_at',
  in_transit: 'departed_pickup_at',
  at_dropoff: 'arrived_dropoff_at',
  delivered: 'delivered_at',
  completed: 'completed_at',
  cancelled: 'cancelled_at',
};

export function isTripStatus(value: unknown): value is TripStatus {
  return typeof value === 'string' && (TRIP_STATUSES as readonly string[]).includes(value);
}

export function isActiveStatus(status: TripStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** `in transit`, `at dropoff`: how the status reads in a sentence. */
export function statusLabel(status: TripStatus): string {
  return status.replaceAll('_', ' ');
}

/** The statuses a person may move a trip to from `from`: the next step, plus cancelled before delivery. */
export function nextStatuses(from: TripStatus): TripStatus[] {
  const out: TripStatus[] = [];
  const i = PATH.indexOf(from);
  const forward = i >= 0 ? PATH[i + 1] : undefined;
  if (forward) out.push(forward);
  if (CANCELLABLE.has(from)) out.push('cancelled');
  return out;
}

function orList(labels: string[]): string {
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')}, or ${labels.at(-1)}`;
}

export type TransitionCheck = { ok: true } | { ok: false; message: string };

/** Whether a person may move a trip from `from` to `to`, and if not, a sentence saying what is allowed. */
export function checkTransition(from: TripStatus, to: TripStatus): TransitionCheck {
  const allowed = nextStatuses(from);
  if (allowed.includes(to)) return { ok: true };
  if (allowed.length === 0) {
    return {
      ok: false,
      message: `A trip that is ${statusLabel(from)} is finished; its status can't change.`,
    };
  }
  const already = from === to ? `This trip is already ${statusLabel(from)}. ` : '';
  return {
    ok: false,
    message: `${already}A trip that is ${statusLabel(from)} can move to: ${orList(allowed.map(statusLabel))}.`,
  };
}

// Ids from postgres.js arrive as strings for bigint columns and as numbers for int ones; compare as text so
// either works.
export type GeofenceRef = string | number;

export interface AutoAdvanceTrip {
  status: TripStatus;
  originGeofenceId: GeofenceRef | null;
  destinationGeofenceId: GeofenceRef | null;
}

export interface GeofenceTripEvent {
  type: 'geofence.entered' | 'geofence.exited';
  geofenceId: GeofenceRef;
}

const same = (a: GeofenceRef | null, b: GeofenceRef): boolean => a !== null && String(a) === String(b);

/**
 * The status a geofence event moves a trip to, or null when it doesn't apply.
 *
 * - entering the origin: dispatched → at pickup.
 * - leaving the origin: at pickup → in transit, and dispatched → in transit, because a truck that was
 *   already parked inside the origin when it was dispatched never produces an "entered" event.
 * - entering the destination: in transit → at dropoff, and also from dispatched or at pickup when the
 *   events in between were missed.
 * - leaving the destination: at dropoff → delivered. Not from earlier states: delivery is a claim made to
 *   a client, so it needs the truck to have been seen at the dropoff.
 *
 * When origin and destination are the same fence (a round trip), the status decides which rule applies,
 * and "entered" only counts as arrival at the dropoff once the truck has left for the trip.
 */
export function autoAdvance(trip: AutoAdvanceTrip, event: GeofenceTripEvent): TripStatus | null {
  const { status } = trip;
  const atOrigin = same(trip.originGeofenceId, event.geofenceId);
  const atDestination = same(trip.destinationGeofenceId, event.geofenceId);

  if (event.type === 'geofence.entered') {
    if (atOrigin && status === 'dispatched') return 'at_pickup';
    if (atDestination) {
      if (status === 'in_transit') return 'at_dropoff';
      if (!atOrigin && (status === 'dispatched' || status === 'at_pickup')) return 'at_dropoff';
    }
    return null;
  }

  if (atOrigin && (status === 'dispatched' || status === 'at_pickup')) return 'in_transit';
  if (atDestination && status === 'at_dropoff') return 'delivered';
  return null;
}
