import { z } from 'zod';
import type { Sql } from '../db/client.ts';
import { insertEvents } from '../db/events.ts';
import * as db from '../db/roles.ts';
import { AppError } from '../errors.ts';
import { type Actor, isUserRole, ROLE_ORDER, requireRole, type UserRole } from './actor.ts';
import { parseOrThrow } from './validation.ts';

// Roles: who may look (viewer), run trips (dispatcher) or also hand out roles (admin). Anyone without a row
// is a viewer. Only an admin changes a role, and each change is an event (who, from what, to what).

/** A Slack user id as Slack writes it: U… or W… (Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

export const setRoleSchema = z.strictObject({
  role: z.enum(ROLE_ORDER).meta({ description: 'viewer, dispatcher or admin' }),
});

export const slackPrincipal = (userId: string) => `slack:${userId}`;

export interface RoleView {
  principal: string;
  role: UserRole;
  updatedBy: string;
  updatedAt: Date;
}

function toView(r: db.RoleRow): RoleView {
  return { ...r, role: isUserRole(r.role) ? r.role : 'viewer' };
}

/** Sets a Slack user's role; only an admin may. */
export async function setSlackUserRole(
  sql: Sql,
  actor: Actor,
  userId: string,
  input: unknown,
): Promise<RoleView> {
  requireRole(actor, 'admin', 'set roles');
  const id = userId.trim().toUpperCase();
  if (!SLACK_USER_ID.test(id)) {
    throw new AppError(
      'WT_VALIDATION',
      `"${userId}" is not a Slack user id; it looks like U0123ABCD (Slack: profile → ⋮ → Copy member ID).`,
    );
  }
  const { role } = parseOrThrow(setRoleSchema, input, 'role');
  const principal = slackPrincipal(id);
  return sql.begin(async (tx) => {
    const { row, previous } = await db.setRole(tx, principal, role, actor.principal);
    if (previous !== role) {
      await insertEvents(tx, [
        {
          type: 'role.changed',
          entityType: 'principal',
          entityId: principal,
          actor: actor.principal,
          correlationId: actor.correlationId ?? null,
          payload: { principal, from: previous ?? 'viewer', to: role },
        },
      ]);
    }
    return toView(row);
  });
}

export async function listRoles(sql: Sql, actor: Actor): Promise<RoleView[]> {
  requireRole(actor, 'viewer', 'see roles');
  return (await db.listRoles(sql)).map(toView);
}

/** SLACK_ADMIN_USERS: the first admins, given the role only if they have none (a later change stands). */
export async function bootstrapAdmins(sql: Sql, userIds: readonly string[]): Promise<string[]> {
  return db.grantRolesIfAbsent(sql, userIds.map(slackPrincipal), 'admin', 'config:SLACK_ADMIN_USERS');
}
