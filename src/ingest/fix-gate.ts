import { type AcceptedFix, assessFix, type QualityOptions } from '../domain/position-quality.ts';
import type { NormalizedFix } from './loconav.ts';

export type GateOutcome =
  | 'accept'
  | 'out_of_order'
  | 'duplicate'
  | 'impossible_jump'
  | 'invalid'
  | 'null_island'
  | 'future';

interface TruckGate {
  last: AcceptedFix;
  /** The last fix refused as an impossible jump, if the one before this was. */
  lastJump?: AcceptedFix;
}

/**
 * The per-truck half of position quality: duplicates, impossible jumps and late fixes need the truck's last
 * accepted fix, which only the shard's single owner holds. Each consumer keeps its own gate; the same
 * ordered shard gives each the same verdicts.
 *
 * One wild fix that slipped through (the first after a restart, say) would otherwise make every correct
 * fix after it look like a jump for hours; so when two refused fixes in a row agree with each other, the
 * old anchor was the wrong one and the truck is re-anchored on the newer fix.
 */
export class FixGate {
  private readonly trucks = new Map<string, TruckGate>();

  constructor(private readonly options: Partial<QualityOptions> = {}) {}

  /** Judges a fix against the truck's last accepted one and, when accepted, makes it the last. */
  pass(truckId: string, fix: NormalizedFix, now: Date): GateOutcome {
    const state = this.trucks.get(truckId);
    const here: AcceptedFix = { lat: fix.lat, lng: fix.lng, fixTime: fix.fixTime };
    const verdict = assessFix(fix, state?.last, now, this.options);
    if (verdict.verdict === 'accept') {
      this.trucks.set(truckId, { last: here });
      return 'accept';
    }
    if (verdict.verdict === 'out_of_order') return 'out_of_order';
    if (verdict.reason === 'impossible_jump' && state) {
      const agrees = state.lastJump && assessFix(fix, state.lastJump, now, this.options).verdict === 'accept';
      if (agrees) {
        this.trucks.set(truckId, { last: here });
        return 'accept';
      }
      this.trucks.set(truckId, { last: state.last, lastJump: here });
    }
    return verdict.reason;
  }

  /** Snapshot of some trucks' state, to put back if the batch's transaction fails. */
  snapshot(truckIds: Iterable<string>): Map<string, TruckGate | undefined> {
    const snap = new Map<string, TruckGate | undefined>();
    for (const id of truckIds) snap.set(id, this.trucks.get(id));
    return snap;
  }

  restore(snap: Map<string, TruckGate | undefined>): void {
    for (const [id, state] of snap) {
      if (state) this.trucks.set(id, state);
      else this.trucks.delete(id);
    }
  }
}
