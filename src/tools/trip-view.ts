import type { TripView } from '../fleet/trips.ts';
import { lagosWhen } from './format.ts';

// A trip as the model reads it: the short line for lists, the full one for one trip.

export function tripLine(t: TripView, now: Date) {
  return {
    no: t.tripNumber,
    status: t.status,
    truck: t.truckNumber,
    from: t.originName,
    to: t.destinationName,
    ...(t.eta ? { eta: lagosWhen(t.eta, now) } : {}),
  };
}

export function tripDetail(t: TripView, now: Date) {
  const when = (d: Date | null) => lagosWhen(d, now);
  return {
    ...tripLine(t, now),
    client: t.client,
    cargo: t.cargo,
    start: when(t.plannedStartAt),
    eta: when(t.eta),
    stages: Object.fromEntries(
      Object.entries({
        created: t.createdAt,
        dispatched: t.dispatchedAt,
        at_pickup: t.arrivedPickupAt,
        in_transit: t.departedPickupAt,
        at_dropoff: t.arrivedDropoffAt,
        delivered: t.deliveredAt,
        completed: t.completedAt,
        cancelled: t.cancelledAt,
      })
        .filter(([, d]) => d !== null)
        .map(([k, d]) => [k, when(d)]),
    ),
    ...(t.cancelReason ? { cancel_reason: t.cancelReason } : {}),
    next: t.nextStatuses,
    version: t.version,
  };
}

/** `TRP-000042 (KJA-123XY, Apapa Port → Ikeja depot)` */
export const tripLabel = (t: TripView) =>
  `${t.tripNumber} (${t.truckNumber ?? 'no truck'}, ${t.originName} → ${t.destinationName})`;
