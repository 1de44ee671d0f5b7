import type { KnownBlock } from '@slack/types';
import { formatWhen } from '../../domain/time.ts';
import { statusLabel, type TripStatus } from '../../domain/trip-state.ts';
import {
  context,
  esc,
  formatDuration,
  formatSpeed,
  type Message,
  mrkdwn,
  placeText,
  plural,
  type TruckPlace,
  truncate,
} from './format.ts';

// Alerts posted to the channels alert routing names: one message per alert, or one digest when a burst
// arrives together (a convoy entering the port), so a channel is never flooded. Never @channel or @here:
// whoever needs to act watches the channel.

export interface GeofenceAlertInput {
  type: 'entered' | 'exited';
  truckNumber: string;
  geofenceName: string;
  at: Date;
  trip?: { tripNumber: string };
}

export interface OfflineAlertInput {
  truckNumber: string;
  /** null when the truck has never reported. */
  lastFixAt: Date | null;
  /** When the watcher noticed. */
  at: Date;
  /** Where it was last seen. */
  place?: TruckPlace;
  trip?: { tripNumber: string };
}

export interface OnlineAlertInput {
  truckNumber: string;
  /** When it went quiet (its last fix before the gap); null when unknown. */
  offlineSince: Date | null;
  /** Its first fix back. */
  at: Date;
}

export interface OverspeedAlertInput {
  truckNumber: string;
  speedKmh: number;
  limitKmh: number;
  /** How long it has been over the limit, in seconds. */
  heldS?: number;
  at: Date;
  place?: TruckPlace;
  trip?: { tripNumber: string };
}

export interface TripDelayedAlertInput {
  tripNumber: string;
  truckNumber: string | null;
  status: TripStatus;
  destinationName: string;
  eta: Date;
  /** When the watcher noticed; how late is measured to here. */
  at: Date;
}

export type AlertItem =
  | ({ kind: 'geofence' } & GeofenceAlertInput)
  | ({ kind: 'offline' } & OfflineAlertInput)
  | ({ kind: 'online' } & OnlineAlertInput)
  | ({ kind: 'overspeed' } & OverspeedAlertInput)
  | ({ kind: 'trip_delayed' } & TripDelayedAlertInput);

type Kind = AlertItem['kind'];

/** Times are written relative to `now` (`yesterday 18:05`); by default the alert's own time. */
export interface AlertOptions {
  now?: Date;
}

/** One alert as a sentence: `mrkdwn` for blocks (escaped, bold names), `plain` for the fallback text. */
interface Line {
  mrkdwn: string;
  plain: string;
}

const EMOJI: Readonly<Record<Kind, string>> = {
  geofence: ':round_pushpin:',
  offline: ':electric_plug:',
  online: ':white_check_mark:',
  overspeed: ':rotating_light:',
  trip_delayed: ':hourglass:',
};

const COUNT_NOUN: Readonly<Record<Kind, [string, string]>> = {
  geofence: ['geofence crossing', 'geofence crossings'],
  offline: ['truck offline', 'trucks offline'],
  online: ['truck back online', 'trucks back online'],
  overspeed: ['overspeed', 'overspeeds'],
  trip_delayed: ['late trip', 'late trips'],
};

const KIND_ORDER: readonly Kind[] = ['trip_delayed', 'offline', 'overspeed', 'online', 'geofence'];

/** Both spellings of one sentence; `b` marks the parts bold in mrkdwn. */
function sentence(parts: readonly (string | { b: string })[]): Line {
  return {
    mrkdwn: parts.map((p) => (typeof p === 'string' ? esc(p) : `*${esc(p.b)}*`)).join(''),
    plain: parts.map((p) => (typeof p === 'string' ? p : p.b)).join(''),
  };
}

const onTrip = (trip?: { tripNumber: string }) => (trip ? ` (${trip.tripNumber})` : '');

function lineFor(alert: AlertItem, now: Date): Line {
  switch (alert.kind) {
    case 'geofence':
      return sentence([
        { b: alert.truckNumber },
        ` ${alert.type} `,
        { b: alert.geofenceName },
        ` at ${formatWhen(alert.at, now)}${onTrip(alert.trip)}`,
      ]);
    case 'offline': {
      const silent = alert.lastFixAt
        ? `no position for ${formatDuration((alert.at.getTime() - alert.lastFixAt.getTime()) / 1000)}, last seen ${formatWhen(alert.lastFixAt, now)}`
        : 'no position ever received';
      const where = alert.place ? ` (${lowerFirst(placeText(alert.place))})` : '';
      return sentence([{ b: alert.truckNumber }, ` is offline: ${silent}${where}${onTrip(alert.trip)}`]);
    }
    case 'online': {
      const gap = alert.offlineSince
        ? ` after ${formatDuration((alert.at.getTime() - alert.offlineSince.getTime()) / 1000)} without a position`
        : '';
      return sentence([{ b: alert.truckNumber }, ` is back online at ${formatWhen(alert.at, now)}${gap}`]);
    }
    case 'overspeed': {
      const where = alert.place ? `, ${lowerFirst(placeText(alert.place))}` : '';
      return sentence([
        { b: alert.truckNumber },
        ' at ',
        { b: formatSpeed(alert.speedKmh) },
        ` (limit ${formatSpeed(alert.limitKmh)})${alert.heldS ? ` for ${formatDuration(alert.heldS)}` : ''} at ${formatWhen(alert.at, now)}${where}${onTrip(alert.trip)}`,
      ]);
    }
    case 'trip_delayed': {
      const late = formatDuration((alert.at.getTime() - alert.eta.getTime()) / 1000);
      const truck = alert.truckNumber ? ` (${alert.truckNumber})` : '';
      return sentence([
        { b: alert.tripNumber },
        `${truck} is ${late} past its ETA ${formatWhen(alert.eta, now)} to ${alert.destinationName}, still ${statusLabel(alert.status)}`,
      ]);
    }
  }
}

// "Inside Apapa Port" starts a card; mid-sentence it reads "inside Apapa Port". Coordinates start with "At".
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** One alert as its own message. */
export function alertMessage(alert: AlertItem, opts: AlertOptions = {}): Message {
  const line = lineFor(alert, opts.now ?? alert.at);
  return {
    text: line.plain,
    blocks: [{ type: 'section', text: mrkdwn(`${EMOJI[alert.kind]} ${line.mrkdwn}`) }],
  };
}

export const geofenceAlert = (input: GeofenceAlertInput, opts: AlertOptions = {}): Message =>
  alertMessage({ kind: 'geofence', ...input }, opts);

export const offlineAlert = (input: OfflineAlertInput, opts: AlertOptions = {}): Message =>
  alertMessage({ kind: 'offline', ...input }, opts);

export const overspeedAlert = (input: OverspeedAlertInput, opts: AlertOptions = {}): Message =>
  alertMessage({ kind: 'overspeed', ...input }, opts);

export const tripDelayedAlert = (input: TripDelayedAlertInput, opts: AlertOptions = {}): Message =>
  alertMessage({ kind: 'trip_delayed', ...input }, opts);

export interface DigestOptions extends AlertOptions {
  /** A channel id (`C0123ABC`, shown as a link) or name (`ops-alerts`). */
  channel: string;
  /** Lines shown before "and N more"; default 10. */
  max?: number;
}

/** A burst of alerts in one message: counts by kind, then the first `max` in the order given. */
export function alertDigest(alerts: readonly AlertItem[], opts: DigestOptions): Message {
  const max = opts.max ?? 10;
  const now = opts.now ?? alerts.at(-1)?.at ?? new Date(0);
  const counts = KIND_ORDER.flatMap((kind) => {
    const n = alerts.filter((a) => a.kind === kind).length;
    return n > 0 ? [`${n} ${COUNT_NOUN[kind][n === 1 ? 0 : 1]}`] : [];
  }).join(', ');
  const channel = /^[CG][A-Z0-9]{6,}$/.test(opts.channel) ? `<#${opts.channel}>` : `#${esc(opts.channel)}`;
  const shown = alerts.slice(0, max).map((a) => `${EMOJI[a.kind]} ${lineFor(a, now).mrkdwn}`);
  const rest = alerts.length - shown.length;

  const blocks: KnownBlock[] = [
    { type: 'section', text: mrkdwn(`*${plural(alerts.length, 'alert')}* for ${channel}: ${counts}`) },
  ];
  // A section's text stops at 3,000 characters.
  if (shown.length > 0) blocks.push({ type: 'section', text: mrkdwn(truncate(shown.join('\n'), 3000)) });
  if (rest > 0) blocks.push(context(`and ${rest} more`));
  return { text: `${plural(alerts.length, 'alert')}: ${counts}`, blocks };
}
