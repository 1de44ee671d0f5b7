import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';

const logger = createLogger('silent');

describe('the embedded database (PGlite + PostGIS over loopback)', () => {
  let dataDir: string;
  let db: Db;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'wt-pglite-'));
    db = await createDb({ databaseUrl: undefined, dataDir, logger });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies the same migrations, and a second run applies none', async () => {
    expect(db.embedded).toBe(true);
    const first = await migrate(db.sql, logger);
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await migrate(db.sql, logger);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
  });

  it('answers PostGIS queries through the same postgres.js client', async () => {
    const [row] = await db.sql`
      select st_dwithin('POINT(3.3636 6.4474)'::geography, 'POINT(3.3640 6.4480)'::geography, 100) as near`;
    expect(row!.near).toBe(true);
  });

  it('keeps its data across a restart', async () => {
    await db.sql`insert into trucks (truck_number) values ('LSD-482KJ')`;
    await db.close();
    db = await createDb({ databaseUrl: undefined, dataDir, logger });
    const rows = await db.sql`select truck_number from trucks`;
    expect(rows.map((r) => r.truck_number)).toEqual(['LSD-482KJ']);
  }, 120_000);
});
