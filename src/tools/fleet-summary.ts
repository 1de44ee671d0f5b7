import { z } from 'zod';
import { fleetSummaryData } from '../fleet/summary.ts';
import { ok } from './result.ts';
import type { FleetTool } from './types.ts';

const input = z.strictObject({});

export const fleetSummaryTool: FleetTool<typeof input> = {
  name: 'fleet_summary',
  description:
    'The whole fleet at a glance: how many trucks, moving, offline (silent over 30 min), open trips by status, and trucks at each terminal and depot. Use for "how is the fleet?".',
  input,
  writes: false,
  async run(_args, { sql, actor, now }) {
    const s = await fleetSummaryData(sql, actor, now);
    return ok({
      trucks: s.total,
      moving: s.moving,
      offline: s.offline,
      open_trips: s.byStatus,
      at: s.atTerminals.filter((t) => t.count > 0),
    });
  },
};
