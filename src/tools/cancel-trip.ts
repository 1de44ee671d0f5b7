import { z } from 'zod';
import { cancelTrip, getTrip } from '../fleet/trips.ts';
import { tripArg } from './args.ts';
import { ok } from './result.ts';
import { tripDetail, tripLabel } from './trip-view.ts';
import type { FleetTool } from './types.ts';

const input = z.strictObject({
  trip: tripArg,
  reason: z
    .string({ error: 'reason: say why the trip is cancelled' })
    .trim()
    .min(1, { error: 'reason: say why the trip is cancelled' })
    .max(500, { error: 'reason: at most 500 characters' })
    .describe("Why, in the user's words; ask if they did not say."),
});

export const cancelTripTool: FleetTool<typeof input> = {
  name: 'cancel_trip',
  description:
    'Cancels a trip that is not yet delivered, keeping the reason, and frees its truck. A human confirms first. Ask for the reason if the user gave none.',
  input,
  writes: true,
  async preview({ trip, reason }, { sql, actor }) {
    return `Cancel ${tripLabel(await getTrip(sql, actor, trip))}. Reason: ${reason}`;
  },
  async run({ trip, reason }, { sql, actor, now }) {
    return ok(tripDetail(await cancelTrip(sql, actor, trip, { reason }), now));
  },
};
