import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import { formatAge, formatWhen } from '../../domain/time.ts';
import { isTripStatus, statusLabel, type TripStatus } from '../../domain/trip-state.ts';
import type { TripView } from '../../fleet/trips.ts';
import {
  actorName,
  capitalize,
  context,
  esc,
  field,
  header,
  type Message,
  mrkdwn,
  plain,
  statusEmoji,
  truncate,
} from './format.ts';

// A trip's Slack card: posted in-channel when a trip is planned and updated in place (chat.update on the
// trip's slack_channel/slack_ts) on every change, so the thread keeps one card that is always current.

/** What the card shows; a `TripView` from src/fleet/trips.ts fits as it is. */
export type TripCardTrip = Pick<
  TripView,
  | 'id'
  | 'tripNumber'
  | 'status'
  | 'nextStatuses'
  | 'truckNumber'
  | 'originName'
  | 'destinationName'
  | 'client'
  | 'cargo'
  | 'plannedStartAt'
  | 'eta'
  | 'dispatchedAt'
  | 'arrivedPickupAt'
  | 'departedPickupAt'
  | 'arrivedDropoffAt'
  | 'deliveredAt'
  | 'completedAt'
  | 'cancelledAt'
  | 'cancelReason'
  | 'version'
  | 'updatedBy'
  | 'updatedAt'
>;

export interface TripCardOptions {
  now: Date;
  /** Who changed it last and when; defaults to the trip's own updatedBy/updatedAt. */
  lastChange?: { by: string; at: Date };
}

/**
 * Every status button shares this prefix, followed by `:` and the target status (`trip_status:in_transit`):
 * Slack wants action_ids unique within a block, so one id for all buttons would be refused. Listen with
 * `app.action(TRIP_STATUS_ACTION, …)` and read the button's value.
 */
export const TRIP_STATUS_ACTION_PREFIX = 'trip_status';
export const TRIP_STATUS_ACTION = /^trip_status:/;

/** What a status button carries back: the version lets the use case refuse a click on a stale card. */
export interface TripStatusButtonValue {
  tripId: string;
  to: TripStatus;
  version: number;
}

/** Reads a status button's value; undefined when it is not one (an old card, a hand-made payload). */
export function parseTripStatusValue(value: string | undefined): TripStatusButtonValue | undefined {
  try {
    const v = JSON.parse(value ?? '') as Partial<TripStatusButtonValue>;
    if (typeof v.tripId !== 'string' || !isTripStatus(v.to) || !Number.isInteger(v.version)) return undefined;
    return { tripId: v.tripId, to: v.to, version: v.version as number };
  } catch {
    return undefined;
  }
}

const BUTTON_LABEL: Readonly<Record<TripStatus, string>> = {
  planned: 'Mark planned',
  dispatched: 'Dispatch trip',
  at_pickup: 'Mark at pickup',
  in_transit: 'Mark in transit',
  at_dropoff: 'Mark at dropoff',
  delivered: 'Mark delivered',
  completed: 'Mark completed',
  cancelled: 'Cancel trip',
};

// Only the stages a trip has reached are shown; a section holds at most 10 fields, these are at most 7.
const STAGES: readonly { label: string; at: (t: TripCardTrip) => Date | null }[] = [
  { label: 'Dispatched', at: (t) => t.dispatchedAt },
  { label: 'At pickup', at: (t) => t.arrivedPickupAt },
  { label: 'Left pickup', at: (t) => t.departedPickupAt },
  { label: 'At dropoff', at: (t) => t.arrivedDropoffAt },
  { label: 'Delivered', at: (t) => t.deliveredAt },
  { label: 'Completed', at: (t) => t.completedAt },
  { label: 'Cancelled', at: (t) => t.cancelledAt },
];

const route = (t: TripCardTrip) => `${t.originName} → ${t.destinationName}`;

export function tripCard(trip: TripCardTrip, opts: TripCardOptions): Message {
  const { now } = opts;
  const label = statusLabel(trip.status);
  const by = opts.lastChange?.by ?? trip.updatedBy;
  const at = opts.lastChange?.at ?? trip.updatedAt;

  const facts = [
    field('Truck', trip.truckNumber ? esc(trip.truckNumber) : '_not assigned yet_'),
    field('Route', esc(route(trip))),
  ];
  if (trip.client) facts.push(field('Client', esc(trip.client)));
  if (trip.cargo) facts.push(field('Cargo', esc(trip.cargo)));
  if (trip.plannedStartAt) facts.push(field('Planned start', formatWhen(trip.plannedStartAt, now)));
  if (trip.eta) facts.push(field('ETA', etaText(trip, trip.eta, now)));

  const stages = STAGES.flatMap(({ label: stage, at: stamp }) => {
    const when = stamp(trip);
    return when ? [field(stage, formatWhen(when, now))] : [];
  });

  const blocks: KnownBlock[] = [
    header(`${statusEmoji(trip.status)} ${trip.tripNumber} · ${capitalize(label)}`),
    { type: 'section', fields: facts },
  ];
  if (stages.length > 0) blocks.push({ type: 'section', fields: stages } satisfies SectionBlock);
  if (trip.status === 'cancelled' && trip.cancelReason) {
    blocks.push({ type: 'section', text: mrkdwn(`*Why cancelled:* ${esc(trip.cancelReason)}`) });
  }
  blocks.push(context(`updated ${formatAge(now.getTime() - at.getTime())} by ${actorName(by)}`));
  const actions = statusButtons(trip);
  if (actions) blocks.push(actions);

  const truck = trip.truckNumber ? `${trip.truckNumber}, ` : '';
  return { text: `${trip.tripNumber} is ${label}: ${truck}${route(trip)}`, blocks };
}

/** Overdue while the truck has not reached the dropoff and the ETA has passed. */
function etaText(trip: TripCardTrip, eta: Date, now: Date): string {
  const open = ['planned', 'dispatched', 'at_pickup', 'in_transit'].includes(trip.status);
  return open && eta < now ? `${formatWhen(eta, now)} · *overdue*` : formatWhen(eta, now);
}

/** One button per status a person may move the trip to now; none for a finished trip. */
function statusButtons(trip: TripCardTrip): ActionsBlock | undefined {
  if (trip.nextStatuses.length === 0) return undefined;
  return {
    type: 'actions',
    // Slack asks for a new block_id per iteration of an updated message; the version is one per iteration.
    block_id: `trip_actions:${trip.version}`,
    elements: trip.nextStatuses.map((to) => statusButton(trip, to)),
  };
}

function statusButton(trip: TripCardTrip, to: TripStatus): Button {
  const value: TripStatusButtonValue = { tripId: trip.id, to, version: trip.version };
  const button: Button = {
    type: 'button',
    action_id: `${TRIP_STATUS_ACTION_PREFIX}:${to}`,
    text: plain(BUTTON_LABEL[to]),
    value: JSON.stringify(value),
  };
  if (to !== 'cancelled') {
    return {
      ...button,
      style: 'primary',
      accessibility_label: `Move ${trip.tripNumber} to ${statusLabel(to)}`,
    };
  }
  // The cancel use case needs a reason: the listener asks for one (a modal) after this dialog.
  return {
    ...button,
    style: 'danger',
    accessibility_label: `Cancel ${trip.tripNumber}`,
    confirm: {
      title: plain(`Cancel ${trip.tripNumber}?`),
      text: plain(
        truncate(
          `${trip.tripNumber} (${trip.truckNumber ?? 'no truck'}, ${route(trip)}) will be cancelled and its truck freed. A cancelled trip can't be reopened.`,
          300,
        ),
      ),
      confirm: plain('Cancel trip'),
      deny: plain('Keep it'),
      style: 'danger',
    },
  };
}
