import type { Sql } from '../db/client.ts';
import type { StoredEvent } from '../db/events.ts';
import { systemActor } from '../fleet/actor.ts';
import { getTrip } from '../fleet/trips.ts';
import type { Logger } from '../log.ts';
import type { Message } from './views/format.ts';
import { tripCard } from './views/trip-card.ts';

// A trip's card in Slack follows the trip wherever the change came from: a button, the API, the agent, or
// the trip advancing on its own as the truck enters and leaves its geofences. Every trip event redraws the
// card stored with the trip (its channel and ts) in place; redrawing twice draws the same card.

export interface ChatUpdater {
  chat: {
    update(args: { channel: string; ts: string; text: string; blocks?: Message['blocks'] }): Promise<unknown>;
  };
}

const SYNC_ACTOR = systemActor('slack-card-sync');

/** Slack's answer for a card that can no longer be updated: deleted, or in a channel we left. */
const GONE = new Set([
  'message_not_found',
  'channel_not_found',
  'cant_update_message',
  'is_archived',
  'not_in_channel',
]);

export async function syncTripCards(
  deps: { sql: Sql; client: ChatUpdater; logger: Logger; now: () => Date },
  events: readonly StoredEvent[],
): Promise<void> {
  const tripIds = new Set(events.filter((e) => e.entityType === 'trip').map((e) => e.entityId));
  for (const id of tripIds) {
    const trip = await getTrip(deps.sql, SYNC_ACTOR, id).catch(() => undefined);
    if (!trip?.slackChannel || !trip.slackTs) continue;
    const { text, blocks } = tripCard(trip, { now: deps.now() });
    try {
      await deps.client.chat.update({ channel: trip.slackChannel, ts: trip.slackTs, text, blocks });
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code && GONE.has(code)) {
        deps.logger.warn({ trip: trip.tripNumber, error: code }, 'trip card can no longer be updated');
        continue;
      }
      throw err;
    }
  }
}
