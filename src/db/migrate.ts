import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.ts';
import type { Sql } from './client.ts';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations');

// Any 64-bit number unique to this purpose; replicas starting together queue on it.
const MIGRATION_LOCK = 4_171_982_305;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/**
 * Applies `migrations/*.sql` in name order, each in its own transaction under an advisory lock, recording
 * each in `schema_migrations`. Safe to run from several replicas at once and any number of times.
 */
export async function migrate(sql: Sql, logger: Logger, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
  // Under the same lock as the migrations: `create table if not exists` is not safe against a concurrent
  // twin (the loser fails with 23505 or 42P07, depending on where the race lands).
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`
      create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now()
      )`;
  });
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const name of files) {
    const body = await readFile(path.join(dir, name), 'utf8');
    const applied = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      const [done] = await tx`select 1 from schema_migrations where name = ${name}`;
      if (done) return false;
      await tx.unsafe(body);
      await tx`insert into schema_migrations (name) values (${name})`;
      return true;
    });
    (applied ? result.applied : result.skipped).push(name);
    if (applied) logger.info({ migration: name }, 'migration applied');
  }
  return result;
}
