import { insertEvents, type NewEvent } from '../db/events.ts';
import { markTrucksOffline, markTrucksOnline } from '../db/watches.ts';
import { uuidFromText } from '../domain/ids.ts';
import type { JobDeps, JobResult } from './types.ts';

// A truck with no fix for OFFLINE_AFTER gets one `truck.offline`; its first fresh fix after that, one
// `truck.online`. The watch only writes events (the alerts consumer turns them into Slack messages), in the
// same transaction as the mark it keeps on the truck; event ids derive from the episode, so a replayed or
// doubled run cannot write one twice.

const ACTOR = 'system:offline-watch';

export async function runOfflineWatch(deps: JobDeps): Promise<JobResult> {
  const now = deps.now();
  const cutoff = new Date(now.getTime() - deps.config.jobs.offlineAfterMs);
  const { offline, online } = await deps.sql.begin(async (tx) => {
    const offline = await markTrucksOffline(tx, cutoff);
    const online = await markTrucksOnline(tx, cutoff);
    const events: NewEvent[] = [
      ...offline.map((t) => ({
        type: 'truck.offline',
        entityType: 'truck',
        entityId: t.truckId,
        payload: {
          truckId: t.truckId,
          truckNumber: t.truckNumber,
          lastFixAt: t.lastFixAt.toISOString(),
          lat: t.lat,
          lon: t.lon,
        },
        actor: ACTOR,
        occurredAt: now,
        eventId: uuidFromText(`truck.offline:${t.truckId}:${t.lastFixAt.toISOString()}`),
      })),
      ...online.map((t) => ({
        type: 'truck.online',
        entityType: 'truck',
        entityId: t.truckId,
        payload: {
          truckId: t.truckId,
          truckNumber: t.truckNumber,
          offlineSince: t.offlineSince.toISOString(),
          at: t.at.toISOString(),
        },
        actor: ACTOR,
        occurredAt: t.at,
        eventId: uuidFromText(`truck.online:${t.truckId}:${t.offlineSince.toISOString()}`),
      })),
    ];
    await insertEvents(tx, events);
    return { offline, online };
  });
  const minutes = Math.round(deps.config.jobs.offlineAfterMs / 60_000);
  const names = (ts: { truckNumber: string }[]) =>
    ts.length ? ` (${ts.map((t) => t.truckNumber).join(', ')})` : '';
  return {
    summary: `${offline.length} went offline${names(offline)}, ${online.length} back online${names(online)}; offline after ${minutes} min without a fix`,
  };
}
