import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetView } from '../../src/api/fleet-view.ts';
import { encodeLocations, LiveHub, LOCATIONS_STREAM } from '../../src/api/live.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { trucksNear } from '../../src/db/analytics.ts';
import { LAGOS_AREA, seededRandom } from '../../src/domain/spatial-index.ts';
import { EVENTS_STREAM } from '../../src/ingest/streams.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { connectTestBus } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const logger = createLogger('silent');

describe('the in-memory fleet view behind GET /trucks/near', () => {
  let db: TestDb;
  let bus: RedisBus;

  beforeAll(async () => {
    db = await createTestDb();
    bus = await connectTestBus();
    // 2,000 trucks over Lagos, a few stacked on one spot (ties broken by truck number), some never reported.
    await db.sql`
      insert into trucks (truck_number, status, last_location, last_fix_at, last_speed_kmh)
      select 'FV-' || lpad(i::text, 4, '0'), 'active',
             case when i % 50 = 0 then null
                  when i % 97 = 0 then st_setsrid(st_makepoint(3.36, 6.45), 4326)::geography
                  else st_setsrid(st_makepoint(${LAGOS_AREA.minLng} + random() * ${LAGOS_AREA.maxLng - LAGOS_AREA.minLng},
                                               ${LAGOS_AREA.minLat} + random() * ${LAGOS_AREA.maxLat - LAGOS_AREA.minLat}), 4326)::geography end,
             case when i % 50 = 0 then null else now() - interval '3 minutes' end,
             case when i % 50 = 0 then null else (i % 70)::real end
      from generate_series(1, 2000) i`;
  });

  afterAll(async () => {
    await bus.close();
    await db.drop();
  });

  it('answers exactly what the PostGIS query answers: the same trucks, order and distances', async () => {
    const view = new FleetView(db.sql, logger);
    await view.start();
    view.stop();
    expect(view.size).toBe(1960);
    const rnd = seededRandom(11);
    const queries = [
      { lat: 6.45, lng: 3.36, radiusM: 500, limit: 50 },
      ...Array.from({ length: 150 }, () => ({
        lat: LAGOS_AREA.minLat + rnd() * (LAGOS_AREA.maxLat - LAGOS_AREA.minLat),
        lng: LAGOS_AREA.minLng + rnd() * (LAGOS_AREA.maxLng - LAGOS_AREA.minLng),
        radiusM: 200 + rnd() * 20_000,
        limit: 1 + Math.floor(rnd() * 100),
      })),
    ];
    let compared = 0;
    for (const q of queries) {
      const fromDb = await trucksNear(db.sql, q);
      const fromView = view.near(q);
      expect(fromView.map((t) => t.truckNumber)).toEqual(fromDb.map((t) => t.truckNumber));
      fromView.forEach((t, i) => {
        expect(t.distanceM).toBeCloseTo(fromDb[i]!.distanceM, 2);
        expect(t.lat).toBeCloseTo(fromDb[i]!.lat, 9);
        expect(t.lastFixAt?.getTime()).toBe(fromDb[i]!.lastFixAt?.getTime());
        expect(t.speedKmh).toBe(fromDb[i]!.speedKmh);
      });
      compared += fromDb.length;
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('follows the locations stream, never moving a truck back to an older fix', async () => {
    const hub = new LiveHub(bus, logger, EVENTS_STREAM);
    const view = new FleetView(db.sql, logger);
    hub.onLocations((u) => view.apply(u));
    await hub.start();
    await view.start();
    try {
      const [truck] = await db.sql`select id, truck_number from trucks where truck_number = 'FV-0007'`;
      const move = (lat: number, at: Date) =>
        bus.append(
          LOCATIONS_STREAM,
          encodeLocations([
            {
              truckId: truck!.id,
              truckNumber: 'FV-0007',
              lat,
              lng: 3.9,
              fixTime: at.toISOString(),
              speedKmh: 40,
              headingDeg: null,
              ignition: true,
            },
          ]),
        );
      const nearMarker = () =>
        view.near({ lat: 6.3, lng: 3.9, radiusM: 100, limit: 5 }).map((t) => t.truckNumber);
      await move(6.3, new Date());
      await until('the view follows the move', () => nearMarker().length === 1);
      await move(6.2, new Date(Date.now() - 60_000));
      await move(6.3, new Date(Date.now() + 1)); // a marker after the stale one
      await new Promise((r) => setTimeout(r, 300));
      expect(nearMarker()).toEqual(['FV-0007']);
      // Moves within a cell and out of it: the truck is found once, where it is now, and not where it was.
      await move(6.3004, new Date(Date.now() + 2));
      await until('the view follows the move within its cell', () =>
        view.near({ lat: 6.3004, lng: 3.9, radiusM: 10, limit: 5 }).some((t) => t.truckNumber === 'FV-0007'),
      );
      expect(view.near({ lat: 6.3, lng: 3.9, radiusM: 100, limit: 5 }).map((t) => t.truckNumber)).toEqual([
        'FV-0007',
      ]);
      await move(6.25, new Date(Date.now() + 3));
      await until('the view follows the move to another cell', () => nearMarker().length === 0);
      expect(view.near({ lat: 6.25, lng: 3.9, radiusM: 100, limit: 5 }).map((t) => t.truckNumber)).toEqual([
        'FV-0007',
      ]);
    } finally {
      view.stop();
      await hub.stop();
    }
  });

  it('picks up a renamed truck on its next reload', async () => {
    const view = new FleetView(db.sql, logger);
    await view.start();
    view.stop();
    await db.sql`update trucks set truck_number = 'FV-RENAMED' where truck_number = 'FV-0097'`;
    await view.reload();
    expect(view.near({ lat: 6.45, lng: 3.36, radiusM: 10, limit: 100 }).map((t) => t.truckNumber)).toContain(
      'FV-RENAMED',
    );
  });
});
