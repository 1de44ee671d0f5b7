import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import { keepPool, type PoolKeeper } from '../../src/db/pool-keeper.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

// The keeper against a real PostgreSQL; the restart case is test/faults/postgres-outage.test.ts.

let db: TestDb | undefined;
let keeper: PoolKeeper | undefined;

afterEach(async () => {
  await keeper?.end({ timeout: 1 });
  await db?.drop();
  keeper = db = undefined;
});

describe('the pool keeper', () => {
  it('forwards queries, transactions and helpers to the pool', async () => {
    db = await createTestDb();
    const url = db.url;
    keeper = keepPool({ make: () => connect(url, 2), logger: createLogger('silent'), checkEveryMs: 60_000 });
    const { sql } = keeper;
    // An identifier helper made by one call, used in another: both go to the same pool.
    expect((await sql`select count(*)::int as n from ${sql('trucks')}`)[0]!.n).toBe(0);
    const n = await sql.begin(async (tx) => (await tx`select 41 + 1 as n`)[0]!.n);
    expect(n).toBe(42);
    expect(await sql`select 1 as one`.values()).toEqual([[1]]);
  });

  it('replaces a pool whose query has been in flight too long, failing that query so its caller retries', async () => {
    db = await createTestDb();
    const url = db.url;
    keeper = keepPool({
      make: () => connect(url, 2),
      logger: createLogger('silent'),
      checkEveryMs: 60_000,
      stuckAfterMs: 300,
    });
    const stuck = keeper.sql`select pg_sleep(30)`.then(
      () => 'finished',
      (err: { code?: string }) => err.code,
    );
    await new Promise((r) => setTimeout(r, 500));
    await keeper.check();
    expect(keeper.replaced).toBe(1);
    expect(await stuck).toBe('CONNECTION_DESTROYED');
    expect((await keeper.sql`select 1 as one`)[0]!.one).toBe(1);
  });

  it('leaves the pool alone while the database itself is unreachable', async () => {
    keeper = keepPool({
      make: () => connect('postgres://postgres@127.0.0.1:1/nothing', 2),
      logger: createLogger('silent'),
      checkEveryMs: 60_000,
      pingTimeoutMs: 2_000,
    });
    for (let i = 0; i < 3; i++) await keeper.check();
    expect(keeper.replaced).toBe(0);
  });
});
