import { z } from 'zod';
import { statusLabel, TRIP_STATUSES } from '../domain/trip-state.ts';
import { getTrip, updateTripStatus } from '../fleet/trips.ts';
import { tripArg } from './args.ts';
import { ok } from './result.ts';
import { tripDetail, tripLabel } from './trip-view.ts';
import type { FleetTool } from './types.ts';

const MOVES = TRIP_STATUSES.filter((s) => s !== 'cancelled' && s !== 'planned');
const moveError = `status: expected one of ${MOVES.join(', ')} (to cancel, use cancel_trip)`;

const input = z.strictObject({
  trip: tripArg,
  status: z
    .enum(TRIP_STATUSES, { error: moveError })
    .exclude(['cancelled', 'planned'], { error: moveError })
    .describe('The next status: trips move one step at a time.'),
  note: z
    .string({ error: 'note: expected text' })
    .trim()
    .max(500, { error: 'note: at most 500 characters' })
    .optional(),
});

export const updateTripStatusTool: FleetTool<typeof input> = {
  name: 'update_trip_status',
  description:
    'Moves a trip one step forward (planned → dispatched → at_pickup → in_transit → at_dropoff → delivered → completed). A human confirms first. Check get_trip_status for the allowed next statuses.',
  input,
  writes: true,
  async preview({ trip, status, note }, { sql, actor }) {
    const t = await getTrip(sql, actor, trip);
    const why = note ? ` Note: ${note}` : '';
    return `Move ${tripLabel(t)} from ${statusLabel(t.status)} to ${statusLabel(status)}.${why}`;
  },
  async run({ trip, status, note }, { sql, actor, now }) {
    const updated = await updateTripStatus(sql, actor, trip, { status, note });
    return ok(tripDetail(updated, now));
  },
};
