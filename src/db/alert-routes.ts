import { pgArray } from './arrays.ts';
import type { Sql, TxSql } from './client.ts';

// Which Slack channel hears which alert: routes match an alert type (`geofence.entered`, `truck.offline`),
// a geofence type (`terminal`) or one geofence (its id). An alert goes to every channel a route names.

type Q = Sql | TxSql;

export const ROUTE_KINDS = ['alert_type', 'geofence_type', 'geofence'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export interface AlertRoute {
  id: number;
  matchKind: RouteKind;
  matchValue: string;
  channel: string;
}

export interface RouteKey {
  alertType: string;
  geofenceType?: string | null;
  geofenceId?: string | null;
}

export async function addAlertRoute(sql: Q, route: Omit<AlertRoute, 'id'>): Promise<AlertRoute> {
  const [row] = await sql<{ id: number }[]>`
    insert into alert_routes (match_kind, match_value, channel)
    values (${route.matchKind}, ${route.matchValue}, ${route.channel})
    on conflict (match_kind, match_value, channel) do update set channel = excluded.channel
    returning id`;
  return { id: Number(row!.id), ...route };
}

export async function listAlertRoutes(sql: Q): Promise<AlertRoute[]> {
  const rows = await sql<{ id: number; match_kind: RouteKind; match_value: string; channel: string }[]>`
    select id, match_kind, match_value, channel from alert_routes order by id`;
  return rows.map((r) => ({
    id: Number(r.id),
    matchKind: r.match_kind,
    matchValue: r.match_value,
    channel: r.channel,
  }));
}

/** The channels routes name for each key, in the order of the keys; an empty list when none matches. */
export async function channelsForAlerts(sql: Q, keys: readonly RouteKey[]): Promise<string[][]> {
  if (keys.length === 0) return [];
  const rows = await sql<{ i: number; channel: string }[]>`
    select k.i, r.channel
    from unnest(
      ${pgArray(keys.map((k) => k.alertType))}::text[],
      ${pgArray(keys.map((k) => k.geofenceType ?? null))}::text[],
      ${pgArray(keys.map((k) => k.geofenceId ?? null))}::text[]
    ) with ordinality as k(alert_type, geofence_type, geofence_id, i)
    join alert_routes r on
         (r.match_kind = 'alert_type' and r.match_value = k.alert_type)
      or (r.match_kind = 'geofence_type' and r.match_value = k.geofence_type)
      or (r.match_kind = 'geofence' and r.match_value = k.geofence_id)
    group by k.i, r.channel
    order by k.i, min(r.id)`;
  const out: string[][] = keys.map(() => []);
  for (const r of rows) out[Number(r.i) - 1]!.push(r.channel);
  return out;
}
