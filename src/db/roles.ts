import type { Sql, TxSql } from './client.ts';

// Who may do what: a Slack user (`slack:U123`) or API client (`api:name`) and its role.

type Q = Sql | TxSql;

export interface RoleRow {
  principal: string;
  role: string;
  updatedBy: string;
  updatedAt: Date;
}

const toRow = (r: { principal: string; role: string; updated_by: string; updated_at: Date }): RoleRow => ({
  principal: r.principal,
  role: r.role,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at,
});

export async function getRole(sql: Q, principal: string): Promise<string | undefined> {
  const [row] = await sql<{ role: string }[]>`select role from roles where principal = ${principal}`;
  return row?.role;
}

/** Sets a principal's role; returns the row and the role it had before (undefined when it had none). */
export async function setRole(
  sql: Q,
  principal: string,
  role: string,
  updatedBy: string,
): Promise<{ row: RoleRow; previous: string | undefined }> {
  const [row] = await sql<
    { principal: string; role: string; updated_by: string; updated_at: Date; previous: string | null }[]
  >`
    with before as (select role from roles where principal = ${principal} for update)
    insert into roles (principal, role, updated_by) values (${principal}, ${role}, ${updatedBy})
    on conflict (principal) do update set role = excluded.role, updated_by = excluded.updated_by, updated_at = now()
    returning principal, role, updated_by, updated_at, (select role from before) as previous`;
  return { row: toRow(row!), previous: row!.previous ?? undefined };
}

/** Gives each principal a role only if it has none yet (first admins from configuration); returns those added. */
export async function grantRolesIfAbsent(
  sql: Q,
  principals: readonly string[],
  role: string,
  updatedBy: string,
): Promise<string[]> {
  if (principals.length === 0) return [];
  const rows = await sql<{ principal: string }[]>`
    insert into roles (principal, role, updated_by)
    select p, ${role}, ${updatedBy} from unnest(${principals as string[]}::text[]) as p
    on conflict (principal) do nothing
    returning principal`;
  return rows.map((r) => r.principal);
}

export async function listRoles(sql: Q): Promise<RoleRow[]> {
  const rows = await sql<{ principal: string; role: string; updated_by: string; updated_at: Date }[]>`
    select principal, role, updated_by, updated_at from roles order by principal`;
  return rows.map(toRow);
}
