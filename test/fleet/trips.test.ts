import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertTruck } from '../../src/db/trucks.ts';
import { AppError } from '../../src/errors.ts';
import type { Actor } from '../../src/fleet/actor.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import {
  assignTruck,
  cancelTrip,
  createTrip,
  dispatchTrip,
  getTrip,
  listTrips,
  type TripView,
  updateTripStatus,
} from '../../src/fleet/trips.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const dispatcher: Actor = { principal: 'slack:UDISPATCH', role: 'dispatcher', correlationId: 'corr-d' };
const otherDispatcher: Actor = { principal: 'slack:UOTHER', role: 'dispatcher', correlationId: 'corr-o' };
const admin: Actor = { principal: 'api:ops', role: 'admin', correlationId: 'corr-a' };
const viewer: Actor = { principal: 'slack:UVIEW', role: 'viewer' };

const CIRCLE = (lat: number, lng: number) => ({ center: { lat, lng }, radius_m: 300 });

/** Rejects with an AppError of this code; returns it for more checks. */
async function refused(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}, but it succeeded`).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe('trip use cases', () => {
  let db: TestDb;
  let apapa: string;
  let dangote: string;

  beforeEach(async () => {
    db = await createTestDb();
    apapa = (
      await createGeofence(db.sql, admin, {
        name: 'Apapa Port',
        type: 'terminal',
        boundary: CIRCLE(6.45, 3.36),
      })
    ).id;
    dangote = (
      await createGeofence(db.sql, admin, {
        name: 'Dangote Ibeju',
        type: 'client',
        boundary: CIRCLE(6.43, 3.9),
      })
    ).id;
    await insertTruck(db.sql, { truckNumber: 'KJA-123XY' });
    await insertTruck(db.sql, { truckNumber: 'LND-456AB' });
  });

  afterEach(async () => {
    await db.drop();
  });

  const plan = (extra: Record<string, unknown> = {}, actor = dispatcher) =>
    createTrip(db.sql, actor, { origin: 'Apapa Port', destination: 'Dangote Ibeju', ...extra });

  interface EventRow {
    type: string;
    actor: string;
    correlation_id: string | null;
    payload: Record<string, unknown>;
    tx: string;
  }
  const eventsOf = async (tripId: string): Promise<EventRow[]> =>
    (
      await db.sql<EventRow[]>`
        select type, actor, correlation_id, payload, xmin::text as tx from events
        where entity_type = 'trip' and entity_id = ${tripId} order by id`
    ).map((e) => ({ ...e, payload: typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload }));

  /** A trip with KJA-123XY, dispatched. */
  const dispatched = async () => {
    const trip = await plan({ truck: 'kja-123xy' });
    return dispatchTrip(db.sql, dispatcher, trip.tripNumber);
  };

  describe('planning', () => {
    it('numbers trips TRP-000001, TRP-000002… in the order they are planned', async () => {
      const numbers: string[] = [];
      for (let i = 0; i < 3; i++) numbers.push((await plan()).tripNumber);
      expect(numbers).toEqual(['TRP-000001', 'TRP-000002', 'TRP-000003']);
    });

    it('writes numbers past TRP-999999 in full instead of cutting them to six digits', async () => {
      await db.sql`select setval('trip_number_seq', 999998)`;
      const numbers = [(await plan()).tripNumber, (await plan()).tripNumber];
      expect(numbers).toEqual(['TRP-999999', 'TRP-1000000']);
      expect((await getTrip(db.sql, viewer, '1000000')).tripNumber).toBe('TRP-1000000');
    });

    it('plans a trip without a truck, naming the geofences by name or id, and records trip.created', async () => {
      const trip = await createTrip(db.sql, dispatcher, {
        origin: 'apapa port',
        destination: dangote,
        client: ' Dangote Cement ',
        cargo: '30 t cement',
        planned_start_at: '2025-03-01T06:30:00+01:00',
        eta: '2025-03-01T14:00:00Z',
      });
      expect(trip).toMatchObject({
        tripNumber: 'TRP-000001',
        status: 'planned',
        statusLabel: 'planned',
        truckId: null,
        truckNumber: null,
        originGeofenceId: apapa,
        originName: 'Apapa Port',
        destinationGeofenceId: dangote,
        destinationName: 'Dangote Ibeju',
        client: 'Dangote Cement',
        cargo: '30 t cement',
        plannedStartAt: new Date('2025-03-01T05:30:00Z'),
        eta: new Date('2025-03-01T14:00:00Z'),
        version: 1,
        createdBy: 'slack:UDISPATCH',
      });
      // No truck, no dispatch button: cancelling is all a person can do yet.
      expect(trip.nextStatuses).toEqual(['cancelled']);
      const [event, ...rest] = await eventsOf(trip.id);
      expect(rest).toEqual([]);
      expect(event).toMatchObject({
        type: 'trip.created',
        actor: 'slack:UDISPATCH',
        correlation_id: 'corr-d',
        payload: {
          tripId: trip.id,
          tripNumber: 'TRP-000001',
          truckId: null,
          origin: { id: apapa, name: 'Apapa Port' },
          destination: { id: dangote, name: 'Dangote Ibeju' },
          status: 'planned',
          version: 1,
        },
      });
      const [row] = await db.sql`select xmin::text as tx from trips where id = ${trip.id}`;
      expect(event!.tx).toBe(row!.tx);
    });

    it('finds a trip by uuid, TRP-000001, trp-1 or 1, and says when there is none', async () => {
      const trip = await plan();
      for (const key of [trip.id, 'TRP-000001', 'trp-1', '1', ' TRP-01 ']) {
        expect((await getTrip(db.sql, viewer, key)).id).toBe(trip.id);
      }
      const err = await refused(getTrip(db.sql, viewer, 'TRP-42'), 'WT_TRIP_NOT_FOUND');
      expect(err.message).toBe('No trip TRP-000042: check the number (they look like TRP-000042).');
      await refused(getTrip(db.sql, viewer, 'TRUCK-1'), 'WT_TRIP_NOT_FOUND');
    });

    it.each([
      [
        { destination: 'Dangote Ibeju' },
        'WT_VALIDATION',
        "origin: expected the origin geofence's name or id",
      ],
      [{ origin: ' ', destination: 'Dangote Ibeju' }, 'WT_VALIDATION', 'origin: expected'],
      [
        { origin: 'Apapa Port', destination: 'Dangote Ibeju', planned_start_at: '2025-03-01 06:30' },
        'WT_VALIDATION',
        'planned_start_at: expected an ISO 8601 time with a zone',
      ],
      [
        { origin: 'Apapa Port', destination: 'Dangote Ibeju', eta: '2025-02-30T10:00:00Z' },
        'WT_VALIDATION',
        'eta: expected an ISO 8601 time with a zone',
      ],
      [
        {
          origin: 'Apapa Port',
          destination: 'Dangote Ibeju',
          planned_start_at: '2025-03-01T10:00:00Z',
          eta: '2025-03-01T09:00:00Z',
        },
        'WT_VALIDATION',
        'eta: must not be before planned_start_at',
      ],
      [
        { origin: 'Apapa Port', destination: 'Dangote Ibeju', cargoo: 'x' },
        'WT_VALIDATION',
        'unknown field cargoo',
      ],
      [
        { origin: 'Tin Can', destination: 'Dangote Ibeju' },
        'WT_GEOFENCE_NOT_FOUND',
        'origin: no geofence "Tin Can"',
      ],
      [
        { origin: 'Apapa Port', destination: 'Ikeja' },
        'WT_GEOFENCE_NOT_FOUND',
        'destination: no geofence "Ikeja"',
      ],
      [
        { origin: 'Apapa Port', destination: 'Dangote Ibeju', truck: 'KJA-124XY' },
        'WT_TRUCK_NOT_FOUND',
        'Did you mean KJA-123XY',
      ],
    ])('refuses %j naming what is wrong', async (input, code, message) => {
      const err = await refused(createTrip(db.sql, dispatcher, input), code);
      expect(err.message).toContain(message);
      const [{ n }] = (await db.sql`select count(*)::int as n from trips`) as unknown as [{ n: number }];
      expect(n).toBe(0);
    });
  });

  describe('roles', () => {
    it('lets a viewer read but refuses every change, saying who can', async () => {
      const trip = await plan({ truck: 'KJA-123XY' });
      expect((await getTrip(db.sql, viewer, trip.tripNumber)).id).toBe(trip.id);
      expect(await listTrips(db.sql, viewer)).toHaveLength(1);
      const attempts: [Promise<unknown>, string][] = [
        [plan({}, viewer), 'plan trips'],
        [assignTruck(db.sql, viewer, trip.id, { truck: 'LND-456AB' }), 'assign trucks to trips'],
        [dispatchTrip(db.sql, viewer, trip.id), 'dispatch trips'],
        [updateTripStatus(db.sql, viewer, trip.id, { status: 'dispatched' }), 'change trip statuses'],
        [cancelTrip(db.sql, viewer, trip.id, { reason: 'no' }), 'cancel trips'],
      ];
      for (const [attempt, action] of attempts) {
        const err = await refused(attempt, 'WT_FORBIDDEN');
        expect(err.message).toBe(`Only a dispatcher or admin can ${action}; you are a viewer.`);
      }
      expect((await getTrip(db.sql, viewer, trip.id)).version).toBe(1);
    });

    it('lets an admin do what a dispatcher does', async () => {
      const trip = await plan({ truck: 'KJA-123XY' }, admin);
      const moved = await dispatchTrip(db.sql, admin, trip.id);
      expect(moved).toMatchObject({ status: 'dispatched', updatedBy: 'api:ops' });
    });
  });

  describe('trucks', () => {
    it('assigns a truck to a planned trip, records trip.truck_assigned, and then offers dispatch', async () => {
      const trip = await plan();
      const assigned = await assignTruck(db.sql, dispatcher, trip.tripNumber, {
        truck: 'kja-123xy',
        version: 1,
      });
      expect(assigned).toMatchObject({
        truckNumber: 'KJA-123XY',
        version: 2,
        nextStatuses: ['dispatched', 'cancelled'],
      });
      const swapped = await assignTruck(db.sql, dispatcher, trip.id, { truck: 'LND-456AB' });
      expect(swapped).toMatchObject({ truckNumber: 'LND-456AB', version: 3 });
      const events = await eventsOf(trip.id);
      expect(events.map((e) => e.type)).toEqual([
        'trip.created',
        'trip.truck_assigned',
        'trip.truck_assigned',
      ]);
      expect(events[2]!.payload).toMatchObject({
        truckNumber: 'LND-456AB',
        previousTruckNumber: 'KJA-123XY',
        version: 3,
      });
    });

    it('refuses to dispatch a trip that has no truck', async () => {
      const trip = await plan();
      const err = await refused(dispatchTrip(db.sql, dispatcher, trip.id), 'WT_TRIP_TRANSITION');
      expect(err.message).toBe(`${trip.tripNumber} has no truck yet: assign one before dispatching it.`);
    });

    it('refuses to change the truck once the trip is dispatched', async () => {
      const trip = await dispatched();
      const err = await refused(
        assignTruck(db.sql, dispatcher, trip.id, { truck: 'LND-456AB' }),
        'WT_TRIP_TRANSITION',
      );
      expect(err.message).toContain(
        `${trip.tripNumber} is dispatched: its truck can only change while it is planned`,
      );
    });

    it('refuses a truck that is already on an open trip, naming that trip, and frees it on cancel', async () => {
      const first = await dispatched();
      const err = await refused(plan({ truck: 'KJA-123XY' }), 'WT_TRUCK_BUSY');
      expect(err.message).toBe(
        'KJA-123XY is already on TRP-000001 (dispatched): complete or cancel that trip first, or pick another truck.',
      );
      const second = await plan();
      const again = await refused(
        assignTruck(db.sql, dispatcher, second.id, { truck: 'KJA-123XY' }),
        'WT_TRUCK_BUSY',
      );
      expect(again.message).toContain('TRP-000001 (dispatched)');

      await cancelTrip(db.sql, dispatcher, first.id, { reason: 'truck broke down' });
      const reassigned = await assignTruck(db.sql, dispatcher, second.id, { truck: 'KJA-123XY' });
      expect(reassigned.truckNumber).toBe('KJA-123XY');
    });

    it('lets exactly one of two simultaneous plans take the same truck', async () => {
      const results = await Promise.allSettled([plan({ truck: 'KJA-123XY' }), plan({ truck: 'KJA-123XY' })]);
      const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<TripView>[];
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ code: 'WT_TRUCK_BUSY' });
      expect(lost[0]!.reason.message).toContain(`already on ${won[0]!.value.tripNumber} (planned)`);
      const rows = await db.sql`select trip_number from trips`;
      expect(rows).toHaveLength(1);
    });
  });

  describe('moving a trip', () => {
    it('moves a dispatched trip one step at a time to completed, stamping each stage and recording each move', async () => {
      const trip = await dispatched();
      expect(trip).toMatchObject({
        status: 'dispatched',
        version: 2,
        nextStatuses: ['at_pickup', 'cancelled'],
      });
      expect(trip.dispatchedAt).toBeInstanceOf(Date);
      const steps = ['at_pickup', 'in_transit', 'at_dropoff', 'delivered', 'completed'] as const;
      let current = trip;
      for (const status of steps) {
        const before = Date.now();
        current = await updateTripStatus(db.sql, dispatcher, current.tripNumber, {
          status,
          note: `now ${status}`,
          expectedVersion: current.version,
        });
        expect(current.status).toBe(status);
        const stamp = {
          at_pickup: current.arrivedPickupAt,
          in_transit: current.departedPickupAt,
          at_dropoff: current.arrivedDropoffAt,
          delivered: current.deliveredAt,
          completed: current.completedAt,
        }[status];
        expect(stamp!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      }
      expect(current).toMatchObject({ version: 7, nextStatuses: [], updatedBy: 'slack:UDISPATCH' });

      const events = (await eventsOf(trip.id)).filter((e) => e.type === 'trip.status_changed');
      expect(events.map((e) => [e.payload.from, e.payload.to, e.payload.version])).toEqual([
        ['planned', 'dispatched', 2],
        ['dispatched', 'at_pickup', 3],
        ['at_pickup', 'in_transit', 4],
        ['in_transit', 'at_dropoff', 5],
        ['at_dropoff', 'delivered', 6],
        ['delivered', 'completed', 7],
      ]);
      expect(events[5]).toMatchObject({
        actor: 'slack:UDISPATCH',
        correlation_id: 'corr-d',
        payload: {
          tripId: trip.id,
          tripNumber: 'TRP-000001',
          truckId: trip.truckId,
          truckNumber: 'KJA-123XY',
          note: 'now completed',
          at: current.completedAt!.toISOString(),
        },
      });
    });

    it.each([
      [
        'planned',
        'at_pickup',
        "TRP-000001 can't move to at pickup. A trip that is planned can move to: dispatched, or cancelled.",
      ],
      [
        'dispatched',
        'in_transit',
        "TRP-000001 can't move to in transit. A trip that is dispatched can move to: at pickup, or cancelled.",
      ],
      [
        'at_pickup',
        'dispatched',
        "TRP-000001 can't move to dispatched. A trip that is at pickup can move to: in transit, or cancelled.",
      ],
      [
        'at_pickup',
        'at_pickup',
        "TRP-000001 can't move to at pickup. This trip is already at pickup. A trip that is at pickup can move to: in transit, or cancelled.",
      ],
    ] as const)(
      'refuses %s → %s, naming the states it can move to, and writes nothing',
      async (from, to, message) => {
        const trip = await plan({ truck: 'KJA-123XY' });
        let current = trip;
        const path = ['dispatched', 'at_pickup'] as const;
        for (const s of path.slice(0, path.indexOf(from as (typeof path)[number]) + 1)) {
          current = await updateTripStatus(db.sql, dispatcher, trip.id, { status: s });
        }
        const eventsBefore = (await eventsOf(trip.id)).length;
        const err = await refused(
          updateTripStatus(db.sql, dispatcher, trip.id, { status: to }),
          'WT_TRIP_TRANSITION',
        );
        expect(err.message).toBe(message);
        const after = await getTrip(db.sql, viewer, trip.id);
        expect(after).toMatchObject({ status: from, version: current.version });
        expect(await eventsOf(trip.id)).toHaveLength(eventsBefore);
      },
    );

    it('lets exactly one of two dispatchers moving the same trip at once win; the other hears who moved first', async () => {
      const trip = await dispatched();
      const results = await Promise.allSettled([
        updateTripStatus(db.sql, dispatcher, trip.id, { status: 'at_pickup', expectedVersion: trip.version }),
        updateTripStatus(db.sql, otherDispatcher, trip.id, {
          status: 'at_pickup',
          expectedVersion: trip.version,
        }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({
        code: 'WT_VERSION_CONFLICT',
        message: 'Someone else just changed TRP-000001 (now at pickup); reload and try again.',
      });
      const moves = (await eventsOf(trip.id)).filter((e) => e.payload.to === 'at_pickup');
      expect(moves).toHaveLength(1);
      expect((await getTrip(db.sql, viewer, trip.id)).version).toBe(trip.version + 1);
    });

    it('refuses a change made against a version that is no longer current', async () => {
      const trip = await dispatched();
      await updateTripStatus(db.sql, otherDispatcher, trip.id, { status: 'at_pickup' });
      const err = await refused(
        updateTripStatus(db.sql, dispatcher, trip.id, {
          status: 'cancelled',
          note: 'dup',
          version: trip.version,
        }),
        'WT_VERSION_CONFLICT',
      );
      expect(err.message).toBe('Someone else just changed TRP-000001 (now at pickup); reload and try again.');
      expect((await getTrip(db.sql, viewer, trip.id)).status).toBe('at_pickup');
    });

    it('writes each change and its event in one transaction, and rolls both back when the event fails', async () => {
      const trip = await dispatched();
      const moved = await updateTripStatus(db.sql, dispatcher, trip.id, { status: 'at_pickup' });
      const [row] = await db.sql`select xmin::text as tx from trips where id = ${trip.id}`;
      const last = (await eventsOf(trip.id)).at(-1)!;
      expect(last).toMatchObject({ type: 'trip.status_changed', payload: { to: 'at_pickup' } });
      expect(last.tx).toBe(row!.tx);

      // An outbox that refuses this one event must take the trip's change down with it.
      await db.sql.unsafe(`
        create function refuse_boom() returns trigger language plpgsql as $$
        begin
          if new.payload->>'note' = 'boom' then raise exception 'outbox refused'; end if;
          return new;
        end $$;
        create trigger refuse_boom before insert on events for each row execute function refuse_boom();`);
      await expect(
        updateTripStatus(db.sql, dispatcher, trip.id, { status: 'in_transit', note: 'boom' }),
      ).rejects.toThrow('outbox refused');
      expect(await getTrip(db.sql, viewer, trip.id)).toMatchObject({
        status: 'at_pickup',
        version: moved.version,
        departedPickupAt: null,
      });
    });
  });

  describe('cancelling', () => {
    it('cancels before delivery, keeping the reason, and records trip.cancelled', async () => {
      const trip = await dispatched();
      await updateTripStatus(db.sql, dispatcher, trip.id, { status: 'at_pickup' });
      const cancelled = await cancelTrip(db.sql, dispatcher, trip.tripNumber, {
        reason: 'client closed the gate',
      });
      expect(cancelled).toMatchObject({
        status: 'cancelled',
        cancelReason: 'client closed the gate',
        nextStatuses: [],
      });
      expect(cancelled.cancelledAt).toBeInstanceOf(Date);
      const last = (await eventsOf(trip.id)).at(-1)!;
      expect(last).toMatchObject({
        type: 'trip.cancelled',
        payload: {
          from: 'at_pickup',
          to: 'cancelled',
          reason: 'client closed the gate',
          note: 'client closed the gate',
        },
      });
    });

    it('cancels through a status change too, with the note as the reason, and insists on one', async () => {
      const trip = await plan();
      const err = await refused(
        updateTripStatus(db.sql, dispatcher, trip.id, { status: 'cancelled' }),
        'WT_VALIDATION',
      );
      expect(err.message).toBe('Invalid trip status change: note: say why the trip is cancelled');
      const cancelled = await updateTripStatus(db.sql, dispatcher, trip.id, {
        status: 'cancelled',
        note: 'duplicate',
      });
      expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'duplicate' });
      const noReason = await refused(cancelTrip(db.sql, dispatcher, trip.id, {}), 'WT_VALIDATION');
      expect(noReason.message).toContain('reason: expected why the trip is cancelled');
    });

    it('refuses to cancel a delivered trip, or one already cancelled', async () => {
      let trip = await dispatched();
      for (const status of ['at_pickup', 'in_transit', 'at_dropoff', 'delivered'] as const) {
        trip = await updateTripStatus(db.sql, dispatcher, trip.id, { status });
      }
      const err = await refused(
        cancelTrip(db.sql, dispatcher, trip.id, { reason: 'late' }),
        'WT_TRIP_TRANSITION',
      );
      expect(err.message).toBe(
        "TRP-000001 can't move to cancelled. A trip that is delivered can move to: completed.",
      );

      const other = await plan();
      await cancelTrip(db.sql, dispatcher, other.id, { reason: 'first' });
      const twice = await refused(
        cancelTrip(db.sql, dispatcher, other.id, { reason: 'again' }),
        'WT_TRIP_TRANSITION',
      );
      expect(twice.message).toContain('A trip that is cancelled is finished');
    });
  });

  describe('listing', () => {
    it('filters by status set, active, Lagos day (created or planned), truck, and pages newest first', async () => {
      const a = await plan({ truck: 'KJA-123XY' }); // TRP-000001
      const b = await plan({ truck: 'LND-456AB', planned_start_at: '2025-03-02T08:00:00+01:00' }); // TRP-000002
      const c = await plan(); // TRP-000003
      await dispatchTrip(db.sql, dispatcher, a.id);
      await cancelTrip(db.sql, dispatcher, c.id, { reason: 'x' });
      // 23:30Z on 1 March is 00:30 on 2 March in Lagos.
      await db.sql`update trips set created_at = '2025-03-01T23:30:00Z' where id = ${a.id}`;
      await db.sql`update trips set created_at = '2025-02-20T10:00:00Z' where id = ${b.id}`;
      await db.sql`update trips set created_at = '2025-03-01T22:30:00Z' where id = ${c.id}`;

      const numbers = async (input: Record<string, unknown>) =>
        (await listTrips(db.sql, viewer, input)).map((t) => t.tripNumber);

      expect(await numbers({})).toEqual(['TRP-000001', 'TRP-000003', 'TRP-000002']);
      expect(await numbers({ status: 'dispatched,cancelled' })).toEqual(['TRP-000001', 'TRP-000003']);
      expect(await numbers({ status: ['planned'] })).toEqual(['TRP-000002']);
      expect(await numbers({ active: 'true' })).toEqual(['TRP-000001', 'TRP-000002']);
      expect(await numbers({ active: false })).toEqual(['TRP-000003']);
      expect(await numbers({ active: true, status: 'cancelled,planned' })).toEqual(['TRP-000002']);
      // A created on the 2nd (Lagos), B planned for the 2nd, C created late on the 1st.
      expect(await numbers({ date: '2025-03-02' })).toEqual(['TRP-000001', 'TRP-000002']);
      expect(await numbers({ date: '2025-03-01' })).toEqual(['TRP-000003']);
      expect(await numbers({ truck: ' lnd-456ab ' })).toEqual(['TRP-000002']);
      expect(await numbers({ limit: '1', offset: '1' })).toEqual(['TRP-000003']);
    });

    it.each([
      [{ status: 'lost' }, 'status[0]: expected one or more of planned, dispatched'],
      [{ active: 'yes' }, 'active: expected true or false'],
      [{ date: '2025-02-30' }, 'date: expected a Lagos day as YYYY-MM-DD'],
      [{ limit: '0' }, 'limit: expected a whole number from 1 to 500'],
      [{ sort: 'eta' }, 'unknown field sort'],
    ])('refuses the filter %j naming the field', async (input, message) => {
      const err = await refused(listTrips(db.sql, viewer, input), 'WT_VALIDATION');
      expect(err.message).toContain(message);
    });
  });
});
