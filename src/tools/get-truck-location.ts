import { z } from 'zod';
import { placeOf } from '../fleet/geofences.ts';
import { listTrips } from '../fleet/trips.ts';
import { getTruckLocation } from '../fleet/trucks.ts';
import { truckArg } from './args.ts';
import { coord, km, lagosWhen, minutesAgo } from './format.ts';
import { ok } from './result.ts';
import type { FleetTool } from './types.ts';

const input = z.strictObject({ truck: truckArg });

export const getTruckLocationTool: FleetTool<typeof input> = {
  name: 'get_truck_location',
  description:
    'Where one truck is now: its last GPS fix (time, speed, ignition), the geofence it is in or nearest to, and its open trip. Use for "where is KJA-123XY?".',
  input,
  writes: false,
  async run({ truck }, { sql, actor, now }) {
    const loc = await getTruckLocation(sql, actor, truck);
    const [trip] = await listTrips(sql, actor, { truck: loc.truckId, active: true, limit: 1 });
    const openTrip = trip && {
      no: trip.tripNumber,
      status: trip.status,
      from: trip.originName,
      to: trip.destinationName,
    };
    if (loc.lat === null || loc.lng === null) {
      return ok({
        truck: loc.truckNumber,
        fix: null,
        note: 'No GPS fix received yet.',
        trip: openTrip ?? null,
      });
    }
    const nearest = await placeOf(sql, actor, { lat: loc.lat, lng: loc.lng });
    const place = !nearest
      ? null
      : nearest.distanceM === 0
        ? { in: nearest.name }
        : { near: nearest.name, km: km(nearest.distanceM) };
    return ok({
      truck: loc.truckNumber,
      lat: coord(loc.lat),
      lng: coord(loc.lng),
      at: lagosWhen(loc.lastFixAt, now),
      age_min: minutesAgo(loc.lastFixAt, now),
      kmh: loc.speedKmh,
      ign: loc.ignition,
      place,
      trip: openTrip ?? null,
    });
  },
};
