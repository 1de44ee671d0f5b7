import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseTripNumber } from '../../../db/trips.ts';
import { localDate } from '../../../domain/time.ts';
import { type Actor, requireRole } from '../../../fleet/actor.ts';
import { listGeofences } from '../../../fleet/geofences.ts';
import { getTrip, listTrips } from '../../../fleet/trips.ts';
import { listTrucks } from '../../../fleet/trucks.ts';
import { answerCommand, ephemeral, inChannel, type Reply, sentence } from '../../command-reply.ts';
import type { BotDeps } from '../../deps.ts';
import { tripListMessage } from '../../trip-list.ts';
import { helpMessage } from '../../views/help.ts';
import { tripCard } from '../../views/trip-card.ts';
import { newTripModal } from '../../views/trip-modal.ts';

// `/trip new | status TRP-000042 | TRP-000042 | list [active|today|KJA-123XY] | help`.

const LIST_LIMIT = 20;
/** Where the modal's submission posts the card; read back by the trip_new view listener. */
export interface TripModalMetadata {
  channel: string;
}

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export const tripCommand =
  (deps: BotDeps) =>
  async ({ command, ack, respond, client }: Args): Promise<void> => {
    await ack();
    const [verb = '', ...rest] = command.text.trim().split(/\s+/);
    const arg = rest.join(' ');
    await answerCommand(deps, command, respond, async (actor): Promise<Reply> => {
      switch (verb.toLowerCase()) {
        case '':
        case 'help':
          return ephemeral(helpMessage('/trip'));
        case 'new':
          await openNewTripModal(deps, actor, client, command.trigger_id, command.channel_id);
          return undefined;
        case 'status':
        case 'show':
          if (!arg) return ephemeral(sentence('Say which trip, e.g. `/trip status TRP-000042`.'));
          return inChannel(tripCard(await getTrip(deps.sql, actor, arg), { now: deps.now() }));
        case 'list':
          return ephemeral(await tripList(deps, actor, arg));
        default:
          if (parseTripNumber(verb) && !arg) {
            return inChannel(tripCard(await getTrip(deps.sql, actor, verb), { now: deps.now() }));
          }
          return ephemeral(sentence(`I don't know \`/trip ${verb}\`; try \`/trip help\`.`));
      }
    });
  };

async function tripList(deps: BotDeps, actor: Actor, arg: string) {
  const filter = arg.toLowerCase();
  if (filter === '' || filter === 'active') {
    const trips = await listTrips(deps.sql, actor, { active: true, limit: LIST_LIMIT });
    return tripListMessage(trips, { title: 'Open trips', limit: LIST_LIMIT });
  }
  if (filter === 'today') {
    const date = localDate(deps.now());
    const trips = await listTrips(deps.sql, actor, { date, limit: LIST_LIMIT });
    return tripListMessage(trips, { title: `Trips today (${date})`, limit: LIST_LIMIT });
  }
  const trips = await listTrips(deps.sql, actor, { truck: arg, limit: LIST_LIMIT });
  return tripListMessage(trips, { title: `Trips of ${arg.toUpperCase()}`, limit: LIST_LIMIT });
}

async function openNewTripModal(
  deps: BotDeps,
  actor: Actor,
  client: AllMiddlewareArgs['client'],
  triggerId: string,
  channel: string,
): Promise<void> {
  // Refused now rather than after the form is filled in.
  requireRole(actor, 'dispatcher', 'plan trips');
  const [geofences, trucks] = await Promise.all([
    listGeofences(deps.sql, actor),
    listTrucks(deps.sql, actor, { status: 'active', limit: 500 }),
  ]);
  const metadata: TripModalMetadata = { channel };
  await client.views.open({
    trigger_id: triggerId,
    view: newTripModal(
      {
        geofences: geofences.map((g) => ({ id: g.id, name: g.name })),
        trucks: trucks.map((t) => ({ value: t.truckNumber, label: t.truckNumber })),
      },
      { privateMetadata: JSON.stringify(metadata) },
    ),
  });
}
