import { channelsForAlerts, type RouteKey } from '../../db/alert-routes.ts';
import type { Sql } from '../../db/client.ts';
import type { StoredEvent } from '../../db/events.ts';
import { getActiveTripForTruck, getTrip } from '../../db/trips.ts';
import { isTripStatus } from '../../domain/trip-state.ts';
import type { AlertItem } from '../views/alert.ts';

// Which events become Slack alerts, what each says, and where it goes. The events come from the outbox:
// geofence crossings from the geofence watcher, overspeed held past its minimum from the position writer,
// offline / back online and late trips from the watch jobs. LocoNav's own device alerts stay events only
// (its overspeed fires on one fix: the noise Watch Tower exists to filter).

/** One alert bound for one channel (in a thread when `threadTs` is set). */
export interface Delivery {
  eventId: string;
  channel: string;
  threadTs?: string;
  alert: AlertItem;
  /** The event's correlation id (the webhook request it follows from), for the trace of the post. */
  correlationId?: string;
}

export const ALERT_EVENT_TYPES = [
  'geofence.entered',
  'geofence.exited',
  'truck.overspeed',
  'truck.offline',
  'truck.online',
  'trip.delayed',
] as const;
const ALERTING = new Set<string>(ALERT_EVENT_TYPES);

type Payload = Record<string, unknown>;
const str = (p: Payload, k: string) =>
  typeof p[k] === 'string' && p[k] !== '' ? (p[k] as string) : undefined;
const num = (p: Payload, k: string) =>
  typeof p[k] === 'number' && Number.isFinite(p[k]) ? (p[k] as number) : undefined;
function date(p: Payload, k: string): Date | undefined {
  const v = p[k];
  if (typeof v !== 'string' && !(v instanceof Date)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
function payloadOf(e: StoredEvent): Payload {
  const raw = e.payload as unknown;
  return (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as Payload;
}

interface Drafted {
  alert: AlertItem;
  route: RouteKey;
  /** Goes to the trip card's thread instead of the routed channels. */
  thread?: { channel: string; ts: string };
}

async function tripOf(sql: Sql, truckId: string | undefined) {
  if (!truckId) return undefined;
  const trip = await getActiveTripForTruck(sql, truckId);
  return trip ? { tripNumber: trip.tripNumber } : undefined;
}

/** The alert an event raises, or undefined when it raises none (or its payload is not one we can read). */
async function draft(sql: Sql, e: StoredEvent): Promise<Drafted | undefined> {
  if (!ALERTING.has(e.type)) return undefined;
  const p = payloadOf(e);
  const at = date(p, 'at') ?? new Date(e.occurredAt);
  const truckNumber = str(p, 'truckNumber');
  const route: RouteKey = { alertType: e.type };
  switch (e.type) {
    case 'geofence.entered':
    case 'geofence.exited': {
      const geofenceName = str(p, 'geofenceName');
      if (!truckNumber || !geofenceName) return undefined;
      route.geofenceId = str(p, 'geofenceId') ?? null;
      route.geofenceType = str(p, 'geofenceType') ?? null;
      const type = e.type === 'geofence.entered' ? 'entered' : 'exited';
      const trip = await tripOf(sql, str(p, 'truckId'));
      return { route, alert: { kind: 'geofence', type, truckNumber, geofenceName, at, trip } };
    }
    case 'truck.overspeed': {
      const speedKmh = num(p, 'speedKmh');
      const limitKmh = num(p, 'limitKmh');
      if (!truckNumber || speedKmh === undefined || limitKmh === undefined) return undefined;
      const trip = await tripOf(sql, str(p, 'truckId'));
      const heldS = num(p, 'heldS');
      return { route, alert: { kind: 'overspeed', truckNumber, speedKmh, limitKmh, heldS, at, trip } };
    }
    case 'truck.offline': {
      if (!truckNumber) return undefined;
      const trip = await tripOf(sql, str(p, 'truckId'));
      const lastFixAt = date(p, 'lastFixAt') ?? null;
      return { route, alert: { kind: 'offline', truckNumber, lastFixAt, at: new Date(e.occurredAt), trip } };
    }
    case 'truck.online': {
      if (!truckNumber) return undefined;
      return {
        route,
        alert: { kind: 'online', truckNumber, offlineSince: date(p, 'offlineSince') ?? null, at },
      };
    }
    case 'trip.delayed': {
      const tripId = str(p, 'tripId');
      const trip = tripId ? await getTrip(sql, tripId) : undefined;
      const eta = date(p, 'eta') ?? trip?.eta ?? undefined;
      if (!trip || !eta) return undefined;
      const status = str(p, 'status');
      const thread =
        trip.slackChannel && trip.slackTs ? { channel: trip.slackChannel, ts: trip.slackTs } : undefined;
      return {
        route,
        thread,
        alert: {
          kind: 'trip_delayed',
          tripNumber: trip.tripNumber,
          truckNumber: trip.truckNumber,
          status: status && isTripStatus(status) ? status : trip.status,
          destinationName: trip.destinationName,
          eta,
          at: new Date(e.occurredAt),
        },
      };
    }
  }
  return undefined;
}

/**
 * The deliveries for a batch of events: each alert to every channel its routes name, else to the default
 * channel; a late trip with a card goes to the card's thread. Alerts with nowhere to go are dropped (no
 * route and no default channel: alerts are off).
 */
export async function deliveriesFor(
  sql: Sql,
  events: readonly StoredEvent[],
  defaultChannel: string | undefined,
): Promise<Delivery[]> {
  const drafted: { event: StoredEvent; d: Drafted }[] = [];
  for (const event of events) {
    const d = await draft(sql, event);
    if (d) drafted.push({ event, d });
  }
  const channels = await channelsForAlerts(
    sql,
    drafted.map(({ d }) => d.route),
  );
  return drafted.flatMap(({ event, d }, i) => {
    const correlationId = event.correlationId ?? undefined;
    if (d.thread) {
      const { channel, ts: threadTs } = d.thread;
      return [{ eventId: event.eventId, channel, threadTs, alert: d.alert, correlationId }];
    }
    const routed = channels[i]!.length > 0 ? channels[i]! : defaultChannel ? [defaultChannel] : [];
    return routed.map((channel) => ({ eventId: event.eventId, channel, alert: d.alert, correlationId }));
  });
}
