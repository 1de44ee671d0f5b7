import { describe, expect, it } from 'vitest';
import {
  ACTIVE_STATUSES,
  autoAdvance,
  checkTransition,
  nextStatuses,
  STATUS_TIMESTAMP,
  statusLabel,
  TRIP_STATUSES,
  type TripStatus,
} from '../../src/domain/trip-state.ts';

// Written out by hand rather than derived from the module, so a change to the rules has to change this too.
const ALLOWED: ReadonlySet<string> = new Set([
  'planned→dispatched',
  'planned→cancelled',
  'dispatched→at_pickup',
  'dispatched→cancelled',
  'at_pickup→in_transit',
  'at_pickup→cancelled',
  'in_transit→at_dropoff',
  'in_transit→cancelled',
  'at_dropoff→delivered',
  'at_dropoff→cancelled',
  'delivered→completed',
]);

const ALL_PAIRS = TRIP_STATUSES.flatMap((from) =>
  TRIP_STATUSES.map((to) => ({ from, to, allowed: ALLOWED.has(`${from}→${to}`) })),
);

describe('the trip state machine', () => {
  it('has the eight statuses in lifecycle order', () => {
    expect(TRIP_STATUSES).toEqual([
      'planned',
      'dispatched',
      'at_pickup',
      'in_transit',
      'at_dropoff',
      'delivered',
      'completed',
      'cancelled',
    ]);
  });

  it('covers every pair of statuses in the transition table', () => {
    expect(ALL_PAIRS).toHaveLength(64);
  });

  it.each(ALL_PAIRS)('moving $from → $to is allowed: $allowed', ({ from, to, allowed }) => {
    expect(checkTransition(from, to).ok).toBe(allowed);
  });

  it.each(ALL_PAIRS.filter((p) => !p.allowed && nextStatuses(p.from).length > 0))(
    'refusing $from → $to names every state the trip may move to',
    ({ from, to }) => {
      const result = checkTransition(from, to);
      if (result.ok) throw new Error('expected a refusal');
      const expected = [...ALLOWED].filter((p) => p.startsWith(`${from}→`)).map((p) => p.split('→')[1]!);
      expect(expected.length).toBeGreaterThan(0);
      for (const s of expected) expect(result.message).toContain(statusLabel(s as TripStatus));
      expect(result.message).toContain(`A trip that is ${statusLabel(from)} can move to:`);
    },
  );

  it('refuses a skip with a plain sentence listing the next step and cancellation', () => {
    expect(checkTransition('in_transit', 'delivered')).toEqual({
      ok: false,
      message: 'A trip that is in transit can move to: at dropoff, or cancelled.',
    });
  });

  it('refuses cancelling a delivered trip and says it can only be completed', () => {
    expect(checkTransition('delivered', 'cancelled')).toEqual({
      ok: false,
      message: 'A trip that is delivered can move to: completed.',
    });
  });

  it('says so when a trip is asked to move to the status it already has', () => {
    const result = checkTransition('dispatched', 'dispatched');
    expect(result).toEqual({
      ok: false,
      message:
        'This trip is already dispatched. A trip that is dispatched can move to: at pickup, or cancelled.',
    });
  });

  it.each(['completed', 'cancelled'] as const)('says a %s trip is finished, whatever it is asked', (from) => {
    for (const to of TRIP_STATUSES) {
      const result = checkTransition(from, to);
      expect(result).toEqual({
        ok: false,
        message: `A trip that is ${from} is finished; its status can't change.`,
      });
    }
  });

  it.each([
    ['planned', ['dispatched', 'cancelled']],
    ['dispatched', ['at_pickup', 'cancelled']],
    ['at_pickup', ['in_transit', 'cancelled']],
    ['in_transit', ['at_dropoff', 'cancelled']],
    ['at_dropoff', ['delivered', 'cancelled']],
    ['delivered', ['completed']],
    ['completed', []],
    ['cancelled', []],
  ] as const)('offers %s trips the next statuses %j', (from, next) => {
    expect(nextStatuses(from)).toEqual(next);
  });

  it('counts every status but completed and cancelled as active', () => {
    expect([...ACTIVE_STATUSES].sort()).toEqual(
      ['planned', 'dispatched', 'at_pickup', 'in_transit', 'at_dropoff', 'delivered'].sort(),
    );
  });

  it('stamps one timestamp column per status, and none on planning', () => {
    expect(STATUS_TIMESTAMP).toEqual({
      planned: null,
      dispatched: 'dispatched_at',
      at_pickup: 'arrived_pickup_at',
      in_transit: 'departed_pickup_at',
      at_dropoff: 'arrived_dropoff_at',
      delivered: 'delivered_at',
      completed: 'completed_at',
      cancelled: 'cancelled_at',
    });
  });

  it('writes statuses the way people say them', () => {
    expect(statusLabel('in_transit')).toBe('in transit');
    expect(statusLabel('at_dropoff')).toBe('at dropoff');
    expect(statusLabel('planned')).toBe('planned');
  });
});

describe('advancing a trip from geofence events', () => {
  const ORIGIN = 'g-apapa';
  const DESTINATION = 'g-ikeja';
  type Fence = 'origin' | 'destination' | 'elsewhere';
  const fenceId = { origin: ORIGIN, destination: DESTINATION, elsewhere: 'g-other' } as const;

  // [status, event, fence, expected]: every status, both events, three fences.
  const TABLE: [TripStatus, 'entered' | 'exited', Fence, TripStatus | null][] = [
    ['planned', 'entered', 'origin', null],
    ['planned', 'exited', 'origin', null],
    ['planned', 'entered', 'destination', null],
    ['planned', 'exited', 'destination', null],
    ['dispatched', 'entered', 'origin', 'at_pickup'],
    ['dispatched', 'exited', 'origin', 'in_transit'],
    ['dispatched', 'entered', 'destination', 'at_dropoff'],
    ['dispatched', 'exited', 'destination', null],
    ['at_pickup', 'entered', 'origin', null],
    ['at_pickup', 'exited', 'origin', 'in_transit'],
    ['at_pickup', 'entered', 'destination', 'at_dropoff'],
    ['at_pickup', 'exited', 'destination', null],
    ['in_transit', 'entered', 'origin', null],
    ['in_transit', 'exited', 'origin', null],
    ['in_transit', 'entered', 'destination', 'at_dropoff'],
    ['in_transit', 'exited', 'destination', null],
    ['at_dropoff', 'entered', 'origin', null],
    ['at_dropoff', 'exited', 'origin', null],
    ['at_dropoff', 'entered', 'destination', null],
    ['at_dropoff', 'exited', 'destination', 'delivered'],
    ['delivered', 'entered', 'origin', null],
    ['delivered', 'exited', 'origin', null],
    ['delivered', 'entered', 'destination', null],
    ['delivered', 'exited', 'destination', null],
    ['completed', 'entered', 'origin', null],
    ['completed', 'exited', 'origin', null],
    ['completed', 'entered', 'destination', null],
    ['completed', 'exited', 'destination', null],
    ['cancelled', 'entered', 'origin', null],
    ['cancelled', 'exited', 'origin', null],
    ['cancelled', 'entered', 'destination', null],
    ['cancelled', 'exited', 'destination', null],
    ...TRIP_STATUSES.flatMap((s) => [
      [s, 'entered', 'elsewhere', null] as [TripStatus, 'entered', Fence, null],
      [s, 'exited', 'elsewhere', null] as [TripStatus, 'exited', Fence, null],
    ]),
  ];

  it.each(TABLE)('a %s trip whose truck %s the %s fence becomes %s', (status, event, fence, expected) => {
    const trip = { status, originGeofenceId: ORIGIN, destinationGeofenceId: DESTINATION };
    expect(autoAdvance(trip, { type: `geofence.${event}`, geofenceId: fenceId[fence] })).toBe(expected);
  });

  it('never moves a trip backwards', () => {
    const order = (s: TripStatus) => TRIP_STATUSES.indexOf(s);
    for (const [status, event, fence] of TABLE) {
      const trip = { status, originGeofenceId: ORIGIN, destinationGeofenceId: DESTINATION };
      const next = autoAdvance(trip, { type: `geofence.${event}`, geofenceId: fenceId[fence] });
      if (next !== null) expect(order(next)).toBeGreaterThan(order(status));
    }
  });

  it('matches a numeric geofence id against the same id read back as text', () => {
    const trip = { status: 'dispatched' as const, originGeofenceId: 42, destinationGeofenceId: '43' };
    expect(autoAdvance(trip, { type: 'geofence.entered', geofenceId: '42' })).toBe('at_pickup');
    expect(autoAdvance(trip, { type: 'geofence.entered', geofenceId: 43 })).toBe('at_dropoff');
  });

  it('ignores events for a trip with no origin or destination fence', () => {
    const trip = { status: 'dispatched' as const, originGeofenceId: null, destinationGeofenceId: null };
    expect(autoAdvance(trip, { type: 'geofence.entered', geofenceId: 'g-apapa' })).toBeNull();
    expect(autoAdvance(trip, { type: 'geofence.exited', geofenceId: 'g-apapa' })).toBeNull();
  });

  describe('on a round trip that starts and ends at the same fence', () => {
    const trip = (status: TripStatus) => ({
      status,
      originGeofenceId: 'g-yard',
      destinationGeofenceId: 'g-yard',
    });
    const entered = { type: 'geofence.entered', geofenceId: 'g-yard' } as const;
    const exited = { type: 'geofence.exited', geofenceId: 'g-yard' } as const;

    it('treats the first entry as arriving for pickup, not at the dropoff', () => {
      expect(autoAdvance(trip('dispatched'), entered)).toBe('at_pickup');
    });

    it('does not treat re-entering during pickup as arriving at the dropoff', () => {
      expect(autoAdvance(trip('at_pickup'), entered)).toBeNull();
    });

    it('walks the whole loop: leave, come back, leave again', () => {
      expect(autoAdvance(trip('at_pickup'), exited)).toBe('in_transit');
      expect(autoAdvance(trip('in_transit'), entered)).toBe('at_dropoff');
      expect(autoAdvance(trip('at_dropoff'), exited)).toBe('delivered');
    });
  });
});
