import { randomUUID } from 'node:crypto';
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { setTripSlackCard } from '../../../db/trips.ts';
import { type AppError, isAppError } from '../../../errors.ts';
import { createTrip, createTripSchema, type TripView } from '../../../fleet/trips.ts';
import { slackActor } from '../../actor.ts';
import type { BotDeps } from '../../deps.ts';
import { errorText } from '../../errors.ts';
import { tripCard } from '../../views/trip-card.ts';
import { tripModalErrors, tripModalInput } from '../../views/trip-modal.ts';
import type { TripModalMetadata } from '../commands/trip.ts';

// The "plan a trip" modal submitted: createTrip decides; what it refuses is shown under the field it is about
// (the modal stays open), and a planned trip gets its card in the channel the modal was opened from.

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type Issue = { field: string; message: string };

export const tripNewSubmission =
  (deps: BotDeps) =>
  async ({ ack, body, view, client }: Args): Promise<void> => {
    const user = body.user.id;
    const input = tripModalInput(view.state.values as Parameters<typeof tripModalInput>[0]);
    let trip: TripView;
    try {
      const actor = await slackActor(deps.sql, user, randomUUID());
      trip = await createTrip(deps.sql, actor, input);
    } catch (err) {
      const issues: Issue[] = isAppError(err)
        ? issuesOf(err, input)
        : [{ field: 'form', message: errorText(err, deps.logger, { view: view.callback_id, user }) }];
      await ack(tripModalErrors(issues));
      return;
    }
    await ack();

    const channel = readMetadata(view.private_metadata)?.channel;
    if (!channel) return;
    const card = tripCard(trip, { now: deps.now() });
    try {
      const posted = await client.chat.postMessage({ channel, text: card.text, blocks: card.blocks });
      if (posted.ts) await setTripSlackCard(deps.sql, trip.id, posted.channel ?? channel, posted.ts);
    } catch (err) {
      deps.logger.warn({ err, trip: trip.tripNumber, channel }, 'could not post a new trip card');
      await client.chat
        .postMessage({
          channel: user,
          text: `${trip.tripNumber} is planned, but I couldn't post its card in <#${channel}>: invite me there, then show it with \`/trip ${trip.tripNumber}\`.`,
        })
        .catch(() => undefined);
    }
  };

/** What createTrip refused, by the field it is about; the schema's own issues when the input was invalid. */
function issuesOf(err: AppError, input: Record<string, string>): Issue[] {
  if (err.code === 'WT_VALIDATION') {
    const parsed = createTripSchema.safeParse(input);
    if (!parsed.success) {
      return parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? 'form'), message: i.message }));
    }
  }
  const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
  if (field) return [{ field, message: err.message }];
  if (err.code === 'WT_TRUCK_NOT_FOUND' || err.code === 'WT_TRUCK_BUSY') {
    return [{ field: 'truck', message: err.message }];
  }
  return [{ field: 'form', message: err.message }];
}

function readMetadata(raw: string): Partial<TripModalMetadata> | undefined {
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null ? (value as Partial<TripModalMetadata>) : undefined;
  } catch {
    return undefined;
  }
}
