import { z } from 'zod';
import { GEOFENCE_TYPES } from '../db/geofences.ts';
import { listGeofences } from '../fleet/geofences.ts';
import { capped } from './format.ts';
import { ok } from './result.ts';
import type { FleetTool } from './types.ts';

const CAP = 60;

const input = z.strictObject({
  type: z
    .enum(GEOFENCE_TYPES, { error: `type: expected one of ${GEOFENCE_TYPES.join(', ')}` })
    .optional()
    .describe('Only this kind of place.'),
});

export const listGeofencesTool: FleetTool<typeof input> = {
  name: 'list_geofences',
  description:
    'The places the fleet knows (terminals, depots, client sites, checkpoints, corridors) by name and type. Use to find the right name for a place, or for "what terminals do we have?".',
  input,
  writes: false,
  async run({ type }, { sql, actor }) {
    const rows = await listGeofences(sql, actor, type ? { type } : {});
    const { shown, more } = capped(rows, CAP);
    return ok({ n: rows.length, geofences: shown.map((g) => ({ name: g.name, type: g.type })), more });
  },
};
