import { z } from 'zod';
import { findPlace, trucksInGeofence } from '../fleet/geofences.ts';
import { placeArg } from './args.ts';
import { capped, lagosWhen } from './format.ts';
import { ok } from './result.ts';
import type { FleetTool } from './types.ts';

const CAP = 25;

const input = z.strictObject({
  geofence: placeArg('geofence', 'a geofence name, e.g. Apapa Port or Tin Can').describe(
    'The geofence as the user names it ("Apapa", "Tin Can Island Port"); matched loosely.',
  ),
});

export const trucksInGeofenceTool: FleetTool<typeof input> = {
  name: 'trucks_in_geofence',
  description:
    'Trucks inside a geofence (terminal, depot, client site) right now, earliest arrival first, with when each entered. Use for "which trucks are at Apapa?".',
  input,
  writes: false,
  async run({ geofence }, { sql, actor, now }) {
    const place = await findPlace(sql, actor, geofence);
    const { trucks } = await trucksInGeofence(sql, actor, place.id);
    const { shown, more } = capped(trucks, CAP);
    return ok({
      geofence: place.name,
      type: place.type,
      n: trucks.length,
      trucks: shown.map((t) => ({
        truck: t.truckNumber,
        since: lagosWhen(t.enteredAt, now),
        fix: lagosWhen(t.lastFixAt, now),
      })),
      more,
    });
  },
};
