import type { Sql } from '../db/client.ts';
import { type Actor, isUserRole } from '../fleet/actor.ts';

// The actor for a Slack user: their role from the `roles` table (principal `slack:U123`), viewer when they
// have none, so anyone in the workspace can look but only people given a role can change things.
// TODO(lead): this one query belongs in src/db/roles.ts with the roles admin command that writes the table.

export async function slackActor(sql: Sql, userId: string, correlationId?: string): Promise<Actor> {
  const principal = `slack:${userId}`;
  const [row] = await sql<{ role: string }[]>`select role from roles where principal = ${principal}`;
  return { principal, role: isUserRole(row?.role) ? row.role : 'viewer', correlationId };
}
