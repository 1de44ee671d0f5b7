import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Sql } from '../../db/client.ts';
import { listRoles, type RoleView, setRoleSchema, setSlackUserRole } from '../../fleet/roles.ts';
import { requestActor } from '../auth.ts';
import type { RouteDoc } from '../route-docs.ts';

// REST for roles: an admin sets a Slack user's role (what `/watchtower role @user dispatcher` does in Slack).

interface Params {
  id: string;
}

export function renderRole(r: RoleView) {
  return {
    principal: r.principal,
    role: r.role,
    updated_by: r.updatedBy,
    updated_at: r.updatedAt.toISOString(),
  };
}

const roleParams = z.strictObject({
  id: z.string().meta({ description: 'A Slack user id, e.g. U0123ABCD.' }),
});

export const ROLE_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/roles',
    summary: 'Every principal with a role (anyone else is a viewer)',
    tag: 'roles',
    role: 'viewer',
    success: { status: 200, description: '{ roles: [{ principal, role, updated_by, updated_at }] }' },
    errors: {},
  },
  {
    method: 'PUT',
    path: '/api/v1/roles/{id}',
    summary: "Set a Slack user's role (viewer, dispatcher, admin); records role.changed",
    tag: 'roles',
    role: 'admin',
    params: roleParams,
    body: setRoleSchema,
    success: { status: 200, description: 'The role as stored' },
    errors: { 400: 'Not a Slack user id, or not a role.', 403: 'Only an admin sets roles.' },
  },
];

export function roleRoutes(deps: { sql: Sql }) {
  const { sql } = deps;
  return async (app: FastifyInstance) => {
    app.get('/api/v1/roles', async (req) => ({
      roles: (await listRoles(sql, requestActor(req))).map(renderRole),
    }));
    app.put<{ Params: Params }>('/api/v1/roles/:id', async (req) =>
      renderRole(await setSlackUserRole(sql, requestActor(req), req.params.id, req.body ?? {})),
    );
  };
}
