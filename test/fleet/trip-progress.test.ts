import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamEntry } from '../../src/bus/types.ts';
import { insertEvents, type StoredEvent, toStoredEvent } from '../../src/db/events.ts';
import * as tripsDb from '../../src/db/trips.ts';
import { insertTruck } from '../../src/db/trucks.ts';
import { haversineM } from '../../src/domain/geo.ts';
import { DEFAULT_EXIT_MARGIN_M } from '../../src/domain/geofence-presence.ts';
import type { Actor } from '../../src/fleet/actor.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import { advanceTripsFromGeofenceEvent, handleEventsForTrips } from '../../src/fleet/trip-progress.ts';
import { createTrip, dispatchTrip, getTrip, type TripView, updateTripStatus } from '../../src/fleet/trips.ts';
import { encodeBatch } from '../../src/ingest/codec.ts';
import { GeofenceCatalog } from '../../src/ingest/geofence-catalog.ts';
import { geofenceWatcher } from '../../src/ingest/geofence-watcher.ts';
import type { NormalizedFix } from '../../src/ingest/loconav.ts';
import { TruckDirectory } from '../../src/ingest/truck-directory.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, holdTransaction, type TestDb } from '../support/db.ts';
import { loadBusStops, loadBusTrace } from '../support/trace.ts';

const admin: Actor = { principal: 'api:ops', role: 'admin' };
const dispatcher: Actor = { principal: 'slack:UDISPATCH', role: 'dispatcher' };

const payloadOf = (p: unknown) => (typeof p === 'string' ? JSON.parse(p) : p) as Record<string, unknown>;

describe('trip progress from geofence events', () => {
  let db: TestDb;
  let truckId: string;
  let origin: string;
  let destination: string;
  let seq = 0;

  beforeEach(async () => {
    db = await createTestDb();
    truckId = (await insertTruck(db.sql, { truckNumber: 'KJA-123XY' })).id;
    origin = (
      await createGeofence(db.sql, admin, {
        name: 'Apapa Port',
        type: 'terminal',
        boundary: { center: { lat: 6.45, lng: 3.36 }, radius_m: 300 },
      })
    ).id;
    destination = (
      await createGeofence(db.sql, admin, {
        name: 'Dangote Ibeju',
        type: 'client',
        boundary: { center: { lat: 6.43, lng: 3.9 }, radius_m: 300 },
      })
    ).id;
  });

  afterEach(async () => {
    await db.drop();
  });

  /** A geofence event as the watcher writes it. */
  async function geofenceEvent(
    type: 'entered' | 'exited',
    geofenceId: string,
    at: Date,
    truck = truckId,
  ): Promise<StoredEvent> {
    seq += 1;
    const [event] = await insertEvents(db.sql, [
      {
        type: `geofence.${type}`,
        entityType: 'truck',
        entityId: truck,
        occurredAt: at,
        correlationId: `req-${seq}`,
        actor: 'system:geofence-watcher',
        payload: {
          truckId: truck,
          truckNumber: 'KJA-123XY',
          geofenceId,
          geofenceName: 'x',
          at: at.toISOString(),
        },
      },
    ]);
    return event!;
  }

  async function dispatchedTrip(from = origin, to = destination): Promise<TripView> {
    const trip = await createTrip(db.sql, dispatcher, { origin: from, destination: to, truck: 'KJA-123XY' });
    return dispatchTrip(db.sql, dispatcher, trip.id);
  }

  const later = (trip: TripView, minutes: number) =>
    new Date(trip.dispatchedAt!.getTime() + minutes * 60_000);

  const autoEvents = async (tripId: string) =>
    (
      await db.sql`
        select actor, correlation_id, payload, occurred_at from events
        where entity_type = 'trip' and entity_id = ${tripId} and actor = 'system:trip-progress' order by id`
    ).map((e) => ({ ...e, payload: payloadOf(e.payload) }));

  it('walks a dispatched trip to pickup, transit, dropoff and delivered, stamping each stage with the event time', async () => {
    const trip = await dispatchedTrip();
    const steps = [
      ['entered', origin, 10, 'at_pickup'],
      ['exited', origin, 55, 'in_transit'],
      ['entered', destination, 170, 'at_dropoff'],
      ['exited', destination, 240, 'delivered'],
    ] as const;
    const sources: StoredEvent[] = [];
    for (const [type, fence, minutes, to] of steps) {
      const event = await geofenceEvent(type, fence, later(trip, minutes));
      sources.push(event);
      const change = await advanceTripsFromGeofenceEvent(db.sql, event);
      expect(change).toMatchObject({ tripNumber: trip.tripNumber, to, at: later(trip, minutes) });
    }
    const done = await getTrip(db.sql, admin, trip.id);
    expect(done).toMatchObject({
      status: 'delivered',
      arrivedPickupAt: later(trip, 10),
      departedPickupAt: later(trip, 55),
      arrivedDropoffAt: later(trip, 170),
      deliveredAt: later(trip, 240),
      version: trip.version + 4,
      updatedBy: 'system:trip-progress',
    });
    const events = await autoEvents(trip.id);
    expect(events.map((e) => [e.payload.from, e.payload.to])).toEqual([
      ['dispatched', 'at_pickup'],
      ['at_pickup', 'in_transit'],
      ['in_transit', 'at_dropoff'],
      ['at_dropoff', 'delivered'],
    ]);
    expect(events[1]).toMatchObject({
      correlation_id: sources[1]!.correlationId,
      occurred_at: later(trip, 55),
      payload: {
        auto: true,
        geofenceEventId: sources[1]!.eventId,
        geofenceId: origin,
        tripNumber: trip.tripNumber,
        truckNumber: 'KJA-123XY',
        at: later(trip, 55).toISOString(),
        version: trip.version + 2,
      },
    });
  });

  it('does nothing when the same geofence event is delivered again', async () => {
    const trip = await dispatchedTrip();
    const entered = await geofenceEvent('entered', origin, later(trip, 5));
    expect(await advanceTripsFromGeofenceEvent(db.sql, entered)).not.toBeNull();
    expect(await advanceTripsFromGeofenceEvent(db.sql, entered)).toBeNull();
    const exited = await geofenceEvent('exited', origin, later(trip, 30));
    expect(await handleEventsForTrips(db.sql, [entered, exited, entered, exited])).toHaveLength(1);
    expect(await getTrip(db.sql, admin, trip.id)).toMatchObject({
      status: 'in_transit',
      version: trip.version + 2,
    });
    expect(await autoEvents(trip.id)).toHaveLength(2);
  });

  it('does not take a late redelivery of the first arrival at a round trip’s fence as the return', async () => {
    // Origin and destination are one fence: entering means pickup before the trip leaves, dropoff after.
    const trip = await dispatchedTrip(origin, origin);
    const arrived = await geofenceEvent('entered', origin, later(trip, 5));
    await handleEventsForTrips(db.sql, [arrived, await geofenceEvent('exited', origin, later(trip, 20))]);
    expect((await getTrip(db.sql, admin, trip.id)).status).toBe('in_transit');
    expect(await advanceTripsFromGeofenceEvent(db.sql, arrived)).toBeNull();
    expect((await getTrip(db.sql, admin, trip.id)).status).toBe('in_transit');
    const back = await geofenceEvent('entered', origin, later(trip, 90));
    expect(await advanceTripsFromGeofenceEvent(db.sql, back)).toMatchObject({ to: 'at_dropoff' });
  });

  it('ignores an event from before the trip was dispatched', async () => {
    const trip = await dispatchedTrip();
    const old = await geofenceEvent('exited', origin, later(trip, -30));
    expect(await advanceTripsFromGeofenceEvent(db.sql, old)).toBeNull();
    expect((await getTrip(db.sql, admin, trip.id)).status).toBe('dispatched');
  });

  it('does nothing for a truck with no active trip', async () => {
    const idle = (await insertTruck(db.sql, { truckNumber: 'LND-456AB' })).id;
    const event = await geofenceEvent('entered', origin, new Date(), idle);
    expect(await advanceTripsFromGeofenceEvent(db.sql, event)).toBeNull();
    // Its finished trips stay finished.
    const trip = await dispatchedTrip();
    await updateTripStatus(db.sql, dispatcher, trip.id, { status: 'cancelled', note: 'x' });
    const after = await geofenceEvent('entered', origin, later(trip, 5));
    expect(await advanceTripsFromGeofenceEvent(db.sql, after)).toBeNull();
    expect((await getTrip(db.sql, admin, trip.id)).status).toBe('cancelled');
  });

  it('leaves a planned trip where it is: it has not been sent', async () => {
    const trip = await createTrip(db.sql, dispatcher, { origin, destination, truck: 'KJA-123XY' });
    const inAt = new Date(Date.now() + 60_000);
    expect(await handleEventsForTrips(db.sql, [await geofenceEvent('entered', origin, inAt)])).toEqual([]);
    expect(await getTrip(db.sql, admin, trip.id)).toMatchObject({ status: 'planned', version: 1 });
  });

  it('ignores other events and other geofences', async () => {
    const trip = await dispatchedTrip();
    const elsewhere = (
      await createGeofence(db.sql, admin, {
        name: 'Ojota',
        type: 'checkpoint',
        boundary: { center: { lat: 6.58, lng: 3.38 }, radius_m: 200 },
      })
    ).id;
    const [created] = await insertEvents(db.sql, [
      {
        type: 'trip.created',
        entityType: 'trip',
        entityId: trip.id,
        payload: { truckId, geofenceId: origin },
      },
    ]);
    expect(
      await handleEventsForTrips(db.sql, [
        created!,
        await geofenceEvent('entered', elsewhere, later(trip, 5)),
      ]),
    ).toEqual([]);
    expect((await getTrip(db.sql, admin, trip.id)).version).toBe(trip.version);
  });

  it('retries once against the re-read trip when a dispatcher moves it at the same moment', async () => {
    const trip = await dispatchedTrip();
    const exited = await geofenceEvent('exited', origin, later(trip, 20));
    // A dispatcher's change holds the row while trip progress reads the trip and tries to write it.
    const manual = await holdTransaction(
      db.sql,
      (tx) => tx`select 1 from trips where id = ${trip.id} for update`,
      (tx) =>
        tripsDb.updateTripStatus(tx, {
          id: trip.id,
          expectedVersion: trip.version,
          status: 'at_pickup',
          at: later(trip, 10),
          updatedBy: 'slack:UDISPATCH',
        }),
    );
    const auto = advanceTripsFromGeofenceEvent(db.sql, exited);
    for (let i = 0; i < 200; i++) {
      const [w] = await db.sql`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      if (Number(w!.n) > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await manual.release();
    // at pickup → in transit on the retry, not dispatched → in transit over the dispatcher's change.
    expect(await auto).toMatchObject({ from: 'at_pickup', to: 'in_transit' });
    expect(await getTrip(db.sql, admin, trip.id)).toMatchObject({
      status: 'in_transit',
      arrivedPickupAt: later(trip, 10),
      departedPickupAt: later(trip, 20),
      version: trip.version + 2,
    });
  });
});

describe('trip progress from a replayed real trace (bus 304, Limerick)', () => {
  let db: TestDb | undefined;
  afterEach(async () => {
    await db?.drop();
  });

  it('takes a dispatched trip to pickup, transit and dropoff as the geofence watcher sees the bus go', async () => {
    const testDb = await createTestDb();
    db = testDb;
    const { sql } = testDb;
    const trace = loadBusTrace();
    const stops = loadBusStops();
    const first = stops.find((s) => s.seq === 1)!;
    const last = stops.find((s) => s.seq === 36)!;
    // The bus stops at the last stop for only seconds before the trace ends, so the destination is drawn
    // wide enough for it to be inside longer than the 20 s dwell.
    const ORIGIN_RADIUS_M = 30;
    const DESTINATION_RADIUS_M = 200;
    const DWELL_S = 20;
    const origin = await createGeofence(sql, admin, {
      name: first.name,
      type: 'terminal',
      boundary: { center: { lat: first.lat, lng: first.lng }, radius_m: ORIGIN_RADIUS_M },
      min_dwell_s: DWELL_S,
    });
    const destination = await createGeofence(sql, admin, {
      name: last.name,
      type: 'client',
      boundary: { center: { lat: last.lat, lng: last.lng }, radius_m: DESTINATION_RADIUS_M },
      min_dwell_s: DWELL_S,
    });
    await insertTruck(sql, { truckNumber: 'LMK-304', imei: '0353201350896' });
    const planned = await createTrip(sql, dispatcher, {
      origin: origin.id,
      destination: destination.name,
      truck: 'LMK-304',
    });
    const trip = await dispatchTrip(sql, dispatcher, planned.tripNumber);

    // The recorded day, moved to start a minute after dispatch (whole seconds, as a tracker sends).
    const shiftMs =
      Math.ceil((trip.dispatchedAt!.getTime() + 60_000) / 1000) * 1000 - trace[0]!.time.getTime();
    const at = (i: number) => new Date(trace[i]!.time.getTime() + shiftMs);
    const fixes: NormalizedFix[] = trace.map((p, i) => ({
      imei: '0353201350896',
      vehicleNumber: 'LMK-304',
      lat: p.lat,
      lng: p.lng,
      speedKmh: p.impliedSpeedKmh,
      headingDeg: null,
      ignition: true,
      fixTime: at(i),
      harshBraking: false,
      harshAcceleration: false,
      sharpTurn: false,
    }));
    const entries: StreamEntry[] = [];
    for (let i = 0; i < fixes.length; i += 50) {
      const chunk = fixes.slice(i, i + 50);
      entries.push({
        id: `${i}-0`,
        deliveries: 1,
        fields: encodeBatch({
          fixes: chunk,
          alerts: [],
          requestId: `trace-${i}`,
          receivedAtMs: chunk.at(-1)!.fixTime.getTime(),
        }),
      });
    }
    const endMs = fixes.at(-1)!.fixTime.getTime();
    const watch = geofenceWatcher({
      sql: sql,
      directory: new TruckDirectory(sql),
      catalog: new GeofenceCatalog(sql),
      metrics: createMetrics(),
      now: () => endMs + 1000,
    });
    for (let i = 0; i < entries.length; i += 4) await watch(entries.slice(i, i + 4));

    // Everything in the outbox, in order, as the events stream carries it (trip and geofence.created too).
    const stream = (await sql`select * from events order by id`).map(toStoredEvent);
    const geofenceEvents = stream.filter((e) => e.entityType === 'truck' && e.type.startsWith('geofence.'));
    expect(geofenceEvents.map((e) => [e.type, payloadOf(e.payload).geofenceName])).toEqual([
      ['geofence.entered', first.name],
      ['geofence.exited', first.name],
      ['geofence.entered', last.name],
    ]);

    const advanced = await handleEventsForTrips(sql, stream);
    expect(advanced.map((a) => [a.from, a.to])).toEqual([
      ['dispatched', 'at_pickup'],
      ['at_pickup', 'in_transit'],
      ['in_transit', 'at_dropoff'],
    ]);

    // Expected times worked out from the trace itself: in the origin from the first fix (the bus starts at
    // the stop); out once beyond radius + exit margin; at the destination from the first fix of the visit
    // that lasts the dwell (the bus ends there, so it is never delivered).
    const dist = (i: number, stop: { lat: number; lng: number }) =>
      haversineM(trace[i]!.lat, trace[i]!.lng, stop.lat, stop.lng);
    expect(dist(0, first)).toBeLessThanOrEqual(ORIGIN_RADIUS_M);
    const leftAt = trace.findIndex((_, i) => dist(i, first) > ORIGIN_RADIUS_M + DEFAULT_EXIT_MARGIN_M);
    let arrivedAt = trace.length - 1;
    while (arrivedAt > 0 && dist(arrivedAt - 1, last) <= DESTINATION_RADIUS_M) arrivedAt--;
    expect(endMs - at(arrivedAt).getTime()).toBeGreaterThanOrEqual(DWELL_S * 1000);

    const final = await getTrip(sql, admin, trip.id);
    expect(final).toMatchObject({
      status: 'at_dropoff',
      arrivedPickupAt: at(0),
      departedPickupAt: at(leftAt),
      arrivedDropoffAt: at(arrivedAt),
      deliveredAt: null,
      nextStatuses: ['delivered', 'cancelled'],
    });

    // Replaying the whole stream of geofence events again changes nothing.
    expect(await handleEventsForTrips(sql, stream)).toEqual([]);
    expect((await getTrip(sql, admin, trip.id)).version).toBe(final.version);
  });
});
