import type { ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, PlainTextElement } from '@slack/types';
import type { TripStatus } from '../../domain/trip-state.ts';

// What every Block Kit builder in this folder shares: the message shape, text objects, and the fleet's way of
// writing distances, durations, shares and people. Builders are pure: callers fetch, these only render.

/** A Slack message: `text` is what notifications and screen readers read, so it is never left out. */
export interface Message {
  text: string;
  blocks: KnownBlock[];
}

/**
 * Escapes what Slack's mrkdwn parses as control sequences. Anything typed by a person (client names, cargo,
 * cancel reasons) goes through here, so `<!channel>` in a cargo field is shown, never sent as a ping.
 */
export function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export const plain = (text: string): PlainTextElement => ({ type: 'plain_text', text, emoji: true });
export const mrkdwn = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text });

/** Slack cuts header text at 150 characters and refuses longer; we cut first, on our terms. */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(truncate(text, 150)) };
}

export function context(...lines: string[]): ContextBlock {
  return { type: 'context', elements: lines.map(mrkdwn) };
}

/** A bold label over its value, as a section field reads best. */
export const field = (label: string, value: string): MrkdwnElement => mrkdwn(`*${label}*\n${value}`);

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const oneDecimal = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });

/** `2.4 km`, `1,204.0 km` */
export const formatKm = (km: number): string => `${oneDecimal.format(km)} km`;

/** Metres as the fleet reads them: `2.4 km`. */
export const formatDistanceM = (meters: number): string => formatKm(meters / 1000);

/** `42 km/h`; unknown when the device sent no speed. */
export const formatSpeed = (kmh: number | null | undefined): string =>
  kmh === null || kmh === undefined ? 'unknown' : `${whole.format(kmh)} km/h`;

/** `3 h 20 min`, `45 min`, `3 h`; `n/a` for a duration nobody measured (not zero: zero would be a claim). */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'n/a';
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return 'under 1 min';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** A share in 0..1 as a whole percentage: `83%`. */
export const formatPercent = (share: number | null | undefined): string =>
  share === null || share === undefined || !Number.isFinite(share) ? 'n/a' : `${Math.round(share * 100)}%`;

/** `1 trip`, `3 trips` */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

const SLACK_USER = /^slack:([UW][A-Z0-9]+)$/;

/**
 * Who did something, from an actor principal: a Slack user becomes a mention (`<@U123>`, which Slack shows as
 * their name), the system is Watch Tower, an API client is named as one.
 */
export function actorName(principal: string): string {
  const slack = SLACK_USER.exec(principal);
  if (slack) return `<@${slack[1]}>`;
  if (principal.startsWith('system:')) return 'Watch Tower';
  if (principal.startsWith('api:')) return `${esc(principal.slice(4))} (API)`;
  return esc(principal);
}

const STATUS_EMOJI: Readonly<Record<TripStatus, string>> = {
  planned: ':spiral_calendar_pad:',
  dispatched: ':outbox_tray:',
  at_pickup: ':package:',
  in_transit: ':truck:',
  at_dropoff: ':inbox_tray:',
  delivered: ':white_check_mark:',
  completed: ':checkered_flag:',
  cancelled: ':x:',
};

export const statusEmoji = (status: TripStatus): string => STATUS_EMOJI[status];

/** `In transit` */
export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The place a fix is at: inside a geofence, or the nearest one and how far. */
export interface TruckPlace {
  inside?: string;
  nearest?: { name: string; distanceM: number };
}

/** `Inside Apapa Port`, `2.4 km from Tin Can Island Port`, else coordinates; plain text, escape for mrkdwn. */
export function placeText(
  place: TruckPlace | undefined,
  at: { lat: number | null; lng: number | null } = { lat: null, lng: null },
): string {
  if (place?.inside) return `Inside ${place.inside}`;
  if (place?.nearest) return `${formatDistanceM(place.nearest.distanceM)} from ${place.nearest.name}`;
  if (at.lat === null || at.lng === null) return 'No GPS fix yet';
  return `At ${at.lat.toFixed(5)}, ${at.lng.toFixed(5)}`;
}
