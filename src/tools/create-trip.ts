import { z } from 'zod';
import { findPlace } from '../fleet/geofences.ts';
import { createTrip } from '../fleet/trips.ts';
import { getTruck } from '../fleet/trucks.ts';
import { placeArg, truckArg } from './args.ts';
import { lagosWhen } from './format.ts';
import { ok } from './result.ts';
import { tripDetail } from './trip-view.ts';
import type { FleetTool, ToolContext } from './types.ts';

const ISO_HINT = 'an ISO 8601 time with the Lagos offset, e.g. 2025-03-01T06:30:00+01:00';
const text = (field: string, max: number) =>
  z
    .string({ error: `${field}: expected text` })
    .trim()
    .min(1, { error: `${field}: expected text` })
    .max(max, { error: `${field}: at most ${max} characters` });

const input = z.strictObject({
  truck: truckArg.optional().describe('Truck number, if the user named one; a truck can be assigned later.'),
  origin: placeArg('origin', 'the pickup place, e.g. Apapa Port').describe(
    'Pickup geofence as the user names it.',
  ),
  destination: placeArg('destination', 'the drop-off place, e.g. Dangote Ibese').describe(
    'Drop-off geofence as the user names it.',
  ),
  client: text('client', 200).optional(),
  cargo: text('cargo', 200).optional(),
  planned_start_at: z
    .string({ error: `planned_start_at: expected ${ISO_HINT}` })
    .optional()
    .describe(ISO_HINT),
  eta: z
    .string({ error: `eta: expected ${ISO_HINT}` })
    .optional()
    .describe(ISO_HINT),
});

type Args = z.infer<typeof input>;

/** Origin and destination as the fleet names them, so the preview and the trip say the same places. */
async function resolve(args: Args, { sql, actor }: ToolContext) {
  const origin = await findPlace(sql, actor, args.origin);
  const destination = await findPlace(sql, actor, args.destination);
  const truck = args.truck ? await getTruck(sql, actor, args.truck) : undefined;
  return { origin, destination, truck };
}

export const createTripTool: FleetTool<typeof input> = {
  name: 'create_trip',
  description:
    'Plans a new trip from one geofence to another, optionally with a truck, client, cargo, start time and ETA. A human confirms before it is created. Ask for the origin and destination if the user did not say them.',
  input,
  writes: true,
  async preview(args, ctx) {
    const { origin, destination, truck } = await resolve(args, ctx);
    const parts = [`Plan a trip from ${origin.name} to ${destination.name}`];
    parts.push(truck ? `with ${truck.truckNumber}` : 'with no truck yet');
    if (args.cargo) parts.push(`carrying ${args.cargo}`);
    if (args.client) parts.push(`for ${args.client}`);
    const start = args.planned_start_at ? new Date(args.planned_start_at) : undefined;
    if (start && !Number.isNaN(start.getTime())) parts.push(`starting ${lagosWhen(start, ctx.now)}`);
    return `${parts.join(', ')}.`;
  },
  async run(args, ctx) {
    const { origin, destination, truck } = await resolve(args, ctx);
    const trip = await createTrip(ctx.sql, ctx.actor, {
      ...args,
      truck: truck?.id,
      origin: origin.id,
      destination: destination.id,
    });
    return ok(tripDetail(trip, ctx.now));
  },
};
