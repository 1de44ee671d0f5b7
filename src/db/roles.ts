import type { Sql, TxSql } from './client.ts';

// Who may do what: a Slack user (`slack:U123`) or API client (`api:name`) and its role.

export async function getRole(sql: Sql | TxSql, principal: string): Promise<string | undefined> {
  const [row] = await sql<{ role: string }[]>`select role from roles where principal = ${principal}`;
  return row?.role;
}
