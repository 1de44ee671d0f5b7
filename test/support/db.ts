import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connect, type Sql, type TxSql } from '../../src/db/client.ts';

export const TEMPLATE_DB = 'watchtower_template';

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error('TEST_DATABASE_URL is not set: run the suite with `npm test`, which starts PostgreSQL');
  return url;
}

export function adminUrl(base: string): string {
  const url = new URL(base);
  url.pathname = '/postgres';
  return url.toString();
}

export interface TestDb {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own (cloned from the template built in global setup). */
export async function createTestDb(opts: { migrated?: boolean; poolSize?: number } = {}): Promise<TestDb> {
  const base = testDatabaseUrl();
  const name = `wt_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl(base), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(
      opts.migrated === false ? `create database ${name}` : `create database ${name} template ${TEMPLATE_DB}`,
    );
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const sql = connect(url.toString(), opts.poolSize ?? 5);
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const a = postgres(adminUrl(base), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

export interface HeldTransaction {
  /** Lets the transaction go on (to `then`, and commit); resolves once it has, rejects if it failed. */
  release(): Promise<void>;
}

/**
 * Runs `hold` in a transaction and keeps that transaction open, with whatever locks or snapshot `hold` took,
 * until `release()`; then runs `then` in it and commits. Resolves once `hold` has run, so what the test does
 * next meets the lock; rejects if the transaction fails first.
 */
export async function holdTransaction(
  sql: Sql,
  hold: (tx: TxSql) => Promise<unknown>,
  then?: (tx: TxSql) => Promise<unknown>,
): Promise<HeldTransaction> {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let held!: () => void;
  const holding = new Promise<void>((r) => {
    held = r;
  });
  const done = sql.begin(async (tx) => {
    await hold(tx);
    held();
    await released;
    await then?.(tx);
  });
  await Promise.race([holding, done]);
  return {
    release: async () => {
      release();
      await done;
    },
  };
}
