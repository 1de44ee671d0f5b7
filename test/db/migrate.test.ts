import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const logger = createLogger('silent');

describe('migrations on real PostgreSQL + PostGIS', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb({ migrated: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration once, then nothing on a second run', async () => {
    const first = await migrate(db.sql, logger);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.skipped).toEqual([]);
    const second = await migrate(db.sql, logger);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
    const recorded = await db.sql`select name from schema_migrations order by name`;
    expect(recorded.map((r) => r.name)).toEqual(first.applied);
  });

  it('lets two replicas migrate at once without racing', async () => {
    const other = await createTestDb({ migrated: false });
    const second = connect(other.url, 2);
    try {
      const [a, b] = await Promise.all([migrate(other.sql, logger), migrate(second, logger)]);
      expect([...a.applied, ...b.applied].sort()).toEqual([...a.skipped, ...b.skipped].sort());
      const [row] = await other.sql`select count(*)::int as n from schema_migrations`;
      expect(row!.n).toBe(a.applied.length + b.applied.length);
    } finally {
      await second.end();
      await other.drop();
    }
  });

  it('creates the PostGIS schema, with day partitions for positions', async () => {
    const [dist] = await db.sql`
      select round((st_distance('POINT(3.3792 6.5244)'::geography, 'POINT(3.3515 6.4550)'::geography) / 1000)::numeric, 1)::float as km`;
    expect(dist!.km).toBeGreaterThan(8);
    expect(dist!.km).toBeLessThan(9);
    const tables = await db.sql`
      select tablename from pg_tables where schemaname = 'public' order by tablename`;
    const names = tables.map((t) => t.tablename as string);
    for (const t of [
      'trucks',
      'geofences',
      'events',
      'trips',
      'geofence_presence',
      'alert_routes',
      'roles',
    ]) {
      expect(names).toContain(t);
    }
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(names).toContain(`vehicle_positions_${today}`);
    const [part] = await db.sql`
      select count(*)::int as partitioned from pg_partitioned_table p
      join pg_class c on c.oid = p.partrelid where c.relname = 'vehicle_positions'`;
    expect(part!.partitioned).toBe(1);
  });

  it('keeps a truck to one active trip', async () => {
    const [truck] = await db.sql`insert into trucks (truck_number) values ('KJA-123XY') returning id`;
    const [g] = await db.sql`
      insert into geofences (name, type, shape, geom, radius_m)
      values ('Apapa Port', 'terminal', 'circle', st_geomfromtext('POINT(3.3636 6.4474)', 4326), 800) returning id`;
    const trip = () => db.sql`
      insert into trips (truck_id, origin_geofence_id, destination_geofence_id, created_by, updated_by)
      values (${truck!.id}, ${g!.id}, ${g!.id}, 'test', 'test') returning trip_number`;
    const [first] = await trip();
    expect(first!.trip_number).toMatch(/^TRP-\d{6}$/);
    await expect(trip()).rejects.toMatchObject({ code: '23505' });
  });
});
