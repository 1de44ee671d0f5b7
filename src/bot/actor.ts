import type { Sql } from '../db/client.ts';
import { getRole } from '../db/roles.ts';
import { type Actor, isUserRole } from '../fleet/actor.ts';

// The actor for a Slack user: their role from the `roles` table (principal `slack:U123`), viewer when they
// have none, so anyone in the workspace can look but only people given a role can change things.

export async function slackActor(sql: Sql, userId: string, correlationId?: string): Promise<Actor> {
  const principal = `slack:${userId}`;
  const role = await getRole(sql, principal);
  return { principal, role: isUserRole(role) ? role : 'viewer', correlationId };
}
