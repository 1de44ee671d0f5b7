import { describe, expect, it } from 'vitest';
import { OverspeedTracker } from '../../src/domain/overspeed.ts';

const t0 = Date.parse('2026-11-26T06:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000);

describe('OverspeedTracker', () => {
  it('raises one run once it has been held for the minimum, with the highest speed seen', () => {
    const tracker = new OverspeedTracker({ limitKmh: 80, minHeldS: 60 });
    const seen = [85, 92, 88, 90, 91, 95, 90].map((speed, i) => tracker.observe('a', at(i * 15), speed));
    expect(seen.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(seen[4]).toEqual({ since: at(0), at: at(60), maxKmh: 92, heldS: 60 });
    expect(seen.slice(5)).toEqual([undefined, undefined]);
  });

  it('ignores a single fix above the limit (GPS jitter)', () => {
    const tracker = new OverspeedTracker({ limitKmh: 80, minHeldS: 60 });
    const seen = [40, 120, 40, 40, 40, 40].map((speed, i) => tracker.observe('a', at(i * 15), speed));
    expect(seen.every((s) => s === undefined)).toBe(true);
  });

  it('keeps a run going through a dip within the hysteresis, and starts a new one after a clear drop', () => {
    const tracker = new OverspeedTracker({ limitKmh: 80, minHeldS: 30, hysteresisKmh: 5 });
    expect(tracker.observe('a', at(0), 85)).toBeUndefined();
    expect(tracker.observe('a', at(15), 77)).toBeUndefined(); // above 75: still the same run
    expect(tracker.observe('a', at(30), 86)).toMatchObject({ since: at(0) });
    expect(tracker.observe('a', at(45), 60)).toBeUndefined(); // a clear drop ends it
    expect(tracker.observe('a', at(60), 90)).toBeUndefined();
    expect(tracker.observe('a', at(90), 90)).toMatchObject({ since: at(60) });
  });

  it('breaks a run at a gap in the fixes, and skips fixes without a speed', () => {
    const tracker = new OverspeedTracker({ limitKmh: 80, minHeldS: 60, maxGapS: 120 });
    expect(tracker.observe('a', at(0), 90)).toBeUndefined();
    expect(tracker.observe('a', at(300), 90)).toBeUndefined(); // 5 min of silence: starts over at 300
    expect(tracker.observe('a', at(330), null)).toBeUndefined();
    expect(tracker.observe('a', at(360), 90)).toMatchObject({ since: at(300), heldS: 60 });
  });

  it('restores a snapshot, so a batch that failed to commit raises its alert again on retry', () => {
    const tracker = new OverspeedTracker({ limitKmh: 80, minHeldS: 0 });
    const snap = tracker.snapshot(['a']);
    expect(tracker.observe('a', at(0), 90)).toBeDefined();
    tracker.restore(snap);
    expect(tracker.observe('a', at(0), 90)).toBeDefined();
  });
});
