import type { Sql } from '../db/client.ts';
import { parseTripNumber } from '../db/trips.ts';
import type { Actor } from '../fleet/actor.ts';
import { getTrip } from '../fleet/trips.ts';
import { fleetSummaryData } from './fleet-summary-data.ts';
import { truckAnswer } from './truck-answer.ts';
import { fleetSummary } from './views/fleet-summary.ts';
import type { Message } from './views/format.ts';
import { helpMessage } from './views/help.ts';
import { tripCard } from './views/trip-card.ts';

// The deterministic command router: what a mention or DM says, read without an LLM. It answers "where is
// KJA-123XY", "trip TRP-000042", "fleet" and "help"; anything else gets the help with a line saying so.
// The LLM agent, when configured, takes over the free-form questions; this stays the fallback.

export type Intent =
  | { kind: 'truck'; truck: string }
  | { kind: 'trip'; trip: string }
  | { kind: 'fleet' }
  | { kind: 'help'; understood: boolean };

// A plate as the fleet writes it: letters, an optional dash, digits, letters (KJA-123XY, kja123xy).
const PLATE = /\b([A-Z]{2,3}-?\d{2,4}[A-Z]{1,3})\b/i;
const TRIP = /\b(TRP[-\s]?\d{1,12})\b/i;
const TRIP_WORD = /\btrip\s+#?(\d{1,12})\b/i;
const WHERE = /\bwhere(?:'s|\s+is|\s+are)?\s+(?:truck\s+)?([A-Z0-9][A-Z0-9\s-]{1,19}?)\s*\??$/i;

/** Reads an intent from text with the bot's own mention (and any other user mention) removed. */
export function parseIntent(raw: string): Intent {
  const text = raw
    .replace(/<@[UW][A-Z0-9]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '' || /^(help|\?|hi|hello)\b/i.test(text)) return { kind: 'help', understood: true };

  const trip = TRIP.exec(text)?.[1] ?? TRIP_WORD.exec(text)?.[1];
  if (trip) return { kind: 'trip', trip: parseTripNumber(trip) ?? trip };

  const plate = PLATE.exec(text)?.[1];
  if (plate) return { kind: 'truck', truck: plate };
  if (/\bfleet\b/i.test(text)) return { kind: 'fleet' };
  const where = WHERE.exec(text)?.[1];
  if (where) return { kind: 'truck', truck: where };

  if (/\bhelp\b/i.test(text)) return { kind: 'help', understood: true };
  return { kind: 'help', understood: false };
}

export interface RouterContext {
  sql: Sql;
  actor: Actor;
  now: Date;
}

/** The answer to an intent; use cases throw AppError (unknown truck, no such trip) for the caller to show. */
export async function answer(intent: Intent, ctx: RouterContext): Promise<Message> {
  switch (intent.kind) {
    case 'truck':
      return truckAnswer(ctx.sql, ctx.actor, intent.truck, ctx.now);
    case 'trip':
      return tripCard(await getTrip(ctx.sql, ctx.actor, intent.trip), { now: ctx.now });
    case 'fleet':
      return fleetSummary(await fleetSummaryData(ctx.sql, ctx.actor, ctx.now), { now: ctx.now });
    case 'help': {
      const help = helpMessage('/watchtower');
      if (intent.understood) return help;
      const sorry = "I didn't catch that. I understand a truck number, a trip number, `fleet` and `help`:";
      return {
        text: `I didn't catch that. ${help.text}`,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: sorry } }, ...help.blocks],
      };
    }
  }
}
