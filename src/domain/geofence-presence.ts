// Whether a truck is in a geofence, as dispatchers mean it: it stayed a while (not a drive past the gate)
// and it is not "out" because GPS jitter put one fix a few metres over the line. Judged on fix time, not
// arrival time, so a burst of buffered fixes after a coverage gap gives the same answer as a live stream.

export const DEFAULT_MIN_DWELL_S = 60;
export const DEFAULT_EXIT_MARGIN_M = 50;

export interface PresenceRules {
  /** Seconds of fixes inside (by fix time) before the truck counts as entered; 0 enters on the first. */
  minDwellS: number;
  /** Metres beyond the boundary a fix must be before the truck counts as exited. */
  exitMarginM: number;
}

export const DEFAULT_PRESENCE_RULES: Readonly<PresenceRules> = {
  minDwellS: DEFAULT_MIN_DWELL_S,
  exitMarginM: DEFAULT_EXIT_MARGIN_M,
};

/** `lastFixTime` is the newest fix seen, so a late, older fix cannot rewrite what already happened. */
export type PresenceState = (
  | { status: 'outside' }
  | { status: 'entering'; since: Date }
  | { status: 'inside'; enteredAt: Date }
) & { lastFixTime?: Date };

export const INITIAL_PRESENCE: PresenceState = { status: 'outside' };

export interface PresenceObservation {
  fixTime: Date;
  inside: boolean;
  /** 0 when inside; use Infinity when the geofence was not even near the fix. */
  distanceOutsideM: number;
}

export type PresenceTransition = { type: 'entered'; at: Date } | { type: 'exited'; at: Date };

export interface PresenceStep {
  state: PresenceState;
  transition?: PresenceTransition;
}

export function step(
  state: PresenceState,
  observation: PresenceObservation,
  rules: Partial<PresenceRules> = DEFAULT_PRESENCE_RULES,
): PresenceStep {
  const { fixTime, inside, distanceOutsideM } = observation;
  if (state.lastFixTime && fixTime.getTime() < state.lastFixTime.getTime()) return { state };
  const minDwellMs = (rules.minDwellS ?? DEFAULT_MIN_DWELL_S) * 1000;
  const exitMarginM = rules.exitMarginM ?? DEFAULT_EXIT_MARGIN_M;
  const lastFixTime = fixTime;

  switch (state.status) {
    case 'outside':
      if (!inside) return { state: { status: 'outside', lastFixTime } };
      if (minDwellMs <= 0) {
        return { state: { status: 'inside', enteredAt: fixTime, lastFixTime }, transition: entered(fixTime) };
      }
      return { state: { status: 'entering', since: fixTime, lastFixTime } };

    case 'entering':
      // Any fix outside while still proving the dwell means it was a drive past, not a visit.
      if (!inside) return { state: { status: 'outside', lastFixTime } };
      if (fixTime.getTime() - state.since.getTime() >= minDwellMs) {
        return {
          state: { status: 'inside', enteredAt: state.since, lastFixTime },
          transition: entered(state.since),
        };
      }
      return { state: { status: 'entering', since: state.since, lastFixTime } };

    case 'inside':
      if (!inside && distanceOutsideM > exitMarginM) {
        return { state: { status: 'outside', lastFixTime }, transition: { type: 'exited', at: fixTime } };
      }
      return { state: { status: 'inside', enteredAt: state.enteredAt, lastFixTime } };
  }
}

function entered(at: Date): PresenceTransition {
  return { type: 'entered', at };
}
