import { z } from 'zod';
import { MAX_NEAR_RADIUS_M, trucksNear } from '../fleet/analytics.ts';
import { placeCentre } from '../fleet/geofences.ts';
import { MAX_PAGE } from '../fleet/validation.ts';
import { placeArg } from './args.ts';
import { capped, coord, km, lagosWhen } from './format.ts';
import { ok } from './result.ts';
import type { FleetTool } from './types.ts';

const MAX_RADIUS_KM = MAX_NEAR_RADIUS_M / 1000;
const radiusError = `radius_km: expected kilometres from 0.1 to ${MAX_RADIUS_KM}`;

const input = z
  .strictObject({
    place: placeArg('place', 'a place name the fleet knows, e.g. Apapa or Tin Can')
      .optional()
      .describe('A geofence name as the user says it ("Apapa", "Tin Can", "Ibese"); matched loosely.'),
    lat: z
      .number({ error: 'lat: expected a latitude from -90 to 90' })
      .min(-90, { error: 'lat: expected a latitude from -90 to 90' })
      .max(90, { error: 'lat: expected a latitude from -90 to 90' })
      .optional(),
    lng: z
      .number({ error: 'lng: expected a longitude from -180 to 180' })
      .min(-180, { error: 'lng: expected a longitude from -180 to 180' })
      .max(180, { error: 'lng: expected a longitude from -180 to 180' })
      .optional(),
    radius_km: z
      .number({ error: radiusError })
      .min(0.1, { error: radiusError })
      .max(MAX_RADIUS_KM, { error: radiusError })
      .default(5)
      .describe('Search radius in km (default 5).'),
    limit: z
      .number({ error: 'limit: expected a whole number from 1 to 25' })
      .int({ error: 'limit: expected a whole number from 1 to 25' })
      .min(1, { error: 'limit: expected a whole number from 1 to 25' })
      .max(25, { error: 'limit: expected a whole number from 1 to 25' })
      .default(10),
  })
  .refine((a) => (a.place !== undefined) !== (a.lat !== undefined || a.lng !== undefined), {
    error: 'send either place, or lat and lng (not both)',
  })
  .refine((a) => a.place !== undefined || (a.lat !== undefined && a.lng !== undefined), {
    error: 'lat and lng go together: send both',
  });

export const findTrucksNearTool: FleetTool<typeof input> = {
  name: 'find_trucks_near',
  description:
    'Trucks whose last fix is within a radius of a place (a geofence name, matched loosely) or of coordinates, nearest first. Use for "which trucks are near Apapa?"; for trucks inside a geofence use trucks_in_geofence.',
  input,
  writes: false,
  async run(args, { sql, actor, now }) {
    const centre = args.place
      ? await placeCentre(sql, actor, args.place)
      : { geofence: undefined, lat: args.lat!, lng: args.lng! };
    const found = await trucksNear(sql, actor, {
      lat: centre.lat,
      lng: centre.lng,
      radiusM: args.radius_km * 1000,
      limit: MAX_PAGE,
    });
    const { shown, more } = capped(found, args.limit);
    return ok({
      near: centre.geofence ? centre.geofence.name : { lat: coord(centre.lat), lng: coord(centre.lng) },
      radius_km: args.radius_km,
      n: found.length,
      trucks: shown.map((t) => ({
        truck: t.truckNumber,
        km: km(t.distanceM),
        at: lagosWhen(t.lastFixAt, now),
        kmh: t.speedKmh,
      })),
      more,
    });
  },
};
