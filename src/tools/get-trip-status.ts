import { z } from 'zod';
import { getTrip } from '../fleet/trips.ts';
import { tripArg } from './args.ts';
import { ok } from './result.ts';
import { tripDetail } from './trip-view.ts';
import type { FleetTool } from './types.ts';

const input = z.strictObject({ trip: tripArg });

export const getTripStatusTool: FleetTool<typeof input> = {
  name: 'get_trip_status',
  description:
    'One trip\'s status, truck, route, client, cargo, ETA, when each stage was reached, and the statuses it may move to next. Use for "how far is TRP-000042?".',
  input,
  writes: false,
  async run({ trip }, { sql, actor, now }) {
    return ok(tripDetail(await getTrip(sql, actor, trip), now));
  },
};
