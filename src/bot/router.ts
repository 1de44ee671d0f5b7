import type { Sql } from '../db/client.ts';
import { GEOFENCE_TYPES, type GeofenceType } from '../db/geofences.ts';
import { parseTripNumber } from '../db/trips.ts';
import { addDays, formatWhen, localDate } from '../domain/time.ts';
import type { TripStatus } from '../domain/trip-state.ts';
import type { Actor } from '../fleet/actor.ts';
import { dailyReport, tatReport, trucksNear, utilizationReport } from '../fleet/analytics.ts';
import { findPlace, listGeofences, placeCentre, trucksInGeofence } from '../fleet/geofences.ts';
import { fleetSummaryData } from '../fleet/summary.ts';
import { getTrip, listTrips } from '../fleet/trips.ts';
import { tripListMessage } from './trip-list.ts';
import { truckAnswer } from './truck-answer.ts';
import { fleetSummary } from './views/fleet-summary.ts';
import { context, esc, formatDistanceM, header, type Message, mrkdwn, plural } from './views/format.ts';
import { helpMessage } from './views/help.ts';
import { dailyReportMessage, tatReportMessage, utilizationReportMessage } from './views/report.ts';
import { tripCard } from './views/trip-card.ts';

// The deterministic command router: what a mention or DM says, read without an LLM. It is the bot's
// "limited mode": where a truck is, trucks near or at a place, a trip's status, trip lists, the fleet
// summary, reports and the list of places, in the fleet's own words (pidgin included: "where KJA-123XY
// dey?", "which moto don reach Apapa?"). The LLM agent, when configured, takes the free-form questions and
// the changes; this stays the fallback. Each intent names the agent tool it corresponds to (intentTool), so
// the golden set scores the router and the model on the same questions.

export const REPORT_KINDS = ['daily', 'tat', 'utilization'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export type Intent =
  | { kind: 'truck'; truck: string }
  | { kind: 'near'; place: string; radiusKm?: number }
  | { kind: 'at'; place: string }
  | { kind: 'trip'; trip: string }
  | { kind: 'trips'; active?: boolean; status?: TripStatus[]; date?: string; truck?: string }
  | { kind: 'fleet' }
  | { kind: 'report'; report: ReportKind; date?: string; from?: string; to?: string }
  | { kind: 'places'; type?: GeofenceType }
  /** A change (plan, move, cancel a trip): the router never makes one; it says where to. */
  | { kind: 'change'; trip?: string }
  | { kind: 'help'; understood: boolean };

// A plate as the fleet writes it: letters, an optional dash, digits, letters (KJA-123XY, kja123xy).
const PLATE = /\b([A-Z]{2,3}-?\d{2,4}[A-Z]{1,3})\b/i;
const TRIP = /\b(TRP[-\s]?\d{1,12})\b/i;
const TRIP_WORD = /\btrip\s+(?:no\.?\s*|number\s+)?#?(\d{1,12})\b/i;
const WHERE = /\bwhere(?:'s|\s+is|\s+are)?\s+(?:truck\s+)?([A-Z0-9][A-Z0-9\s-]{1,19}?)\s*\??$/i;

const CHANGE = /\b(cancel|create|book|plan\s+a|mark|update|dispatch|assign|kill)\b/i;
const REPORT = /\b(reports?|tat|turn\s*-?around|utili[sz]ation|utili[sz]ed)\b/i;
const TRIPS = /\b(trips|jobs|loads|deliveries|trip\s+list)\b/i;
const FLEET =
  /\b(fleet|summary|overview)\b|\bhow\s+(?:far|body)\s+with\s+(?:the\s+|our\s+)?(?:trucks|motos?)\b/i;
const PLACES = /\b(geofences?|places|locations|terminals|depots|client\s+sites|checkpoints)\b/i;
const ASKS_FOR_TRUCKS =
  /\b(which|who|what|how\s+many|list|show|any|trucks?|motos?|motors?|vehicles?|lorr(?:y|ies))\b/i;
const NEAR = /\b(?:near(?:by)?|around|close\s+to|by)\s+(.+)$/i;
const WITHIN = /\bwithin\s+(\d+(?:\.\d+)?)\s*km\s+(?:of|from|to)\s+(.+)$/i;
const AT =
  /\b(?:at|in|inside|reach|reached|dey|arrived(?:\s+at)?|entered|for)\s+(?:the\s+)?([a-z][\w\s'’–-]*)$/i;

// Words that end a place name in a question ("…at Apapa right now?").
const PLACE_TAIL =
  /\s*(?:\b(?:now|right\s+now|currently|at\s+the\s+moment|today|abeg|o|sef|please|pls|so\s+far|this\s+morning)\b|[?.!,]).*$/i;
const PLACE_LEAD = /^(?:(?:the|at|in|inside|reach|dey|don|for|to|of)\s+)+/i;
const NOT_PLACES = new Set(['', 'the moment', 'moment', 'all', 'total', 'there', 'here', 'transit']);

function cleanPlace(raw: string): string | undefined {
  const place = raw.replace(PLACE_TAIL, '').replace(PLACE_LEAD, '').trim();
  return NOT_PLACES.has(place.toLowerCase()) || /^\d/.test(place) ? undefined : place;
}

// ---------------------------------------------------------------------------------------------------------
// Dates as people say them, resolved to Lagos dates against `now`

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DATE_WORDS =
  /\b(\d{4}-\d{2}-\d{2})\b|\b(today|yesterday)\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+(\d{4}))?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b/gi;

const pad = (n: number) => String(n).padStart(2, '0');

/** Every date named in `text`, in order, as Lagos YYYY-MM-DD. */
export function datesIn(text: string, now: Date): string[] {
  const today = localDate(now);
  const year = Number(today.slice(0, 4));
  const out: string[] = [];
  for (const m of text.matchAll(DATE_WORDS)) {
    if (m[1]) out.push(m[1]);
    else if (m[2]) out.push(m[2].toLowerCase() === 'today' ? today : addDays(today, -1));
    else {
      const day = Number(m[3] ?? m[7]);
      const month = MONTHS.indexOf((m[4] ?? m[6])!.toLowerCase()) + 1;
      out.push(`${m[5] ?? m[8] ?? year}-${pad(month)}-${pad(day)}`);
    }
  }
  return out;
}

/** A range named by words: "last week" (the seven days before this one), "this week", "last N days". */
function rangeIn(text: string, now: Date): { from: string; to: string } | undefined {
  const today = localDate(now);
  const weekday = (new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7; // Monday 0
  if (/\blast\s+week\b/i.test(text)) {
    const monday = addDays(today, -weekday - 7);
    return { from: monday, to: addDays(monday, 6) };
  }
  if (/\bthis\s+week\b/i.test(text)) return { from: addDays(today, -weekday), to: today };
  const days = /\b(?:last|past)\s+(\d{1,2})\s+days\b/i.exec(text);
  if (days) return { from: addDays(today, -(Number(days[1]) - 1)), to: today };
  return undefined;
}

function reportIntent(text: string, now: Date): Intent {
  const report: ReportKind = /\b(tat|turn\s*-?around)\b/i.test(text)
    ? 'tat'
    : /\butili[sz]/i.test(text)
      ? 'utilization'
      : 'daily';
  const dates = datesIn(text, now);
  if (report === 'daily')
    return dates[0] ? { kind: 'report', report, date: dates[0] } : { kind: 'report', report };
  const range = rangeIn(text, now);
  if (dates.length >= 2) return { kind: 'report', report, from: dates[0], to: dates[1] };
  if (dates.length === 1) return { kind: 'report', report, from: dates[0], to: dates[0] };
  if (range) return { kind: 'report', report, ...range };
  // Turnaround is read over a week by default: one day holds too few completed trips to say much.
  const today = localDate(now);
  return { kind: 'report', report, from: report === 'tat' ? addDays(today, -6) : today, to: today };
}

const STATUS_WORDS: [RegExp, TripStatus][] = [
  [/\bplanned\b/i, 'planned'],
  [/\bdispatched\b/i, 'dispatched'],
  [/\bat\s+pickup\b/i, 'at_pickup'],
  [/\bin\s+transit\b/i, 'in_transit'],
  [/\bat\s+drop\s*-?off\b/i, 'at_dropoff'],
  [/\bdelivered\b/i, 'delivered'],
  [/\bcompleted\b/i, 'completed'],
  [/\bcancell?ed\b/i, 'cancelled'],
];

function tripsIntent(text: string, now: Date): Intent {
  const intent: Extract<Intent, { kind: 'trips' }> = { kind: 'trips' };
  const status = STATUS_WORDS.filter(([re]) => re.test(text)).map(([, s]) => s);
  if (status.length > 0) intent.status = status;
  else if (/\b(active|open|running|ongoing|on\s+the\s+road|dey\s+move|current)\b/i.test(text))
    intent.active = true;
  const [date] = datesIn(text, now);
  if (date) intent.date = date;
  const plate = PLATE.exec(text)?.[1];
  if (plate) intent.truck = plate;
  return intent;
}

function placesIntent(text: string): Intent {
  const named = /\b(terminal|depot|client|checkpoint|corridor)s?\b/i.exec(text)?.[1]?.toLowerCase();
  const type = GEOFENCE_TYPES.find((t) => t === named);
  return type ? { kind: 'places', type } : { kind: 'places' };
}

/**
 * Reads an intent from text with the bot's own mention (and any other user mention) removed. `now` resolves
 * "today" and "yesterday" to Lagos dates.
 */
export function parseIntent(raw: string, now: Date = new Date()): Intent {
  const text = raw
    .replace(/<@[UW][A-Z0-9]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '' || /^(help|\?|hi|hello)\b/i.test(text)) return { kind: 'help', understood: true };

  if (REPORT.test(text)) return reportIntent(text, now);

  const trip = TRIP.exec(text)?.[1] ?? TRIP_WORD.exec(text)?.[1];
  const tripNumber = trip && (parseTripNumber(trip) ?? trip);
  if (CHANGE.test(text)) return tripNumber ? { kind: 'change', trip: tripNumber } : { kind: 'change' };
  if (tripNumber) return { kind: 'trip', trip: tripNumber };
  if (TRIPS.test(text)) return tripsIntent(text, now);

  const plate = PLATE.exec(text)?.[1];
  if (plate) return { kind: 'truck', truck: plate };
  if (FLEET.test(text)) return { kind: 'fleet' };

  const within = WITHIN.exec(text);
  const withinPlace = within && cleanPlace(within[2]!);
  if (within && withinPlace) return { kind: 'near', place: withinPlace, radiusKm: Number(within[1]) };
  const near = NEAR.exec(text);
  const nearPlace = near && cleanPlace(near[1]!);
  if (nearPlace && ASKS_FOR_TRUCKS.test(text)) return { kind: 'near', place: nearPlace };

  if (PLACES.test(text) && !/\b(trucks?|motos?)\b/i.test(text)) return placesIntent(text);
  const at = AT.exec(text.replace(PLACE_TAIL, ''));
  const atPlace = at && cleanPlace(at[1]!);
  if (atPlace && ASKS_FOR_TRUCKS.test(text)) return { kind: 'at', place: atPlace };

  const where = WHERE.exec(text)?.[1];
  if (where) return { kind: 'truck', truck: where };

  if (/\bhelp\b/i.test(text)) return { kind: 'help', understood: true };
  return { kind: 'help', understood: false };
}

// ---------------------------------------------------------------------------------------------------------
// The agent tool each intent stands for (the golden set's router predictor)

export interface ToolCall {
  tool: string | null;
  args: Record<string, unknown>;
}

export function intentTool(intent: Intent): ToolCall {
  switch (intent.kind) {
    case 'truck':
      return { tool: 'get_truck_location', args: { truck: intent.truck } };
    case 'near':
      return {
        tool: 'find_trucks_near',
        args: { place: intent.place, ...(intent.radiusKm ? { radius_km: intent.radiusKm } : {}) },
      };
    case 'at':
      return { tool: 'trucks_in_geofence', args: { geofence: intent.place } };
    case 'trip':
      return { tool: 'get_trip_status', args: { trip: intent.trip } };
    case 'trips': {
      const { kind: _, ...args } = intent;
      return { tool: 'list_trips', args };
    }
    case 'fleet':
      return { tool: 'fleet_summary', args: {} };
    case 'report': {
      const { kind: _, report, ...dates } = intent;
      return { tool: 'generate_report', args: { kind: report, ...dates } };
    }
    case 'places':
      return { tool: 'list_geofences', args: intent.type ? { type: intent.type } : {} };
    case 'change':
    case 'help':
      return { tool: null, args: {} };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Answers

export interface RouterContext {
  sql: Sql;
  actor: Actor;
  now: Date;
}

const SHOWN = 15;

function truckLines(title: string, rows: { line: string }[], empty: string, footer: string): Message {
  if (rows.length === 0) {
    return { text: `${title}: ${empty}`, blocks: [header(title), { type: 'section', text: mrkdwn(empty) }] };
  }
  const shown = rows.slice(0, SHOWN).map((r) => r.line);
  const more = rows.length - shown.length;
  return {
    text: `${title}: ${plural(rows.length, 'truck')}`,
    blocks: [
      header(title),
      { type: 'section', text: mrkdwn(shown.join('\n')) },
      context(more > 0 ? `…and ${more} more. ${footer}` : footer),
    ],
  };
}

async function nearAnswer(intent: Extract<Intent, { kind: 'near' }>, ctx: RouterContext): Promise<Message> {
  const radiusKm = intent.radiusKm ?? 5;
  const centre = await placeCentre(ctx.sql, ctx.actor, intent.place);
  const found = await trucksNear(ctx.sql, ctx.actor, {
    lat: centre.lat,
    lng: centre.lng,
    radiusM: radiusKm * 1000,
  });
  return truckLines(
    `Trucks within ${radiusKm} km of ${centre.geofence.name}`,
    found.map((t) => ({
      line: `*${esc(t.truckNumber)}* · ${formatDistanceM(t.distanceM)} · ${t.lastFixAt ? formatWhen(t.lastFixAt, ctx.now) : 'no fix'}`,
    })),
    'No trucks there right now.',
    'Distances from the middle of the geofence, by each truck’s last fix.',
  );
}

async function atAnswer(intent: Extract<Intent, { kind: 'at' }>, ctx: RouterContext): Promise<Message> {
  const place = await findPlace(ctx.sql, ctx.actor, intent.place);
  const { trucks } = await trucksInGeofence(ctx.sql, ctx.actor, place.id);
  return truckLines(
    `At ${place.name}`,
    trucks.map((t) => ({ line: `*${esc(t.truckNumber)}* · in since ${formatWhen(t.enteredAt, ctx.now)}` })),
    'No trucks inside right now.',
    'Earliest arrival first.',
  );
}

async function placesAnswer(
  intent: Extract<Intent, { kind: 'places' }>,
  ctx: RouterContext,
): Promise<Message> {
  const rows = await listGeofences(ctx.sql, ctx.actor, intent.type ? { type: intent.type } : {});
  const title = intent.type ? `${intent.type[0]!.toUpperCase()}${intent.type.slice(1)}s` : 'Places';
  if (rows.length === 0) {
    return {
      text: `${title}: none yet.`,
      blocks: [header(title), { type: 'section', text: mrkdwn('None yet.') }],
    };
  }
  return {
    text: `${title}: ${rows.map((g) => g.name).join(', ')}`,
    blocks: [
      header(title),
      { type: 'section', text: mrkdwn(rows.map((g) => `• ${esc(g.name)} (${g.type})`).join('\n')) },
    ],
  };
}

function tripsTitle(intent: Extract<Intent, { kind: 'trips' }>): string {
  const which = intent.status?.map((s) => s.replace('_', ' ')).join(' or ') ?? (intent.active ? 'open' : '');
  const parts = [which ? `${which[0]!.toUpperCase()}${which.slice(1)} trips` : 'Trips'];
  if (intent.truck) parts.push(`for ${intent.truck.toUpperCase()}`);
  if (intent.date) parts.push(`on ${intent.date}`);
  return parts.join(' ');
}

const TRIP_LIST_LIMIT = 15;

/** The answer to an intent; use cases throw AppError (unknown truck, no such trip) for the caller to show. */
export async function answer(intent: Intent, ctx: RouterContext): Promise<Message> {
  switch (intent.kind) {
    case 'truck':
      return truckAnswer(ctx.sql, ctx.actor, intent.truck, ctx.now);
    case 'near':
      return nearAnswer(intent, ctx);
    case 'at':
      return atAnswer(intent, ctx);
    case 'trip':
      return tripCard(await getTrip(ctx.sql, ctx.actor, intent.trip), { now: ctx.now });
    case 'trips': {
      const { kind: _, ...filters } = intent;
      const trips = await listTrips(ctx.sql, ctx.actor, { ...filters, limit: TRIP_LIST_LIMIT });
      return tripListMessage(trips, { title: tripsTitle(intent), limit: TRIP_LIST_LIMIT });
    }
    case 'fleet':
      return fleetSummary(await fleetSummaryData(ctx.sql, ctx.actor, ctx.now), { now: ctx.now });
    case 'report': {
      if (intent.report === 'daily') {
        const date = intent.date ?? localDate(ctx.now);
        return dailyReportMessage(await dailyReport(ctx.sql, ctx.actor, { date }, { now: ctx.now }));
      }
      const range = { from: intent.from ?? localDate(ctx.now), to: intent.to ?? localDate(ctx.now) };
      return intent.report === 'tat'
        ? tatReportMessage(await tatReport(ctx.sql, ctx.actor, range))
        : utilizationReportMessage(await utilizationReport(ctx.sql, ctx.actor, range, { now: ctx.now }));
    }
    case 'places':
      return placesAnswer(intent, ctx);
    case 'change': {
      const card = intent.trip ? ` (\`/trip ${intent.trip}\` shows its card)` : '';
      const text = `I can't change trips from a message without the AI assistant: use \`/trip new\` to plan one, or the buttons on the trip's card${card}.`;
      return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
    }
    case 'help': {
      const help = helpMessage('/watchtower');
      if (intent.understood) return help;
      const sorry =
        "I didn't catch that. I understand a truck number, a trip number (`TRP-000042`), `trucks near Apapa`, `trucks at Tin Can`, `open trips`, `fleet`, `daily report yesterday`, `tat report last week`, `terminals` and `help`:";
      return {
        text: `I didn't catch that. ${help.text}`,
        blocks: [{ type: 'section', text: mrkdwn(sorry) }, ...help.blocks],
      };
    }
  }
}
