import type { KnownBlock } from '@slack/types';
import { statusLabel } from '../domain/trip-state.ts';
import type { TripView } from '../fleet/trips.ts';
import { context, esc, header, type Message, mrkdwn, plural, statusEmoji, truncate } from './views/format.ts';

// `/trip list`: one line per trip, newest first, compact enough for a dozen in one message.

export function tripListMessage(trips: readonly TripView[], opts: { title: string; limit: number }): Message {
  if (trips.length === 0) {
    return {
      text: `${opts.title}: no trips. Plan one with /trip new.`,
      blocks: [header(opts.title), { type: 'section', text: mrkdwn('No trips. Plan one with `/trip new`.') }],
    };
  }
  const line = (t: TripView) =>
    `${statusEmoji(t.status)} *${t.tripNumber}* · ${esc(t.truckNumber ?? 'no truck')} · ${esc(t.originName)} → ${esc(t.destinationName)} · ${statusLabel(t.status)}`;
  const blocks: KnownBlock[] = [
    header(opts.title),
    // A section's text stops at 3,000 characters.
    { type: 'section', text: mrkdwn(truncate(trips.map(line).join('\n'), 3000)) },
  ];
  if (trips.length >= opts.limit) blocks.push(context(`Showing the newest ${opts.limit}.`));
  else blocks.push(context('`/trip TRP-000042` shows one with its buttons.'));
  return {
    text: `${opts.title}: ${plural(trips.length, 'trip')}: ${trips.map((t) => t.tripNumber).join(', ')}`,
    blocks,
  };
}
