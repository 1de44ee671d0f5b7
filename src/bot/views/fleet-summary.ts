import type { KnownBlock } from '@slack/types';
import { formatClock } from '../../domain/time.ts';
import { ACTIVE_STATUSES, statusLabel } from '../../domain/trip-state.ts';
import type { FleetSummary } from '../../fleet/summary.ts';
import { context, esc, field, header, type Message, mrkdwn, plural, statusEmoji } from './format.ts';

// `/fleet`: the whole fleet at a glance. Trucks (moving, offline, at which terminal) and open trips by status.

/** What the summary shows: the fleet use case's answer. */
export type FleetSummaryInput = FleetSummary;

/** Terminals listed by name; more than this and the rest are summed, so the message stays readable. */
const MAX_TERMINALS = 10;

export function fleetSummary(input: FleetSummaryInput, opts: { now: Date }): Message {
  const openTrips = ACTIVE_STATUSES.flatMap((s) => {
    const n = input.byStatus[s] ?? 0;
    return n > 0 ? [{ status: s, n }] : [];
  });
  const openTotal = openTrips.reduce((sum, t) => sum + t.n, 0);
  const terminals = [...input.atTerminals]
    .filter((t) => t.count > 0)
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const shownTerminals = terminals.slice(0, MAX_TERMINALS);
  const otherTerminals = terminals.slice(MAX_TERMINALS).reduce((sum, t) => sum + t.count, 0);

  const blocks: KnownBlock[] = [
    header(`Fleet at ${formatClock(opts.now)}`),
    {
      type: 'section',
      fields: [
        field('Trucks', String(input.total)),
        field('Moving', String(input.moving)),
        field('Offline', input.offline > 0 ? `${input.offline} :warning:` : '0'),
        field('Open trips', String(openTotal)),
      ],
    },
  ];

  if (openTrips.length > 0) {
    const lines = openTrips.map((t) => `${statusEmoji(t.status)} ${statusLabel(t.status)}: ${t.n}`);
    blocks.push({ type: 'section', text: mrkdwn(`*Trips*\n${lines.join('\n')}`) });
  }
  if (shownTerminals.length > 0) {
    const lines = shownTerminals.map((t) => `${esc(t.name)}: ${t.count}`);
    if (otherTerminals > 0) lines.push(`other places: ${otherTerminals}`);
    blocks.push({ type: 'section', text: mrkdwn(`*At terminals*\n${lines.join('\n')}`) });
  } else {
    blocks.push(context('No trucks inside a terminal right now.'));
  }

  const where = shownTerminals.map((t) => `${t.count} at ${t.name}`).join(', ');
  return {
    text: `Fleet at ${formatClock(opts.now)}: ${plural(input.total, 'truck')}, ${input.moving} moving, ${input.offline} offline; ${plural(openTotal, 'open trip')}${where ? `; ${where}` : ''}`,
    blocks,
  };
}
