import { z } from 'zod';
import { TRIP_STATUSES } from '../domain/trip-state.ts';
import { listTrips } from '../fleet/trips.ts';
import { MAX_PAGE } from '../fleet/validation.ts';
import { dateArg, truckArg } from './args.ts';
import { capped } from './format.ts';
import { ok } from './result.ts';
import { tripLine } from './trip-view.ts';
import type { FleetTool } from './types.ts';

const statusError = `status: expected a list of ${TRIP_STATUSES.join(', ')}`;

const input = z.strictObject({
  status: z
    .array(z.enum(TRIP_STATUSES, { error: statusError }), { error: statusError })
    .optional()
    .describe('Only trips in these statuses.'),
  active: z
    .boolean({ error: 'active: expected true or false' })
    .optional()
    .describe('true: open trips only (not completed or cancelled); false: finished ones only.'),
  date: dateArg('date')
    .optional()
    .describe('A Lagos day (YYYY-MM-DD): trips created or planned to start that day.'),
  truck: truckArg.optional().describe("Only this truck's trips, e.g. KJA-123XY."),
  limit: z
    .number({ error: 'limit: expected a whole number from 1 to 25' })
    .int({ error: 'limit: expected a whole number from 1 to 25' })
    .min(1, { error: 'limit: expected a whole number from 1 to 25' })
    .max(25, { error: 'limit: expected a whole number from 1 to 25' })
    .default(10),
});

export const listTripsTool: FleetTool<typeof input> = {
  name: 'list_trips',
  description:
    'Trips, newest first, filtered by status, open/finished, Lagos day or truck. Use for "which trips are running?", "trips for KJA-123XY", "today\'s trips".',
  input,
  writes: false,
  async run({ limit, ...filters }, { sql, actor, now }) {
    const trips = await listTrips(sql, actor, { ...filters, limit: MAX_PAGE });
    const { shown, more } = capped(trips, limit);
    return ok({
      n: trips.length === MAX_PAGE ? `${MAX_PAGE}+` : trips.length,
      trips: shown.map((t) => tripLine(t, now)),
      more,
    });
  },
};
