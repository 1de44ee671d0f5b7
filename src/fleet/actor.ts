import { AppError } from '../errors.ts';

// Who is asking: a Slack user, an API client, the agent on someone's behalf, or the system itself
// (geofence auto-advance, jobs). Every use case takes one, checks its role and records it on the event.

export const ROLE_ORDER = ['viewer', 'dispatcher', 'admin'] as const;
export type UserRole = (typeof ROLE_ORDER)[number];

export interface Actor {
  /** `slack:U123`, `api:dashboard`, `system:geofence-watcher` */
  principal: string;
  role: UserRole;
  correlationId?: string;
}

export const systemActor = (name: string, correlationId?: string): Actor => ({
  principal: `system:${name}`,
  role: 'admin',
  correlationId,
});

export const isUserRole = (r: unknown): r is UserRole => (ROLE_ORDER as readonly unknown[]).includes(r);

export const hasAtLeast = (actor: Pick<Actor, 'role'>, needed: UserRole) =>
  ROLE_ORDER.indexOf(actor.role) >= ROLE_ORDER.indexOf(needed);

/** Refuses with a sentence that says what was refused and who can do it. */
export function requireRole(actor: Actor, needed: UserRole, action: string): void {
  if (hasAtLeast(actor, needed)) return;
  const who = needed === 'admin' ? 'an admin' : 'a dispatcher or admin';
  throw new AppError('WT_FORBIDDEN', `Only ${who} can ${action}; you are a ${actor.role}.`, { needed });
}
