import { describe, expect, it } from 'vitest';
import { haversineM, METRES_PER_DEGREE } from '../../src/domain/geo.ts';
import {
  DEFAULT_EXIT_MARGIN_M,
  DEFAULT_MIN_DWELL_S,
  INITIAL_PRESENCE,
  type PresenceObservation,
  type PresenceRules,
  type PresenceState,
  type PresenceTransition,
  step,
} from '../../src/domain/geofence-presence.ts';
import { type GeofenceShape, measurePrepared, prepareShape } from '../../src/domain/geofence-shape.ts';
import { loadBusStops, loadBusTrace, type TracePoint } from '../support/trace.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const t = (s: number) => new Date(T0 + s * 1000);
const inside = (s: number): PresenceObservation => ({ fixTime: t(s), inside: true, distanceOutsideM: 0 });
const outside = (s: number, m: number): PresenceObservation => ({
  fixTime: t(s),
  inside: false,
  distanceOutsideM: m,
});

function replay(observations: PresenceObservation[], rules?: Partial<PresenceRules>) {
  let state: PresenceState = INITIAL_PRESENCE;
  const transitions: PresenceTransition[] = [];
  for (const o of observations) {
    const r = step(state, o, rules);
    state = r.state;
    if (r.transition) transitions.push(r.transition);
  }
  return { state, transitions };
}

function replayTrace(trace: TracePoint[], shape: GeofenceShape, rules: Partial<PresenceRules>) {
  const prepared = prepareShape(shape);
  return replay(
    trace.map((p) => ({ fixTime: p.time, ...measurePrepared(prepared, p.lat, p.lng) })),
    rules,
  );
}

describe('step', () => {
  it('defaults to a 60 s dwell and a 50 m exit margin', () => {
    expect(DEFAULT_MIN_DWELL_S).toBe(60);
    expect(DEFAULT_EXIT_MARGIN_M).toBe(50);
    expect(replay([inside(0), inside(59)]).transitions).toEqual([]);
    expect(replay([inside(0), inside(60)]).transitions).toEqual([{ type: 'entered', at: t(0) }]);
  });

  it('starts entering on the first fix inside, and dates the entry from it once the dwell is met', () => {
    const first = step(INITIAL_PRESENCE, inside(0));
    expect(first).toEqual({ state: { status: 'entering', since: t(0), lastFixTime: t(0) } });
    const { state, transitions } = replay([inside(0), inside(30), inside(61)]);
    expect(transitions).toEqual([{ type: 'entered', at: t(0) }]);
    expect(state).toEqual({ status: 'inside', enteredAt: t(0), lastFixTime: t(61) });
  });

  it('enters on the first fix inside when the dwell is zero', () => {
    expect(step(INITIAL_PRESENCE, inside(5), { minDwellS: 0 })).toEqual({
      state: { status: 'inside', enteredAt: t(5), lastFixTime: t(5) },
      transition: { type: 'entered', at: t(5) },
    });
  });

  it('forgets a brush past the gate without any event', () => {
    const { state, transitions } = replay([inside(0), inside(20), outside(30, 2), inside(40), inside(70)]);
    expect(transitions).toEqual([]);
    expect(state).toMatchObject({ status: 'entering', since: t(40) });
  });

  it('stays inside while fixes wander out by no more than the margin', () => {
    const { state, transitions } = replay([
      inside(0),
      inside(60),
      outside(70, 10),
      outside(80, 50),
      inside(90),
    ]);
    expect(transitions).toEqual([{ type: 'entered', at: t(0) }]);
    expect(state.status).toBe('inside');
  });

  it('exits at the fix that lands beyond the margin', () => {
    const { transitions } = replay([inside(0), inside(60), outside(70, 30), outside(80, 50.5)]);
    expect(transitions).toEqual([
      { type: 'entered', at: t(0) },
      { type: 'exited', at: t(80) },
    ]);
  });

  it('exits when the geofence drops out of the index results altogether', () => {
    const { transitions } = replay([inside(0), inside(60), outside(70, Number.POSITIVE_INFINITY)]);
    expect(transitions.at(-1)).toEqual({ type: 'exited', at: t(70) });
  });

  it('ignores an observation older than the newest one seen', () => {
    const entered = replay([inside(0), inside(60)]).state;
    const late = step(entered, outside(30, 500));
    expect(late).toEqual({ state: entered });
    const entering = replay([inside(100)]).state;
    expect(step(entering, outside(50, 500))).toEqual({ state: entering });
  });

  it('judges the dwell by fix time, so a burst of buffered fixes after a gap still enters', () => {
    // Three fixes that arrive together but were taken a minute apart.
    const { transitions } = replay([inside(0), inside(60), inside(120)]);
    expect(transitions).toEqual([{ type: 'entered', at: t(0) }]);
  });

  it('gives one entry and no exit flood for a truck jittering across a polygon edge within the margin', () => {
    // A 200 m yard; the truck parks straddling its north edge and GPS scatters it ±15 m across the line.
    const halfLat = 100 / METRES_PER_DEGREE;
    const halfLng = 100 / (METRES_PER_DEGREE * Math.cos((6.45 * Math.PI) / 180));
    const yard: GeofenceShape = {
      kind: 'polygon',
      coordinates: [
        [
          [3.4 - halfLng, 6.45 - halfLat],
          [3.4 + halfLng, 6.45 - halfLat],
          [3.4 + halfLng, 6.45 + halfLat],
          [3.4 - halfLng, 6.45 + halfLat],
          [3.4 - halfLng, 6.45 - halfLat],
        ],
      ],
    };
    const trace: TracePoint[] = [];
    for (let s = 0; s < 120; s++) trace.push({ time: t(s), lat: 6.45, lng: 3.4, impliedSpeedKmh: null });
    for (let s = 120; s < 1800; s++) {
      const jitterM = 15 * Math.sin(s * 1.7);
      trace.push({
        time: t(s),
        lat: 6.45 + halfLat + jitterM / METRES_PER_DEGREE,
        lng: 3.4,
        impliedSpeedKmh: null,
      });
    }
    const prepared = prepareShape(yard);
    const rawFlips = trace.reduce(
      (n, p, i) =>
        i > 0 &&
        measurePrepared(prepared, p.lat, p.lng).inside !==
          measurePrepared(prepared, trace[i - 1]!.lat, trace[i - 1]!.lng).inside
          ? n + 1
          : n,
      0,
    );
    // Without hysteresis this would be hundreds of alerts.
    expect(rawFlips).toBeGreaterThan(500);
    const { transitions, state } = replayTrace(trace, yard, {});
    expect(transitions).toEqual([{ type: 'entered', at: t(0) }]);
    expect(state.status).toBe('inside');
  });
});

describe('step on the real bus-304 trace', () => {
  const trace = loadBusTrace();
  const stops = loadBusStops();
  const rules = { minDwellS: 20, exitMarginM: 50 };

  it.each([
    [1, "St Nessan's Road"],
    [14, 'Cresent Shopping C'],
    [23, 'William Street'],
  ])('gives exactly one entry and one exit at stop %i (%s), 30 m circle, 20 s dwell', (seq, name) => {
    const stop = stops.find((s) => s.seq === seq)!;
    expect(stop.name).toBe(name);
    const circle: GeofenceShape = { kind: 'circle', center: { lat: stop.lat, lng: stop.lng }, radiusM: 30 };
    const { transitions } = replayTrace(trace, circle, rules);
    expect(transitions.map((x) => x.type)).toEqual(['entered', 'exited']);
    const [entry, exit] = transitions as [PresenceTransition, PresenceTransition];
    // Entry is dated from the first fix within 30 m; exit from the first fix beyond 30 + 50 m.
    const distance = (p: TracePoint) => haversineM(stop.lat, stop.lng, p.lat, p.lng);
    expect(entry.at).toEqual(trace.find((p) => distance(p) <= 30)!.time);
    const exitFix = trace.find((p) => p.time > entry.at && distance(p) > 80)!;
    expect(exit.at).toEqual(exitFix.time);
    expect((exit.at.getTime() - entry.at.getTime()) / 1000).toBeGreaterThan(20);
  });

  it('rides out the real stationary jitter at the first stop with a tight 8 m circle', () => {
    const stop = stops[0]!;
    const circle: GeofenceShape = { kind: 'circle', center: { lat: stop.lat, lng: stop.lng }, radiusM: 8 };
    const prepared = prepareShape(circle);
    let rawCrossings = 0;
    let wasInside = false;
    for (const p of trace) {
      const now = measurePrepared(prepared, p.lat, p.lng).inside;
      if (now !== wasInside) rawCrossings++;
      wasInside = now;
    }
    // The parked bus's fixes wander 1-11 m from the pole, so a bare test crosses the line repeatedly.
    expect(rawCrossings).toBeGreaterThan(2);
    const { transitions } = replayTrace(trace, circle, rules);
    expect(transitions.map((x) => x.type)).toEqual(['entered', 'exited']);
  });

  it('does not enter stops the bus only drives past', () => {
    // Forge Estate: the bus spends ~6 s within 30 m.
    const stop = stops.find((s) => s.seq === 2)!;
    const circle: GeofenceShape = { kind: 'circle', center: { lat: stop.lat, lng: stop.lng }, radiusM: 30 };
    expect(replayTrace(trace, circle, rules).transitions).toEqual([]);
    expect(replayTrace(trace, circle, { minDwellS: 0 }).transitions.map((x) => x.type)).toEqual([
      'entered',
      'exited',
    ]);
  });
});
