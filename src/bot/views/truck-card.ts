import type { KnownBlock } from '@slack/types';
import type { TruckLocation, TruckRow } from '../../db/trucks.ts';
import { DEFAULT_OFFLINE_AFTER_MS } from '../../domain/offline.ts';
import { formatAge, formatWhen } from '../../domain/time.ts';
import { statusLabel, type TripStatus } from '../../domain/trip-state.ts';
import {
  context,
  esc,
  field,
  formatSpeed,
  header,
  type Message,
  placeText,
  type TruckPlace,
} from './format.ts';

// Where a truck is, answered to `/truck KJA-123XY` or "where is KJA-123XY?": a place people know rather than
// coordinates, how fresh that is, and what the truck is doing.

/** A fix older than this means the tracker has stopped reporting (or the truck is out of coverage). */
export const OFFLINE_AFTER_MS = DEFAULT_OFFLINE_AFTER_MS;

export interface TruckCardInput {
  truck: Pick<TruckRow, 'truckNumber'> & Partial<Pick<TruckRow, 'status'>>;
  location: Pick<TruckLocation, 'lat' | 'lng' | 'lastFixAt' | 'speedKmh' | 'ignition'>;
  place?: TruckPlace;
  activeTrip?: { tripNumber: string; status: TripStatus; originName?: string; destinationName?: string };
}

const ignitionText = (on: boolean | null) => (on === null ? 'unknown' : on ? 'on' : 'off');

export function truckCard(input: TruckCardInput, opts: { now: Date }): Message {
  const { truck, location, activeTrip } = input;
  const { now } = opts;
  const where = placeText(input.place, location);
  const fixAgeMs = location.lastFixAt ? now.getTime() - location.lastFixAt.getTime() : null;
  const offline = fixAgeMs === null || fixAgeMs > OFFLINE_AFTER_MS;
  const fixText = location.lastFixAt
    ? `last fix ${formatAge(fixAgeMs!)} (${formatWhen(location.lastFixAt, now)})`
    : 'no fix received yet';

  const fields = [
    field('Where', esc(where)),
    field('Speed', formatSpeed(location.speedKmh)),
    field('Ignition', ignitionText(location.ignition)),
    field('Trip', activeTrip ? esc(tripText(activeTrip)) : 'none'),
  ];
  if (location.lat !== null && location.lng !== null) {
    const q = `${location.lat},${location.lng}`;
    fields.push(field('Map', `<https://www.google.com/maps/search/?api=1&query=${q}|open in Google Maps>`));
  }
  if (truck.status && truck.status !== 'active') fields.push(field('Truck status', truck.status));

  const blocks: KnownBlock[] = [
    header(`:truck: ${truck.truckNumber}`),
    { type: 'section', fields },
    context(fixText),
  ];
  if (offline && location.lastFixAt) {
    blocks.push(
      context(
        `:warning: Possibly offline: nothing heard for over ${OFFLINE_AFTER_MS / 60_000} min. The tracker may be off or out of coverage; the place above is where it was last seen.`,
      ),
    );
  }

  const stale = offline && location.lastFixAt ? ' (possibly offline)' : '';
  const trip = activeTrip ? `, on ${activeTrip.tripNumber}` : '';
  return {
    text: `${truck.truckNumber}: ${where}, ${fixText}${stale}${trip}`,
    blocks,
  };
}

function tripText(trip: NonNullable<TruckCardInput['activeTrip']>): string {
  const route =
    trip.originName && trip.destinationName ? `, ${trip.originName} → ${trip.destinationName}` : '';
  return `${trip.tripNumber} (${statusLabel(trip.status)}${route})`;
}
