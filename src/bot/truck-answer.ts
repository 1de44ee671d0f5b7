import type { Sql } from '../db/client.ts';
import { nearestGeofence } from '../db/geofences.ts';
import type { Actor } from '../fleet/actor.ts';
import { listTrips } from '../fleet/trips.ts';
import { getTruck, getTruckLocation } from '../fleet/trucks.ts';
import type { Message, TruckPlace } from './views/format.ts';
import { truckCard } from './views/truck-card.ts';

// "Where is KJA-123XY?", for /truck and the router alike: the truck, its last fix, the place that fix is in or
// nearest to, and its open trip. An unknown number throws WT_TRUCK_NOT_FOUND, whose message names close matches.

export async function truckAnswer(sql: Sql, actor: Actor, key: string, now: Date): Promise<Message> {
  const truck = await getTruck(sql, actor, key);
  const location = await getTruckLocation(sql, actor, truck.id);
  // No place use case exists yet; nearestGeofence is a read, so reading it here keeps SQL out of listeners.
  let place: TruckPlace | undefined;
  if (location.lat !== null && location.lng !== null) {
    const nearest = await nearestGeofence(sql, location.lat, location.lng);
    if (nearest) {
      place =
        nearest.distanceM === 0
          ? { inside: nearest.name }
          : { nearest: { name: nearest.name, distanceM: nearest.distanceM } };
    }
  }
  const [trip] = await listTrips(sql, actor, { truck: truck.id, active: true, limit: 1 });
  return truckCard(
    {
      truck,
      location,
      place,
      activeTrip: trip && {
        tripNumber: trip.tripNumber,
        status: trip.status,
        originName: trip.originName,
        destinationName: trip.destinationName,
      },
    },
    { now },
  );
}
