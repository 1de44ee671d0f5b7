import { randomUUID } from 'node:crypto';
import { isAppError } from '../../../errors.ts';
import { cancelTrip, getTrip, type TripView, updateTripStatus } from '../../../fleet/trips.ts';
import { slackActor } from '../../actor.ts';
import type { BotDeps } from '../../deps.ts';
import { errorText } from '../../errors.ts';
import { parseTripStatusValue, tripCard } from '../../views/trip-card.ts';
import { type ButtonArgs, readClick } from './click.ts';

// A status button on a trip card: the clicker's role decides, the card's version guards against a stale card,
// and the card is redrawn in place. Whatever is refused is told to the clicker alone.
//
// Cancelling takes the button's confirm dialog as the decision and records a fixed reason; asking for a
// reason in a modal is for later (the trip keeps who cancelled it on its event and the card's context line).

export const CANCEL_REASON = 'Cancelled from Slack; no reason given';

type Args = ButtonArgs;

export const tripStatusAction =
  (deps: BotDeps) =>
  async ({ ack, body, action, client, respond }: Args): Promise<void> => {
    await ack();
    const { user, channel, card, tellClicker } = readClick({ body, client });

    const value = parseTripStatusValue(action.value);
    if (!value) {
      await tellClicker('This button is from an old card; show the trip again with `/trip TRP-000042`.');
      return;
    }

    const actor = await slackActor(deps.sql, user, randomUUID());
    let trip: TripView;
    try {
      trip =
        value.to === 'cancelled'
          ? await cancelTrip(deps.sql, actor, value.tripId, {
              reason: CANCEL_REASON,
              expectedVersion: value.version,
            })
          : await updateTripStatus(deps.sql, actor, value.tripId, {
              status: value.to,
              expectedVersion: value.version,
            });
    } catch (err) {
      await tellClicker(errorText(err, deps.logger, { action: action.action_id, user }));
      // A stale card (someone moved first) is redrawn as the trip is now, so its buttons are right again.
      if (isAppError(err) && (err.code === 'WT_VERSION_CONFLICT' || err.code === 'WT_TRIP_TRANSITION')) {
        const current = await getTrip(deps.sql, actor, value.tripId).catch(() => undefined);
        if (current) await redraw(deps, client, respond, current, channel, card?.ts);
      }
      return;
    }
    await redraw(deps, client, respond, trip, channel, card?.ts);
  };

/** Updates the clicked card and, when it is not the same message, the trip's own card. */
async function redraw(
  deps: BotDeps,
  client: Args['client'],
  respond: Args['respond'],
  trip: TripView,
  channel: string | undefined,
  ts: string | undefined,
): Promise<void> {
  const { text, blocks } = tripCard(trip, { now: deps.now() });
  if (channel && ts) {
    try {
      await client.chat.update({ channel, ts, text, blocks });
    } catch (err) {
      // A card posted through a slash command's response_url may not be the bot's to update; its own
      // response_url can still replace it.
      deps.logger.warn({ err, trip: trip.tripNumber }, 'chat.update of a trip card failed; replacing it');
      await respond({ replace_original: true, text, blocks }).catch(() => undefined);
    }
  }
  if (trip.slackChannel && trip.slackTs && !(trip.slackChannel === channel && trip.slackTs === ts)) {
    await client.chat
      .update({ channel: trip.slackChannel, ts: trip.slackTs, text, blocks })
      .catch((err: unknown) => deps.logger.warn({ err, trip: trip.tripNumber }, 'trip card update failed'));
  }
}
