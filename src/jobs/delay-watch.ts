import { insertEvents } from '../db/events.ts';
import { markTripsLate } from '../db/watches.ts';
import { uuidFromText } from '../domain/ids.ts';
import type { JobDeps, JobResult } from './types.ts';

// A trip still on its way past its ETA gets one `trip.delayed` (per ETA: a new ETA that passes too gets
// another). Written through the outbox with the mark on the trip; the alerts consumer posts it.

export async function runDelayWatch(deps: JobDeps): Promise<JobResult> {
  const now = deps.now();
  const late = await deps.sql.begin(async (tx) => {
    const late = await markTripsLate(tx, now);
    await insertEvents(
      tx,
      late.map((t) => ({
        type: 'trip.delayed',
        entityType: 'trip',
        entityId: t.tripId,
        payload: {
          tripId: t.tripId,
          tripNumber: t.tripNumber,
          truckId: t.truckId,
          truckNumber: t.truckNumber,
          status: t.status,
          eta: t.eta.toISOString(),
          destinationName: t.destinationName,
        },
        actor: 'system:delay-watch',
        occurredAt: now,
        eventId: uuidFromText(`trip.delayed:${t.tripId}:${t.eta.toISOString()}`),
      })),
    );
    return late;
  });
  return {
    summary: late.length
      ? `${late.length} trip(s) past their ETA: ${late.map((t) => t.tripNumber).join(', ')}`
      : 'no trip newly past its ETA',
  };
}
