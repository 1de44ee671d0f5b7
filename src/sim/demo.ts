import { randomBytes } from 'node:crypto';
import type { Sql } from '../db/client.ts';
import { systemActor } from '../fleet/actor.ts';
import { createGeofence } from '../fleet/geofences.ts';
import { createTruck } from '../fleet/trucks.ts';
import type { Logger } from '../log.ts';
import { LAGOS_GEOFENCES, LAGOS_TRUCKS } from './lagos-demo.ts';
import { runSimulator } from './sender.ts';
import { FleetSimulator } from './simulator.ts';

// The demo `npm start` gives with no settings: the Lagos demo fleet (our own approximate geofences and
// made-up plates) driving between ports and client sites through the real webhook.

/** Loads the Lagos demo fleet when the database has no trucks and no geofences; true when it did. */
export async function seedDemoFleetIfEmpty(sql: Sql, logger: Logger): Promise<boolean> {
  const [row] = await sql`
    select (select count(*) from trucks)::int as trucks, (select count(*) from geofences)::int as geofences`;
  if (row!.trucks > 0 || row!.geofences > 0) return false;
  const actor = systemActor('demo');
  for (const g of LAGOS_GEOFENCES) await createGeofence(sql, actor, g);
  for (const t of LAGOS_TRUCKS)
    await createTruck(sql, actor, { truck_number: t.plate, imei: t.imei, status: 'active' });
  logger.info(
    { geofences: LAGOS_GEOFENCES.length, trucks: LAGOS_TRUCKS.length },
    'demo: loaded the Lagos demo fleet (synthetic data, approximate geofences)',
  );
  return true;
}

export interface Demo {
  stop(): Promise<void>;
}

/** Drives the demo fleet against this process's own webhook until stopped. */
export function startDemoSimulator(opts: {
  baseUrl: string;
  secret?: string;
  token?: string;
  logger: Logger;
}): Demo {
  const abort = new AbortController();
  const run = runSimulator({
    baseUrl: opts.baseUrl,
    secret: opts.secret,
    token: opts.token,
    simulator: FleetSimulator.demo(),
    signal: abort.signal,
    logger: opts.logger,
    reportEveryMs: 5 * 60_000,
  }).catch((err) => opts.logger.error({ err }, 'demo simulator stopped'));
  opts.logger.info(
    { trucks: LAGOS_TRUCKS.length },
    'demo: the fleet simulator is driving the Lagos demo fleet',
  );
  return {
    stop: async () => {
      abort.abort();
      await run;
    },
  };
}

/** A secret made up for this process only, so the demo can sign its webhooks without opening the route. */
export const ephemeralSecret = () => randomBytes(24).toString('base64url');
